import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import { alertAsset, alertSeverity, alertTitle, mean, sampleValue, stringRecord } from './prometheus.ts';
import type { AssetStatus, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, DashboardDetail, DashboardSummary, NormalizedAlert, NormalizedAsset, PanelSummary, Provider, ProviderContext, ProviderDefinition, Series, StatusReport } from './types.ts';
import { ProviderError, type VendorRequest, type VendorResponse } from '../vendor-http.ts';

/** /api/search page size (Grafana's default is 1000, its maximum 5000). */
const SEARCH_PAGE_SIZE = 1000;
/** At most this many search pages (50 000 dashboards) per listing. */
const MAX_SEARCH_PAGES = 50;
/** Data sources health-checked per status report, and how many at once. */
const MAX_DATASOURCE_CHECKS = 25;
const DATASOURCE_CHECK_CONCURRENCY = 5;
/** Points asked per series when a panel does not say (Grafana's own default is 100). */
const DEFAULT_MAX_DATA_POINTS = 500;
const MAX_ALERTS = 10_000;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function token(ctx: ProviderContext): string {
  const secret = ctx.secret;
  if (typeof secret !== 'string' || secret.trim() === '') throw new ProviderError('config', 'no Grafana service-account token is configured');
  return secret.trim();
}

/** An authenticated Grafana call (Authorization: Bearer <service-account token>). */
function call(ctx: ProviderContext, req: VendorRequest): Promise<VendorResponse> {
  return ctx.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${token(ctx)}` } });
}

/** GET /api/health: no auth; 503 {"database":"failing"} is an answer, not an error. */
async function health(ctx: ProviderContext): Promise<{ ok: boolean; version: string | null; response: VendorResponse }> {
  const response = await ctx.http.request({ path: '/api/health', acceptStatus: [503] });
  // A 503 from a proxy in front of Grafana may not be JSON: still "not healthy".
  if (response.status === 503 && !/^\s*\{/.test(response.text)) return { ok: false, version: null, response };
  const body = response.json<unknown>();
  if (!isObject(body)) throw new ProviderError('bad_response', 'the /api/health answer is not an object');
  return { ok: response.status === 200 && body.database === 'ok', version: str(body.version) ?? null, response };
}

// ---------------------------------------------------------------------------------------------
// check / status
// ---------------------------------------------------------------------------------------------

async function check(ctx: ProviderContext): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const h = await health(ctx);
    if (typeof ctx.secret !== 'string' || ctx.secret.trim() === '') return { ok: false, latency_ms: elapsed(), detail: 'no Grafana service-account token is configured' };
    await call(ctx, { path: '/api/search', query: { limit: 1 } });
    const name = h.version ? `Grafana ${h.version}` : 'Grafana';
    return { ok: true, latency_ms: elapsed(), detail: `${name} reachable, token accepted${h.ok ? '' : ' (but its database health check is failing)'}` };
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, latency_ms: elapsed(), detail: error.message };
    throw error;
  }
}

interface DatasourceRow {
  id?: number;
  uid?: string;
  name?: string;
  type?: string;
  typeName?: string;
  url?: string;
  isDefault?: boolean;
}

async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const h = await health(ctx);
  latencies.push(h.response.latencyMs);

  // GET /api/datasources needs datasources:read (Admin by default); a token without it gets 403,
  // and the report then has no assets.
  const list = await call(ctx, { path: '/api/datasources', acceptStatus: [403] });
  latencies.push(list.latencyMs);
  const assets: NormalizedAsset[] = [];
  let listed = false;
  if (list.status === 200) {
    const rows = list.json<unknown>();
    if (!Array.isArray(rows)) throw new ProviderError('bad_response', 'the /api/datasources answer is not a list');
    listed = true;
    const sources = (rows as DatasourceRow[]).filter((row) => isObject(row) && typeof row.uid === 'string');
    const checked = sources.slice(0, MAX_DATASOURCE_CHECKS);
    const results: { status: AssetStatus; message: string | null }[] = new Array(checked.length);
    let next = 0;
    const worker = async () => {
      while (next < checked.length) {
        const index = next++;
        const uid = checked[index]!.uid!;
        // 200 {"status":"OK"} healthy; 400 {"status":"ERROR","message"} failing; 404: plugin without a health check.
        const response = await call(ctx, { path: `/api/datasources/uid/${encodeURIComponent(uid)}/health`, acceptStatus: [400, 403, 404, 500, 502, 503, 504] });
        latencies.push(response.latencyMs);
        let body: unknown;
        try {
          body = response.json<unknown>();
        } catch {
          body = undefined;
        }
        const message = isObject(body) ? (str(body.message) ?? null) : null;
        const state = isObject(body) ? str(body.status) : undefined;
        if (response.status === 200 && (state === undefined || state === 'OK')) results[index] = { status: 'online', message };
        else if (response.status === 400 || (response.status === 200 && state === 'ERROR') || response.status >= 500) results[index] = { status: 'offline', message };
        else results[index] = { status: 'unknown', message };
      }
    };
    await Promise.all(Array.from({ length: Math.min(DATASOURCE_CHECK_CONCURRENCY, checked.length) }, worker));
    sources.forEach((row, index) => {
      const result = results[index] ?? { status: 'unknown' as const, message: 'not health-checked (too many data sources)' };
      assets.push({
        external_id: row.uid!,
        name: row.name ?? row.uid!,
        kind: 'datasource',
        status: result.status,
        detail: { type: row.type ?? null, type_name: row.typeName ?? null, url: row.url ?? null, is_default: row.isDefault === true, health_message: result.message },
      });
    });
  }

  const failing = assets.filter((a) => a.status === 'offline');
  const version = h.version ? `Grafana ${h.version}` : 'Grafana';
  let status: SystemStatus;
  let summary: string;
  if (!h.ok) {
    status = 'alert';
    summary = `${version}: database health check failing`;
  } else if (failing.length > 0) {
    status = 'warning';
    const names = failing.slice(0, 3).map((a) => a.name).join(', ');
    summary = `${version}: database ok; ${failing.length} of ${assets.length} data sources failing their health check (${names}${failing.length > 3 ? ', …' : ''})`;
  } else {
    status = 'online';
    summary = listed ? `${version}: database ok; ${assets.length} data sources healthy or unchecked` : `${version}: database ok (data sources not listed: the token lacks datasources:read)`;
  }
  return { status, metrics: { uptime: null, response_time_avg: mean(latencies) }, assets, summary };
}

// ---------------------------------------------------------------------------------------------
// alerts
// ---------------------------------------------------------------------------------------------

interface AmAlert {
  labels?: unknown;
  annotations?: unknown;
  startsAt?: string;
  fingerprint?: string;
  status?: unknown;
}

async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
  const response = await call(ctx, {
    path: '/api/alertmanager/grafana/api/v2/alerts',
    query: { active: true, silenced: false, inhibited: false },
  });
  const body = response.json<unknown>();
  if (!Array.isArray(body)) throw new ProviderError('bad_response', 'the Alertmanager alerts answer is not a list');
  const alerts: NormalizedAlert[] = [];
  for (const alert of (body as (AmAlert | null)[]).slice(0, MAX_ALERTS)) {
    if (alert === null || typeof alert !== 'object') continue;
    const state = isObject(alert.status) ? str(alert.status.state) : undefined;
    if (state !== undefined && state !== 'active') continue;
    const labels = stringRecord(alert.labels);
    const annotations = stringRecord(alert.annotations);
    if (typeof alert.fingerprint !== 'string' || alert.fingerprint === '') continue;
    const startsAt = typeof alert.startsAt === 'string' ? Date.parse(alert.startsAt) : Number.NaN;
    alerts.push({
      external_id: alert.fingerprint,
      title: alertTitle(labels, annotations),
      description: annotations.description ?? annotations.summary ?? '',
      severity: alertSeverity(labels.severity),
      vendor_severity: labels.severity ?? '',
      source: labels.grafana_folder ?? labels.alertname ?? 'grafana',
      time: Number.isFinite(startsAt) ? startsAt : Date.now(),
      asset: alertAsset(labels),
    });
  }
  return alerts;
}

// ---------------------------------------------------------------------------------------------
// dashboards
// ---------------------------------------------------------------------------------------------

async function listDashboards(ctx: ProviderContext): Promise<DashboardSummary[]> {
  const out: DashboardSummary[] = [];
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_SEARCH_PAGES; page++) {
    const response = await call(ctx, { path: '/api/search', query: { type: 'dash-db', limit: SEARCH_PAGE_SIZE, page } });
    const items = response.json<unknown>();
    if (!Array.isArray(items)) throw new ProviderError('bad_response', 'the /api/search answer is not a list');
    let fresh = 0;
    for (const item of items) {
      if (!isObject(item) || typeof item.uid !== 'string' || seen.has(item.uid)) continue;
      if (item.type !== undefined && item.type !== 'dash-db') continue;
      seen.add(item.uid);
      fresh++;
      const url = str(item.url);
      out.push({
        uid: item.uid,
        title: str(item.title) ?? item.uid,
        url: url ? new URL(url, ctx.config.url).toString() : new URL(`/d/${encodeURIComponent(item.uid)}`, ctx.config.url).toString(),
        folder: str(item.folderTitle) ?? null,
        tags: Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === 'string') : [],
      });
    }
    // A short page is the last one; a page with nothing new means the server ignores `page`.
    if (items.length < SEARCH_PAGE_SIZE || fresh === 0) break;
  }
  return out;
}

async function rawDashboard(ctx: ProviderContext, uid: string): Promise<Json> {
  let response: VendorResponse;
  try {
    response = await call(ctx, { path: `/api/dashboards/uid/${encodeURIComponent(uid)}` });
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'not_found') throw new ProviderError('not_found', `Grafana has no dashboard with uid "${uid}"`, 404);
    throw error;
  }
  const body = response.json<unknown>();
  if (!isObject(body) || !isObject(body.dashboard)) throw new ProviderError('bad_response', 'the dashboard answer has no dashboard object');
  return body.dashboard;
}

/** Every panel, rows' children included (collapsed rows keep theirs in `panels`; pre-5.0 dashboards in `rows`). */
function flattenPanels(dashboard: Json): Json[] {
  const out: Json[] = [];
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels) {
      if (!isObject(panel)) continue;
      if (panel.type === 'row') {
        visit(panel.panels);
        continue;
      }
      out.push(panel);
    }
  };
  visit(dashboard.panels);
  if (Array.isArray(dashboard.rows)) for (const row of dashboard.rows) if (isObject(row)) visit(row.panels);
  return out;
}

function panelDatasource(raw: unknown): PanelSummary['datasource'] {
  if (!isObject(raw)) return null; // null, absent, or a legacy name
  return { type: str(raw.type) ?? null, uid: str(raw.uid) ?? null };
}

function toPanelSummary(panel: Json): PanelSummary {
  return {
    id: typeof panel.id === 'number' ? panel.id : -1,
    title: str(panel.title) ?? '',
    type: str(panel.type) ?? 'unknown',
    datasource: panelDatasource(panel.datasource),
    targets: Array.isArray(panel.targets) ? panel.targets.filter(isObject) : [],
  };
}

async function getDashboard(ctx: ProviderContext, uid: string): Promise<DashboardDetail> {
  const dashboard = await rawDashboard(ctx, uid);
  return {
    uid: str(dashboard.uid) ?? uid,
    title: str(dashboard.title) ?? uid,
    tags: Array.isArray(dashboard.tags) ? dashboard.tags.filter((t): t is string => typeof t === 'string') : [],
    panels: flattenPanels(dashboard).filter((panel) => typeof panel.id === 'number').map(toPanelSummary),
  };
}

// ---------------------------------------------------------------------------------------------
// panel data: the panel's targets through POST /api/ds/query, frames → Series
// ---------------------------------------------------------------------------------------------

/** Dashboard variables' current values (templating.list), for best-effort interpolation. */
function dashboardVariables(dashboard: Json): Map<string, string> {
  const vars = new Map<string, string>();
  const list = isObject(dashboard.templating) ? dashboard.templating.list : undefined;
  if (!Array.isArray(list)) return vars;
  for (const variable of list) {
    if (!isObject(variable) || typeof variable.name !== 'string' || !isObject(variable.current)) continue;
    const raw = variable.current.value;
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) continue;
    if (values.includes('$__all')) vars.set(variable.name, str(variable.allValue) || '.*');
    else vars.set(variable.name, values.length === 1 ? values[0]! : `(${values.join('|')})`);
  }
  return vars;
}

const VARIABLE = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)/g;

function interpolate(text: string, vars: Map<string, string>): string {
  return text.replace(VARIABLE, (match, a?: string, b?: string, c?: string) => vars.get((a ?? b ?? c)!) ?? match);
}

function interpolateDeep(value: unknown, vars: Map<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]));
  return value;
}

interface QueryDatasource {
  type?: string;
  uid: string;
}

/** Names of data sources that are not real ones: the panel's targets carry their own, or none run. */
const PSEUDO = new Set(['-- Mixed --', '-- Dashboard --']);

interface Resolver {
  vars: Map<string, string>;
  byName: Map<string, QueryDatasource>;
}

/** A legacy data source name → {uid}: GET /api/datasources/name/:name, else the name used as a uid. */
async function byName(ctx: ProviderContext, name: string, resolver: Resolver): Promise<QueryDatasource> {
  if (name === '-- Grafana --' || name === 'grafana') return { type: 'datasource', uid: 'grafana' };
  const cached = resolver.byName.get(name);
  if (cached) return cached;
  const response = await call(ctx, { path: `/api/datasources/name/${encodeURIComponent(name)}`, acceptStatus: [403, 404] });
  let resolved: QueryDatasource = { uid: name };
  if (response.status === 200) {
    const body = response.json<unknown>();
    if (isObject(body) && typeof body.uid === 'string') resolved = { type: str(body.type), uid: body.uid };
  }
  resolver.byName.set(name, resolved);
  return resolved;
}

/** A target's or panel's `datasource` → what /api/ds/query needs, or null when it cannot run. */
async function resolveDatasource(ctx: ProviderContext, raw: unknown, resolver: Resolver): Promise<QueryDatasource | null> {
  if (typeof raw === 'string') {
    const name = interpolate(raw, resolver.vars);
    if (name === '' || name.startsWith('$') || PSEUDO.has(name)) return null;
    return byName(ctx, name, resolver);
  }
  if (!isObject(raw) || typeof raw.uid !== 'string' || raw.uid === '') return null;
  const uid = interpolate(raw.uid, resolver.vars);
  if (uid.startsWith('$') || PSEUDO.has(uid)) return null;
  // A data source variable's value may be a name (older dashboards) or a uid.
  if (uid !== raw.uid) return byName(ctx, uid, resolver);
  return { ...(typeof raw.type === 'string' ? { type: raw.type } : {}), uid };
}

function findPanel(dashboard: Json, panelId: number): Json | undefined {
  return flattenPanels(dashboard).find((panel) => panel.id === panelId);
}

interface Field {
  name?: string;
  type?: string;
  labels?: unknown;
  config?: { displayNameFromDS?: string; displayName?: string };
}

interface Frame {
  schema?: { name?: string; refId?: string; fields?: Field[] };
  data?: { values?: unknown[][] };
}

function formatLabels(labels: Record<string, string>): string {
  const inner = Object.entries(labels).filter(([key]) => key !== '__name__').map(([key, value]) => `${key}="${value}"`).join(', ');
  return `${labels.__name__ ?? ''}{${inner}}`;
}

function toTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** A frame's time field plus each number field → one series each. Frames without a time field are skipped. */
function frameSeries(refId: string, frame: Frame): Series[] {
  const fields = Array.isArray(frame.schema?.fields) ? frame.schema.fields : [];
  const columns = Array.isArray(frame.data?.values) ? frame.data.values : [];
  const timeIndex = fields.findIndex((field) => isObject(field) && field.type === 'time');
  if (timeIndex < 0 || !Array.isArray(columns[timeIndex])) return [];
  const times = columns[timeIndex]!.map(toTime);
  const numberFields = fields.map((field, index) => ({ field, index })).filter(({ field }) => isObject(field) && field.type === 'number');
  const frameName = frame.schema?.name || undefined;
  return numberFields.map(({ field, index }) => {
    const labels = stringRecord(field.labels);
    const configured = field.config?.displayNameFromDS || field.config?.displayName || undefined;
    let name = configured ?? (numberFields.length === 1 ? frameName : undefined);
    if (name === undefined) name = Object.keys(labels).length > 0 ? formatLabels(labels) : (field.name ?? frameName ?? refId);
    const values = Array.isArray(columns[index]) ? columns[index]! : [];
    const points: [number, number | null][] = [];
    times.forEach((time, i) => {
      if (time !== null) points.push([time, sampleValue(values[i])]);
    });
    return { refId, name, labels, points };
  });
}

async function fetchPanelData(ctx: ProviderContext, dashboardUid: string, panelId: number, from: number, to: number): Promise<Series[]> {
  const dashboard = await rawDashboard(ctx, dashboardUid);
  const panel = findPanel(dashboard, panelId);
  if (!panel) throw new ProviderError('not_found', `dashboard "${dashboardUid}" has no panel ${panelId}`, 404);
  const resolver: Resolver = { vars: dashboardVariables(dashboard), byName: new Map() };

  const maxDataPoints = typeof panel.maxDataPoints === 'number' && panel.maxDataPoints > 0 ? Math.round(panel.maxDataPoints) : DEFAULT_MAX_DATA_POINTS;
  const intervalMs = Math.max(1000, Math.ceil((to - from) / maxDataPoints));
  const panelDs = panel.datasource;
  const queries: Json[] = [];
  for (const target of Array.isArray(panel.targets) ? panel.targets : []) {
    if (!isObject(target) || target.hide === true) continue;
    // The target's own data source, else the panel's; none (null = Grafana's default, a pseudo one,
    // an unresolved variable) → the target cannot be run and is skipped.
    const datasource = (await resolveDatasource(ctx, target.datasource, resolver)) ?? (await resolveDatasource(ctx, panelDs, resolver));
    if (datasource === null) continue;
    const { datasource: _ignored, ...rest } = target;
    queries.push({ ...(interpolateDeep(rest, resolver.vars) as Json), refId: str(target.refId) ?? 'A', datasource, maxDataPoints, intervalMs });
  }
  if (queries.length === 0) return [];

  let outcome: QueryOutcome;
  try {
    outcome = await runQueries(ctx, queries, from, to);
  } catch (error) {
    if (!(error instanceof ProviderError) || error.kind !== 'not_found') throw error;
    // 404: one of the data sources does not exist (any more). Run each data source's queries on
    // their own so that the others still answer (not when server-side expressions tie them together).
    const uids = [...new Set(queries.map((q) => (q.datasource as QueryDatasource).uid))];
    if (uids.length < 2 || uids.includes('__expr__')) throw missingDatasource(panelId, uids);
    outcome = { series: [], errors: [], refIds: [], status: 404 };
    for (const uid of uids) {
      const group = queries.filter((q) => (q.datasource as QueryDatasource).uid === uid);
      try {
        const part = await runQueries(ctx, group, from, to);
        outcome.series.push(...part.series);
        outcome.errors.push(...part.errors);
        outcome.refIds.push(...part.refIds);
        outcome.status = part.status;
      } catch (partError) {
        if (!(partError instanceof ProviderError) || partError.kind !== 'not_found') throw partError;
        for (const q of group) {
          outcome.refIds.push(String(q.refId));
          outcome.errors.push(`${String(q.refId)}: data source "${uid}" not found`);
        }
      }
    }
  }
  if (outcome.refIds.length > 0 && outcome.errors.length === outcome.refIds.length) {
    throw new ProviderError('bad_response', `every query of panel ${panelId} failed: ${outcome.errors.join('; ').slice(0, 500)}`, outcome.status);
  }
  return outcome.series;
}

const missingDatasource = (panelId: number, uids: string[]) =>
  new ProviderError('bad_response', `panel ${panelId} uses a data source that Grafana does not have (${uids.map((u) => `"${u}"`).join(', ')})`, 404);

interface QueryOutcome {
  series: Series[];
  errors: string[];
  refIds: string[];
  status: number;
}

/** POST /api/ds/query → series of the refIds that answered, and the errors of those that did not. */
async function runQueries(ctx: ProviderContext, queries: Json[], from: number, to: number): Promise<QueryOutcome> {
  // 400 (207 with the datasourceQueryMultiStatus toggle) when any refId failed: the others still have frames.
  const response = await call(ctx, { method: 'POST', path: '/api/ds/query', body: { queries, from: String(from), to: String(to) }, acceptStatus: [400, 207], retry: true });
  const body = response.json<unknown>();
  if (!isObject(body) || !isObject(body.results)) {
    const message = isObject(body) ? str(body.message) : undefined;
    throw new ProviderError('bad_response', message ? `Grafana rejected the panel query: ${message}` : `the query answer has no results (HTTP ${response.status})`, response.status);
  }
  const outcome: QueryOutcome = { series: [], errors: [], refIds: Object.keys(body.results), status: response.status };
  for (const refId of outcome.refIds) {
    const result = body.results[refId];
    if (!isObject(result)) continue;
    if (typeof result.error === 'string' && result.error !== '') {
      outcome.errors.push(`${refId}: ${result.error}`);
      continue;
    }
    for (const frame of Array.isArray(result.frames) ? result.frames : []) if (isObject(frame)) outcome.series.push(...frameSeries(refId, frame as Frame));
  }
  return outcome;
}

const provider: Provider = { check, fetchStatus, fetchAlerts, listDashboards, getDashboard, fetchPanelData };

export const definition: ProviderDefinition = {
  type: 'grafana',
  label: 'Grafana',
  capabilities: ['METRICS', 'ALERTING', 'STATUS'],
  defaultCapabilities: ['METRICS', 'ALERTING', 'STATUS'],
  configSchema: configSchema('grafana', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Service-account token (glsa_…), sent as Authorization: Bearer' }),
  secretRequired: true,
  provider,
};
