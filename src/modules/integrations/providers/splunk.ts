import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { AssetStatus, Severity, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, NormalizedAlert, NormalizedAsset, Provider, ProviderContext, ProviderDefinition, StatusReport } from './types.ts';
import { ProviderError, type VendorResponse } from '../vendor-http.ts';

/*
 * Splunk Enterprise (+ Enterprise Security) over the management port (8089).
 *
 * - Auth: an authentication token (Settings > Tokens), sent as `Authorization: Bearer <token>`.
 * - Status: GET /services/server/info and GET /services/server/health/splunkd (both output_mode=json).
 * - Alerts: ES notables through the streaming v2 export endpoint (POST /services/search/v2/jobs/export),
 *   never the v1 /services/search/jobs/* endpoints (disabled since Splunk 9.0.1).
 * See docs/providers/splunk.md.
 */

/** The search that lists open notables: the `notable` macro merges the incident-review state. */
export const NOTABLE_SEARCH = 'search `notable` | search status_end="false"';

/** ES urgency → Sentinel severity. */
export const URGENCY_SEVERITY: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  informational: 'info',
  info: 'info',
};

/** splunkd health colour → system status. */
const HEALTH_STATUS: Record<string, SystemStatus> = { green: 'online', yellow: 'warning', red: 'alert' };
/** splunkd health colour → the server's own asset status (it answered, so red is not "offline"). */
const HEALTH_ASSET: Record<string, AssetStatus> = { green: 'online', yellow: 'warning', red: 'warning' };

interface SplunkMessage {
  type?: string;
  text?: string;
}

interface EntryList<T> {
  entry?: { name?: string; content?: T }[];
  messages?: SplunkMessage[];
}

interface ServerInfoContent {
  version?: string;
  build?: string;
  serverName?: string;
  host?: string;
  guid?: string;
  startup_time?: number | string;
  health_info?: string;
  os_name?: string;
  product_type?: string;
  server_roles?: string[];
  mode?: string;
  kvStoreStatus?: string;
}

interface HealthNode {
  health?: string;
  features?: Record<string, HealthNode>;
}

type ResultValue = string | string[] | undefined;
type ResultRow = Record<string, ResultValue>;

function token(ctx: ProviderContext): string {
  if (typeof ctx.secret !== 'string' || ctx.secret.trim() === '') {
    throw new ProviderError('config', 'a Splunk authentication token is required');
  }
  return ctx.secret.trim();
}

function authHeaders(ctx: ProviderContext): Record<string, string> {
  return { authorization: `Bearer ${token(ctx)}` };
}

async function getJson<T>(ctx: ProviderContext, path: string, acceptStatus?: number[]): Promise<{ body: T | undefined; res: VendorResponse }> {
  const res = await ctx.http.request({ path, query: { output_mode: 'json' }, headers: authHeaders(ctx), acceptStatus });
  if (res.status < 200 || res.status >= 300) return { body: undefined, res };
  return { body: res.json<T>(), res };
}

function firstContent<T>(body: EntryList<T> | undefined, what: string): T {
  const content = body?.entry?.[0]?.content;
  if (content === undefined || content === null || typeof content !== 'object') {
    throw new ProviderError('bad_response', `Splunk ${what}: no entry[0].content in the answer`);
  }
  return content;
}

function serverInfo(ctx: ProviderContext) {
  return getJson<EntryList<ServerInfoContent>>(ctx, '/services/server/info').then(({ body, res }) => ({
    info: firstContent(body, 'server/info'),
    res,
  }));
}

/** Leaf features of the splunkd health tree whose colour is yellow or red ("Search Scheduler: red"). */
function degradedFeatures(node: HealthNode | undefined, prefix: string[] = []): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(node?.features ?? {})) {
    const path = [...prefix, name];
    const health = String(child?.health ?? '').toLowerCase();
    const nested = degradedFeatures(child, path);
    if (nested.length > 0) out.push(...nested);
    else if (health === 'yellow' || health === 'red') out.push(`${path.join(' > ')}: ${health}`);
  }
  return out;
}

function describeError(error: unknown): string {
  if (error instanceof ProviderError) {
    switch (error.kind) {
      case 'auth':
        return 'Splunk rejected the authentication token (is token authentication enabled and the token valid?)';
      case 'unreachable':
        return `Splunk is unreachable: ${error.message}`;
      case 'timeout':
        return `Splunk did not answer in time: ${error.message}`;
      case 'not_found':
        return 'Splunk REST endpoint not found: is the URL the management port (usually :8089)?';
      default:
        return error.message;
    }
  }
  return (error as Error).message;
}

/* ---------------------------------------------------------------- check */

async function check(ctx: ProviderContext): Promise<CheckResult> {
  const started = performance.now();
  try {
    const { info, res } = await serverInfo(ctx);
    const name = info.serverName ?? info.host ?? 'splunk';
    return { ok: true, latency_ms: res.latencyMs, detail: `Splunk ${info.version ?? '(unknown version)'} on ${name}` };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { ok: false, latency_ms: Math.round(performance.now() - started), detail: describeError(error) };
  }
}

/* ---------------------------------------------------------------- status */

async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const { info, res } = await serverInfo(ctx);
  latencies.push(res.latencyMs);

  // The health tree needs the list_health capability and Splunk 8+; when it is missing (404/403),
  // fall back on server/info's health_info.
  let health: string | undefined;
  let degraded: string[] = [];
  const healthCall = await getJson<EntryList<HealthNode>>(ctx, '/services/server/health/splunkd', [403, 404]);
  latencies.push(healthCall.res.latencyMs);
  if (healthCall.body !== undefined) {
    const node = firstContent(healthCall.body, 'server/health/splunkd');
    health = node.health?.toLowerCase();
    degraded = degradedFeatures(node);
  }
  health ??= info.health_info?.toLowerCase();

  const startup = Number(info.startup_time);
  const uptime = Number.isFinite(startup) && startup > 0 ? Math.max(0, Math.round(Date.now() / 1000 - startup)) : null;

  const name = info.serverName ?? info.host ?? 'splunk';
  const status: SystemStatus = (health !== undefined ? HEALTH_STATUS[health] : undefined) ?? 'online';
  const asset: NormalizedAsset = {
    external_id: info.guid ?? name,
    name,
    kind: 'server',
    status: health !== undefined ? (HEALTH_ASSET[health] ?? 'unknown') : 'online',
    detail: {
      version: info.version ?? null,
      build: info.build ?? null,
      os_name: info.os_name ?? null,
      product_type: info.product_type ?? null,
      server_roles: info.server_roles ?? [],
      health: health ?? null,
      degraded_features: degraded,
    },
  };

  let summary: string;
  if (health === undefined) summary = `Splunk ${info.version ?? ''} on ${name} answers; splunkd health not reported`.replace(/\s+/g, ' ');
  else if (status === 'online') summary = `splunkd health green on ${name} (Splunk ${info.version ?? '?'})`;
  else if (health in HEALTH_STATUS) summary = `splunkd health ${health} on ${name}${degraded.length > 0 ? `: ${degraded.slice(0, 5).join(', ')}${degraded.length > 5 ? ` (+${degraded.length - 5} more)` : ''}` : ''}`;
  else summary = `splunkd health "${health}" on ${name}`;

  return {
    status,
    metrics: { uptime, response_time_avg: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) },
    assets: [asset],
    summary,
  };
}

/* ---------------------------------------------------------------- alerts */

function first(value: ResultValue): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function joined(value: ResultValue): string | undefined {
  if (Array.isArray(value)) return value.length > 0 ? value.map(String).join(', ') : undefined;
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // _time is ISO 8601 with an offset in JSON output; accept epoch seconds too ("1715682093.000").
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses the export endpoint's NDJSON: keeps final rows (`preview` false or absent), skips preview
 * sets, and turns FATAL/ERROR messages into a ProviderError (a partial result set would make open
 * notables look resolved).
 */
export function parseExportStream(text: string): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let obj: { preview?: boolean; result?: ResultRow; messages?: SplunkMessage[] };
    try {
      obj = JSON.parse(trimmed) as typeof obj;
    } catch {
      throw new ProviderError('bad_response', 'Splunk export stream: a line is not JSON');
    }
    if (obj === null || typeof obj !== 'object') throw new ProviderError('bad_response', 'Splunk export stream: a line is not a JSON object');
    const fatal = (obj.messages ?? []).find((m) => m?.type === 'FATAL' || m?.type === 'ERROR');
    if (fatal) throw new ProviderError('vendor_error', `Splunk search failed: ${fatal.text ?? fatal.type}`);
    if (obj.preview === true) continue;
    if (obj.result !== undefined && obj.result !== null && typeof obj.result === 'object') rows.push(obj.result);
  }
  return rows;
}

export function normalizeNotable(row: ResultRow): NormalizedAlert {
  const urgency = first(row.urgency);
  const fallback = first(row.severity);
  const urgencyKey = urgency?.toLowerCase();
  const fallbackKey = fallback?.toLowerCase();
  // urgency first; when absent or unknown, the correlation search's own severity; else low.
  const severity: Severity =
    (urgencyKey !== undefined ? URGENCY_SEVERITY[urgencyKey] : undefined) ??
    (fallbackKey !== undefined ? URGENCY_SEVERITY[fallbackKey] : undefined) ??
    'low';
  const vendorSeverity = urgency ?? fallback ?? '';

  const time = parseTime(first(row._time));
  if (time === undefined) throw new ProviderError('bad_response', 'Splunk notable without a usable _time');

  const ruleName = first(row.rule_name);
  const asset = first(row.dest) ?? first(row.src) ?? first(row.host) ?? null;
  const eventId =
    first(row.event_id) ??
    `derived:${createHash('sha1').update([ruleName ?? '', first(row._time) ?? '', asset ?? '', first(row.orig_sid) ?? '', first(row.orig_rid) ?? ''].join('\u0000')).digest('hex')}`;

  return {
    external_id: eventId,
    title: first(row.rule_title) ?? ruleName ?? first(row.search_name) ?? 'Splunk notable event',
    description: joined(row.rule_description) ?? '',
    severity,
    vendor_severity: vendorSeverity,
    source: ruleName ?? first(row.security_domain) ?? first(row.source) ?? 'splunk',
    time,
    asset,
  };
}

/**
 * How far back open notables are looked for. The window filters on the notable's creation time, so
 * it is fixed (not "since the last sync"): every sync then sees every open notable of the window,
 * and one an analyst closed is absent and resolved by the sync.
 */
export const NOTABLE_LOOKBACK = '-30d';

async function fetchAlerts(ctx: ProviderContext): Promise<NormalizedAlert[]> {
  const form = new URLSearchParams({
    search: NOTABLE_SEARCH,
    earliest_time: NOTABLE_LOOKBACK,
    latest_time: 'now',
    output_mode: 'json',
  });
  // The export is read-only, so retrying a 503 (search concurrency quota) is safe.
  const res = await ctx.http.request({
    method: 'POST',
    path: '/services/search/v2/jobs/export',
    headers: { ...authHeaders(ctx), accept: 'application/json' },
    body: form,
    retry: true,
    acceptStatus: [400],
  });
  if (res.status === 400) {
    let text = 'Splunk rejected the search (HTTP 400)';
    try {
      const body = JSON.parse(res.text) as { messages?: SplunkMessage[] };
      const msg = body.messages?.find((m) => typeof m?.text === 'string');
      if (msg?.text) text = msg.text;
    } catch {
      // keep the generic text
    }
    throw new ProviderError('bad_response', text, 400);
  }

  // A notable repeated in the stream is merged by the sync on external_id.
  return parseExportStream(res.text).map(normalizeNotable);
}

const provider: Provider = { check, fetchStatus, fetchAlerts };

export const definition: ProviderDefinition = {
  type: 'splunk',
  label: 'Splunk',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('splunk', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Splunk authentication token (sent as Authorization: Bearer)' }),
  secretRequired: true,
  provider,
};
