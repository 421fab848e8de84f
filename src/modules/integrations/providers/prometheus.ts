import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { AssetStatus, Severity, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, NormalizedAlert, NormalizedAsset, Provider, ProviderContext, ProviderDefinition, Series, StatusReport } from './types.ts';
import { ProviderError, type VendorResponse } from '../vendor-http.ts';

// ---------------------------------------------------------------------------------------------
// Helpers shared with the Grafana provider (Grafana-managed alerts use Prometheus label conventions).
// ---------------------------------------------------------------------------------------------

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'critical', crit: 'critical', fatal: 'critical', emergency: 'critical', emerg: 'critical', disaster: 'critical', page: 'critical', p1: 'critical', sev1: 'critical',
  high: 'high', error: 'high', err: 'high', major: 'high', p2: 'high', sev2: 'high',
  warning: 'medium', warn: 'medium', medium: 'medium', moderate: 'medium', average: 'medium', p3: 'medium', sev3: 'medium',
  low: 'low', minor: 'low', notice: 'low', ticket: 'low', p4: 'low', sev4: 'low',
  info: 'info', informational: 'info', information: 'info', none: 'info', debug: 'info', p5: 'info', sev5: 'info',
};

/** An alert's `severity` label → Sentinel's severity; a missing or unknown value is `medium`. */
export function alertSeverity(raw: string | undefined): Severity {
  if (raw === undefined) return 'medium';
  return SEVERITY_WORDS[raw.trim().toLowerCase()] ?? 'medium';
}

/** A stable id for a label set: the same labels in any order give the same id. */
export function labelsHash(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/** `alertname: summary`, or whichever of the two exists. */
export function alertTitle(labels: Record<string, string>, annotations: Record<string, string>): string {
  const name = labels.alertname ?? 'alert';
  const summary = annotations.summary?.trim();
  return summary ? `${name}: ${summary}` : name;
}

/** The host an alert concerns, from the usual labels. */
export function alertAsset(labels: Record<string, string>): string | null {
  return labels.instance ?? labels.host ?? labels.hostname ?? labels.node ?? null;
}

export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  }
  return out;
}

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
}

/** A sample value as Prometheus encodes it ("1.5", "NaN", "+Inf") → a finite number or null. */
export function sampleValue(raw: unknown): number | null {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(value) ? value : null;
}

// ---------------------------------------------------------------------------------------------
// The Prometheus HTTP API (/api/v1): every answer is {status: "success"|"error", data, errorType, error}.
// ---------------------------------------------------------------------------------------------

interface Envelope<T> {
  status?: string;
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

interface Target {
  labels?: Record<string, string>;
  scrapePool?: string;
  scrapeUrl?: string;
  health?: string;
  lastError?: string;
  lastScrape?: string;
  lastScrapeDuration?: number;
  scrapeInterval?: string;
}

interface RuleAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
  value?: string;
}

interface RangeResult {
  resultType?: string;
  result?: unknown;
}

/** Lists longer than this are cut (a sane bound on one report). */
const MAX_TARGETS = 10_000;
const MAX_ALERTS = 10_000;

function authHeaders(ctx: ProviderContext): Record<string, string> {
  const secret = ctx.secret;
  if (typeof secret === 'string' && secret.trim() !== '') return { authorization: `Bearer ${secret.trim()}` };
  return {};
}

/** One /api/v1 call: the `data` of a success envelope; an error envelope (400/422) → bad_response. */
async function api<T>(ctx: ProviderContext, path: string, query: Record<string, string | number | undefined> = {}, acceptNotFound = false): Promise<{ data: T | undefined; response: VendorResponse }> {
  const response = await ctx.http.request({ path, query, headers: authHeaders(ctx), acceptStatus: acceptNotFound ? [400, 422, 404] : [400, 422] });
  if (response.status === 404) return { data: undefined, response };
  let body: Envelope<T>;
  try {
    body = response.json<Envelope<T>>();
  } catch (error) {
    if (response.status !== 200) throw new ProviderError('bad_response', `Prometheus answered HTTP ${response.status} without an API body`, response.status);
    throw error;
  }
  if (body !== null && typeof body === 'object' && body.status === 'error') {
    const reason = typeof body.error === 'string' ? body.error : 'no reason given';
    throw new ProviderError('bad_response', `Prometheus rejected the request (${body.errorType ?? 'error'}): ${reason}`, response.status);
  }
  if (response.status !== 200 || body === null || typeof body !== 'object' || body.status !== 'success') {
    throw new ProviderError('bad_response', `not a Prometheus API answer (HTTP ${response.status} from ${path})`, response.status);
  }
  return { data: body.data, response };
}

async function check(ctx: ProviderContext): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const build = await api<{ version?: string }>(ctx, '/api/v1/status/buildinfo', {}, true);
    const up = await api<RangeResult>(ctx, '/api/v1/query', { query: 'up' });
    const series = Array.isArray(up.data?.result) ? up.data.result.length : 0;
    const version = build.data?.version ? `Prometheus ${build.data.version}` : 'Prometheus';
    return { ok: true, latency_ms: elapsed(), detail: `${version} reachable; the query API answered (${series} series for "up")` };
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, latency_ms: elapsed(), detail: error.message };
    throw error;
  }
}

const TARGET_STATUS: Record<string, AssetStatus> = { up: 'online', down: 'offline', unknown: 'unknown' };

async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const targets = await api<{ activeTargets?: Target[] }>(ctx, '/api/v1/targets', { state: 'active' });
  latencies.push(targets.response.latencyMs);
  const active = targets.data?.activeTargets;
  if (!Array.isArray(active)) throw new ProviderError('bad_response', 'the targets answer has no activeTargets list');

  // Uptime: the server's own start time (runtimeinfo, Prometheus ≥ 2.14); null when not exposed.
  let uptime: number | null = null;
  let reloadFailed = false;
  const runtime = await api<{ startTime?: string; reloadConfigSuccess?: boolean }>(ctx, '/api/v1/status/runtimeinfo', {}, true);
  latencies.push(runtime.response.latencyMs);
  const startTime = runtime.data?.startTime ? Date.parse(runtime.data.startTime) : Number.NaN;
  if (Number.isFinite(startTime)) uptime = Math.max(0, Math.round((Date.now() - startTime) / 1000));
  if (runtime.data?.reloadConfigSuccess === false) reloadFailed = true;

  const assets: NormalizedAsset[] = [];
  const seen = new Set<string>();
  for (const target of active.slice(0, MAX_TARGETS)) {
    const labels = stringRecord(target.labels);
    const job = labels.job ?? target.scrapePool ?? 'unknown job';
    const instance = labels.instance ?? target.scrapeUrl ?? 'unknown instance';
    let id = target.scrapeUrl ?? `${job}/${instance}`;
    if (seen.has(id)) id = `${id} (${target.scrapePool ?? job})`;
    seen.add(id);
    assets.push({
      external_id: id,
      name: `${job} (${instance})`,
      kind: 'target',
      status: TARGET_STATUS[target.health ?? 'unknown'] ?? 'unknown',
      detail: {
        job, instance, scrape_pool: target.scrapePool ?? null, health: target.health ?? 'unknown', last_error: target.lastError || null,
        last_scrape: target.lastScrape ?? null, last_scrape_duration_s: target.lastScrapeDuration ?? null, scrape_interval: target.scrapeInterval ?? null, labels,
      },
    });
  }

  const total = assets.length;
  const down = assets.filter((a) => a.status === 'offline');
  const unknown = assets.filter((a) => a.status === 'unknown').length;
  let status: SystemStatus;
  let summary: string;
  if (total === 0) {
    status = 'alert';
    summary = 'no active scrape targets';
  } else if (down.length === total) {
    status = 'alert';
    summary = `all ${total} scrape targets down`;
  } else if (down.length > 0) {
    status = 'warning';
    const names = down.slice(0, 3).map((a) => a.name).join(', ');
    summary = `${down.length} of ${total} scrape targets down (${names}${down.length > 3 ? ', …' : ''})`;
  } else if (unknown === total) {
    status = 'warning';
    summary = `none of ${total} scrape targets scraped yet`;
  } else {
    status = 'online';
    summary = unknown > 0 ? `${total - unknown} of ${total} scrape targets up, ${unknown} not scraped yet` : `all ${total} scrape targets up`;
  }
  if (reloadFailed) {
    if (status === 'online') status = 'warning';
    summary += '; the last configuration reload failed';
  }
  return { status, metrics: { uptime, response_time_avg: mean(latencies) }, assets, summary };
}

async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
  const { data } = await api<{ alerts?: RuleAlert[] }>(ctx, '/api/v1/alerts');
  if (!Array.isArray(data?.alerts)) throw new ProviderError('bad_response', 'the alerts answer has no alerts list');
  const alerts: NormalizedAlert[] = [];
  for (const alert of data.alerts.slice(0, MAX_ALERTS)) {
    if (alert.state !== 'firing') continue;
    const labels = stringRecord(alert.labels);
    const annotations = stringRecord(alert.annotations);
    const activeAt = alert.activeAt ? Date.parse(alert.activeAt) : Number.NaN;
    alerts.push({
      external_id: labelsHash(labels),
      title: alertTitle(labels, annotations),
      description: annotations.description ?? annotations.summary ?? '',
      severity: alertSeverity(labels.severity),
      vendor_severity: labels.severity ?? '',
      source: labels.alertname ?? 'prometheus',
      time: Number.isFinite(activeAt) ? activeAt : Date.now(),
      asset: alertAsset(labels),
    });
  }
  return alerts;
}

function seriesOf(expression: string, metric: unknown, points: [number, number | null][]): Series {
  const labels = stringRecord(metric);
  const name = labels.__name__ ?? expression;
  delete labels.__name__;
  return { refId: 'A', name, labels, points };
}

function point(raw: unknown): [number, number | null] | undefined {
  if (!Array.isArray(raw) || raw.length < 2 || typeof raw[0] !== 'number') return undefined;
  return [Math.round(raw[0] * 1000), sampleValue(raw[1])];
}

async function query(ctx: ProviderContext, expression: string, from: number, to: number, stepSeconds: number): Promise<Series[]> {
  if (expression.trim() === '') throw new ProviderError('config', 'the query expression is empty');
  const { data } = await api<RangeResult>(ctx, '/api/v1/query_range', { query: expression, start: from / 1000, end: to / 1000, step: stepSeconds });
  const result = data?.result;
  switch (data?.resultType) {
    case 'matrix':
      if (!Array.isArray(result)) break;
      return result.map((item: { metric?: unknown; values?: unknown }) =>
        seriesOf(expression, item.metric, Array.isArray(item.values) ? item.values.map(point).filter((p) => p !== undefined) : []));
    case 'vector':
      if (!Array.isArray(result)) break;
      return result.map((item: { metric?: unknown; value?: unknown }) => seriesOf(expression, item.metric, [point(item.value)].filter((p) => p !== undefined)));
    case 'scalar': {
      const p = point(result);
      return [seriesOf(expression, {}, p ? [p] : [])];
    }
  }
  throw new ProviderError('bad_response', `unexpected query_range result (${data?.resultType ?? 'none'})`);
}

const provider: Provider = { check, fetchStatus, fetchAlerts, query };

export const definition: ProviderDefinition = {
  type: 'prometheus',
  label: 'Prometheus',
  capabilities: ['METRICS', 'ALERTING', 'STATUS'],
  defaultCapabilities: ['METRICS', 'ALERTING', 'STATUS'],
  configSchema: configSchema('prometheus', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Optional bearer token, sent as Authorization: Bearer (e.g. for a Prometheus behind an authenticating proxy)' }),
  secretRequired: false,
  provider,
};
