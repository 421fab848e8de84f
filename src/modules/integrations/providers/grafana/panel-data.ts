import { ProviderError } from '../../vendor-http.ts';
import { sampleValue } from '../prometheus/labels.ts';
import { isObject, stringRecord } from '../common.ts';
import type { ProviderContext, Series } from '../types.ts';
import { call, str } from './client.ts';
import { flattenPanels, rawDashboard, type Json } from './dashboards.ts';
import { say } from '../../../../platform/languages.ts';

// A panel's data: its targets through POST /api/ds/query, frames → Series.

/** Points asked per series when a panel does not say (Grafana's own default is 100). */
const DEFAULT_MAX_DATA_POINTS = 500;

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

export async function fetchPanelData(ctx: ProviderContext, dashboardUid: string, panelId: number, from: number, to: number): Promise<Series[]> {
  const dashboard = await rawDashboard(ctx, dashboardUid);
  const panel = findPanel(dashboard, panelId);
  if (!panel) throw new ProviderError('not_found', say(`dashboard "${dashboardUid}" has no panel ${panelId}`, `el dashboard "${dashboardUid}" no tiene el panel ${panelId}`), 404);
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
