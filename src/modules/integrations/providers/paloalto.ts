import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Severity, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, NormalizedAlert, NormalizedAsset, Provider, ProviderContext, ProviderDefinition, StatusReport } from './types.ts';
import { ProviderError, type ProviderErrorKind, type VendorRequest, type VendorResponse } from '../vendor-http.ts';

/**
 * Palo Alto Networks PAN-OS firewall through the XML API (`/api/`).
 *
 * - Auth: an API key (secret string), or `{username, password}` exchanged for a key with
 *   `POST /api/?type=keygen` (cached in ctx.state, regenerated once when the firewall rejects it).
 *   The key always travels in the `X-PAN-KEY` header, never in the URL.
 * - Every answer is checked for `<response status="error" code="N">`, whatever the HTTP status.
 * - Status: `show system info`; alerts: threat logs through the asynchronous log-query job.
 * See docs/providers/paloalto.md.
 */

export interface PaloAltoOptions {
  /** Entries asked per log-query job (`nlogs`, PAN-OS max 5000). */
  pageSize: number;
  /** Most log-query jobs (pages) per fetchAlerts. */
  maxPages: number;
  /** Wait between two polls of a running log-query job, ms. */
  jobPollIntervalMs: number;
  /** Most polls of one job before giving up. */
  maxJobPolls: number;
  /** Longest wait for one job to reach FIN, ms. */
  maxJobWaitMs: number;
  /** Look-back of the first alert fetch (no `since`), ms. */
  initialLookbackMs: number;
  /**
   * Overlap subtracted from `since`, ms: logs reach the log database a little after their
   * receive_time, so the window reaches back a bit (re-read logs keep their external_id).
   */
  sinceOverlapMs: number;
  /** Extra attempts after an HTTP 500 (the vendor client already retries 429/502-504). */
  serverErrorRetries: number;
  serverErrorBackoffMs: number;
}

export const DEFAULT_OPTIONS: PaloAltoOptions = {
  pageSize: 500,
  maxPages: 20,
  jobPollIntervalMs: 500,
  maxJobPolls: 60,
  maxJobWaitMs: 30_000,
  initialLookbackMs: 24 * 3600_000,
  sinceOverlapMs: 120_000,
  serverErrorRetries: 2,
  serverErrorBackoffMs: 250,
};

const SHOW_SYSTEM_INFO = '<show><system><info></info></system></show>';
/** `operational-mode` values that are healthy: `normal`, and `fips-cc` (a hardened mode chosen on purpose). */
const HEALTHY_MODES = new Set(['normal', 'fips-cc']);
const KEY_STATE = 'paloalto.key';

// ---------------------------------------------------------------------------------------------
// XML parsing and PAN-OS error mapping

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type XmlNode = Record<string, unknown>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of an element: plain string, or `#text` of an element that also has attributes. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isNode(value) && value['#text'] !== undefined) return text(value['#text']);
  return '';
}

/** Every text under a node, in order (for `<msg><line>…</line><line>…</line></msg>`). */
function allText(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(allText);
  if (isNode(value)) return Object.entries(value).filter(([k]) => !k.startsWith('@_')).flatMap(([, v]) => allText(v));
  return [];
}

export function toArray<T>(value: T | T[] | undefined | null | ''): T[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** What the published PAN-OS XML API error codes mean, and which ProviderError kind each becomes. */
const ERROR_CODES: Record<string, { name: string; kind: ProviderErrorKind }> = {
  '400': { name: 'bad request', kind: 'bad_response' },
  '403': { name: 'forbidden', kind: 'auth' },
  '1': { name: 'unknown command', kind: 'bad_response' },
  '2': { name: 'internal error', kind: 'vendor_error' },
  '3': { name: 'internal error', kind: 'vendor_error' },
  '4': { name: 'internal error', kind: 'vendor_error' },
  '5': { name: 'internal error', kind: 'vendor_error' },
  '6': { name: 'bad xpath', kind: 'bad_response' },
  '7': { name: 'object not present', kind: 'bad_response' },
  '16': { name: 'unauthorized', kind: 'auth' },
  '17': { name: 'invalid command', kind: 'bad_response' },
  '18': { name: 'malformed command', kind: 'bad_response' },
  '22': { name: 'session timed out', kind: 'auth' },
};

/** Marks the errors after which a key generated from username/password is worth regenerating. */
class KeyRejected extends ProviderError {}

/**
 * The ProviderError for `<response status="error" code="…">`: kind from the code (or the message
 * when there is no code), message with the vendor's own words.
 */
export function panError(code: string | undefined, msg: string, httpStatus?: number): ProviderError {
  const credential = /invalid credential/i.test(msg);
  const timedOut = /session (has )?timed out/i.test(msg);
  const known = code !== undefined ? ERROR_CODES[code] : undefined;
  const kind: ProviderErrorKind = credential || timedOut ? 'auth' : (known?.kind ?? 'vendor_error');
  const what = known ? `${known.name} (code ${code})` : code !== undefined ? `error code ${code}` : 'error';
  const message = `PAN-OS ${what}${msg ? `: ${msg}` : ''}`;
  if (kind === 'auth' && (code === '403' || code === '22' || credential || timedOut)) return new KeyRejected('auth', message, httpStatus);
  return new ProviderError(kind, message, httpStatus);
}

/**
 * Parses a PAN-OS answer and returns its `<response>` node when status="success"; throws the
 * mapped ProviderError for status="error" (even with HTTP 200) or anything that is not the
 * documented envelope.
 */
export function parseResponse(body: string, httpStatus: number, redact: (s: string) => string = (s) => s): XmlNode {
  const trimmed = body.trim();
  const valid = trimmed.startsWith('<') ? XMLValidator.validate(trimmed) : false;
  if (valid !== true) {
    if (httpStatus === 401 || httpStatus === 403) throw new KeyRejected('auth', `credentials rejected (HTTP ${httpStatus})`, httpStatus);
    throw new ProviderError('bad_response', `the firewall answered something that is not XML (HTTP ${httpStatus})`, httpStatus);
  }
  const doc = parser.parse(trimmed) as XmlNode;
  const response = doc.response;
  if (!isNode(response)) throw new ProviderError('bad_response', `the firewall answered XML without a <response> element (HTTP ${httpStatus})`, httpStatus);
  const status = text(response['@_status']);
  const code = response['@_code'] === undefined ? undefined : text(response['@_code']);
  if (status === 'error') {
    const result = isNode(response.result) ? response.result : undefined;
    const msgNode = result?.msg ?? response.msg ?? result;
    const msg = redact(allText(msgNode).join(' ').replace(/\s+/g, ' ').trim()).slice(0, 300);
    throw panError(code, msg, httpStatus);
  }
  if (status !== 'success') throw new ProviderError('bad_response', `the firewall answered status="${status}" (HTTP ${httpStatus})`, httpStatus);
  if (httpStatus === 401 || httpStatus === 403) throw new KeyRejected('auth', `credentials rejected (HTTP ${httpStatus})`, httpStatus);
  if (httpStatus < 200 || httpStatus >= 300) throw new ProviderError('bad_response', `unexpected HTTP ${httpStatus}`, httpStatus);
  return response;
}

// ---------------------------------------------------------------------------------------------
// Time, uptime, severity

/** "3 days, 5:35:41", "1 day, 0:00:01", "0 days, 0:05:00", "5:35:41" → seconds (null when not understood). */
export function parseUptime(value: string | undefined): number | null {
  if (!value) return null;
  const match = /^\s*(?:(\d+)\s+days?\s*,?\s*)?(\d+):(\d{1,2}):(\d{1,2})\s*$/i.exec(value);
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/** PAN-OS threat severity → Sentinel severity (unknown values → info). */
export const SEVERITY_MAP: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  informational: 'info',
};

export function mapSeverity(value: string): Severity {
  return SEVERITY_MAP[value.trim().toLowerCase()] ?? 'info';
}

function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** "YYYY/MM/DD HH:MM:SS" in the firewall's time zone (UTC unless given) → epoch ms; NaN when not that format. */
export function parsePanTime(value: string, timeZone?: string): number {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (!timeZone || timeZone === 'UTC') return wall;
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** epoch ms → "YYYY/MM/DD HH:MM:SS" in the firewall's time zone (UTC unless given). */
export function formatPanTime(epochMs: number, timeZone?: string): string {
  const wall = new Date(Math.floor(epochMs / 1000) * 1000 + (timeZone && timeZone !== 'UTC' ? zoneOffsetMs(epochMs, timeZone) : 0));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${wall.getUTCFullYear()}/${p(wall.getUTCMonth() + 1)}/${p(wall.getUTCDate())} ${p(wall.getUTCHours())}:${p(wall.getUTCMinutes())}:${p(wall.getUTCSeconds())}`;
}

function firewallTimeZone(ctx: ProviderContext): string | undefined {
  const tz = ctx.config.timezone;
  if (tz === undefined || tz === null || tz === '') return undefined;
  if (typeof tz !== 'string') throw new ProviderError('config', 'config.timezone must be an IANA time zone name');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ProviderError('config', `config.timezone "${tz}" is not a known time zone`);
  }
  return tz;
}

// ---------------------------------------------------------------------------------------------
// Calls

interface Credentials {
  username: string;
  password: string;
}

function credentials(ctx: ProviderContext): { apiKey: string } | Credentials {
  const secret = ctx.secret;
  if (typeof secret === 'string' && secret.trim() !== '') return { apiKey: secret.trim() };
  if (secret && typeof secret === 'object' && typeof secret.username === 'string' && typeof secret.password === 'string' && secret.username && secret.password) {
    return { username: secret.username, password: secret.password };
  }
  throw new ProviderError('config', 'PAN-OS needs an API key or a username and password');
}

function redactor(ctx: ProviderContext, extra: string[] = []): (s: string) => string {
  const secrets: string[] = [...extra];
  const secret = ctx.secret;
  if (typeof secret === 'string') secrets.push(secret);
  else if (secret && typeof secret === 'object') secrets.push(...Object.values(secret));
  const cached = ctx.state.get(KEY_STATE) as CachedKey | undefined;
  if (cached?.key) secrets.push(cached.key);
  return (s) => secrets.filter((v) => v.length >= 4).reduce((acc, v) => acc.split(v).join('***'), s);
}

interface CachedKey {
  fingerprint: string;
  key?: string;
  pending?: Promise<string>;
}

/** Latencies of the calls made for one report (for response_time_avg). */
type Tracker = number[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, req: VendorRequest): Promise<VendorResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await ctx.http.request({ ...req, acceptStatus: [400, 401, 403] });
      tracker.push(res.latencyMs);
      return res;
    } catch (error) {
      if (error instanceof ProviderError && error.status === 500 && attempt < o.serverErrorRetries) {
        await sleep(o.serverErrorBackoffMs * 2 ** attempt);
        continue;
      }
      throw error;
    }
  }
}

async function keygen(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, creds: Credentials): Promise<string> {
  const res = await send(ctx, o, tracker, {
    method: 'POST',
    path: '/api/',
    query: { type: 'keygen' },
    body: new URLSearchParams({ user: creds.username, password: creds.password }),
    headers: { accept: 'application/xml' },
    retry: true,
  });
  let response: XmlNode;
  try {
    response = parseResponse(res.text, res.status, redactor(ctx));
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'auth') throw new ProviderError('auth', `key generation refused: ${error.message}`, error.status);
    throw error;
  }
  const key = text(isNode(response.result) ? response.result.key : undefined);
  if (!key) throw new ProviderError('bad_response', 'the keygen answer has no <key>');
  return key;
}

function fingerprint(creds: Credentials): string {
  return createHash('sha256').update(`${creds.username}\0${creds.password}`).digest('hex');
}

/** The key to use: the secret itself, or a cached / freshly generated one. */
async function apiKey(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker): Promise<{ key: string; fresh: boolean }> {
  const creds = credentials(ctx);
  if ('apiKey' in creds) return { key: creds.apiKey, fresh: false };
  const fp = fingerprint(creds);
  const cached = ctx.state.get(KEY_STATE) as CachedKey | undefined;
  if (cached?.fingerprint === fp && cached.key) return { key: cached.key, fresh: false };
  if (cached?.fingerprint === fp && cached.pending) return { key: await cached.pending, fresh: true };
  const entry: CachedKey = { fingerprint: fp };
  entry.pending = keygen(ctx, o, tracker, creds).then(
    (key) => {
      entry.key = key;
      delete entry.pending;
      return key;
    },
    (error: unknown) => {
      if (ctx.state.get(KEY_STATE) === entry) ctx.state.delete(KEY_STATE);
      throw error;
    },
  );
  ctx.state.set(KEY_STATE, entry);
  return { key: await entry.pending, fresh: true };
}

/**
 * One authenticated XML API call (GET /api/ with X-PAN-KEY). A key generated from
 * username/password that the firewall rejects (403, Invalid Credential, session timed out) is
 * regenerated once and the call retried.
 */
async function call(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, query: Record<string, string | number>): Promise<XmlNode> {
  for (let rekeyed = false; ; rekeyed = true) {
    const { key, fresh } = await apiKey(ctx, o, tracker);
    try {
      const res = await send(ctx, o, tracker, { method: 'GET', path: '/api/', query, headers: { 'X-PAN-KEY': key, accept: 'application/xml' } });
      return parseResponse(res.text, res.status, redactor(ctx, [key]));
    } catch (error) {
      if (error instanceof KeyRejected && !rekeyed && !fresh && !('apiKey' in credentials(ctx))) {
        const cached = ctx.state.get(KEY_STATE) as CachedKey | undefined;
        if (cached?.key === key) ctx.state.delete(KEY_STATE);
        continue;
      }
      throw error;
    }
  }
}

function systemInfo(response: XmlNode): XmlNode {
  const result = response.result;
  const system = isNode(result) ? result.system : undefined;
  if (!isNode(system)) throw new ProviderError('bad_response', 'show system info answered without <system>');
  return system;
}

function mean(values: number[]): number | null {
  return values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : null;
}

// ---------------------------------------------------------------------------------------------
// Threat logs

/** Runs one log-query job to FIN and returns its entries (cancels it on timeout). */
async function runLogJob(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, params: Record<string, string | number>): Promise<XmlNode[]> {
  const enqueued = await call(ctx, o, tracker, { type: 'log', ...params });
  const jobId = text(isNode(enqueued.result) ? enqueued.result.job : undefined).trim();
  if (!/^\d+$/.test(jobId)) throw new ProviderError('bad_response', 'the log query answered without a <job> id');

  const started = Date.now();
  for (let poll = 1; ; poll++) {
    const answer = await call(ctx, o, tracker, { type: 'log', action: 'get', 'job-id': jobId });
    const result = isNode(answer.result) ? answer.result : {};
    const job = isNode(result.job) ? result.job : {};
    const status = text(job.status).trim().toUpperCase();
    if (status === 'FIN') {
      const log = isNode(result.log) ? result.log : undefined;
      const logs = log && isNode(log.logs) ? log.logs : undefined;
      return toArray(logs?.entry as XmlNode | XmlNode[] | undefined).filter(isNode);
    }
    if (status !== 'ACT' && status !== 'PEND') throw new ProviderError('vendor_error', `log query job ${jobId} reported status "${status || 'none'}"`);
    if (poll >= o.maxJobPolls || Date.now() - started + o.jobPollIntervalMs > o.maxJobWaitMs) {
      await call(ctx, o, tracker, { type: 'log', action: 'finish', 'job-id': jobId }).catch(() => undefined);
      throw new ProviderError('timeout', `log query job ${jobId} did not finish within ${Date.now() - started} ms (${poll} polls); it was cancelled`);
    }
    await sleep(o.jobPollIntervalMs);
  }
}

export function normalizeThreat(entry: XmlNode, timeZone?: string): NormalizedAlert {
  const f = (name: string) => text(entry[name]).trim();
  const serial = f('serial') || f('device_name') || 'firewall';
  const seqno = f('seqno') || text(entry['@_logid']).trim();
  const external_id = seqno ? `${serial}:${seqno}` : `${serial}:sha1-${createHash('sha1').update(JSON.stringify(entry)).digest('hex').slice(0, 16)}`;
  const rawTime = f('receive_time') || f('time_generated');
  const time = parsePanTime(rawTime, timeZone);
  if (Number.isNaN(time)) throw new ProviderError('bad_response', `threat log ${external_id} has no usable receive_time ("${rawTime}")`);
  const subtype = f('subtype') || 'threat';
  const threat = f('threatid') || f('threat_name') || 'Unknown threat';
  const vendorSeverity = f('severity');
  const src = f('src') || '?';
  const dst = f('dst');
  const dport = f('dport');
  const parts = [`${src} → ${dst || '?'}${dport ? `:${dport}` : ''}`];
  if (f('app')) parts.push(`app ${f('app')}`);
  if (f('action')) parts.push(`action ${f('action')}`);
  if (f('rule')) parts.push(`rule "${f('rule')}"`);
  const repeat = Number(f('repeatcnt'));
  if (repeat > 1) parts.push(`repeated ${repeat} times`);
  return {
    external_id,
    title: `${threat} (${subtype})`,
    description: parts.join(', '),
    severity: mapSeverity(vendorSeverity),
    vendor_severity: vendorSeverity,
    source: f('thr_category') || subtype,
    time,
    asset: dst || null,
  };
}

// ---------------------------------------------------------------------------------------------
// Provider

export function createPaloAltoProvider(overrides: Partial<PaloAltoOptions> = {}): Provider {
  const o: PaloAltoOptions = { ...DEFAULT_OPTIONS, ...overrides };

  return {
    async check(ctx): Promise<CheckResult> {
      const started = performance.now();
      try {
        const system = systemInfo(await call(ctx, o, [], { type: 'op', cmd: SHOW_SYSTEM_INFO }));
        const name = text(system.hostname) || text(system.devicename) || 'firewall';
        return { ok: true, latency_ms: Math.round(performance.now() - started), detail: `${name}: ${text(system.model) || 'unknown model'}, PAN-OS ${text(system['sw-version']) || 'unknown version'}` };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        return { ok: false, latency_ms: Math.round(performance.now() - started), detail: `${error.kind}: ${error.message}` };
      }
    },

    async fetchStatus(ctx): Promise<StatusReport> {
      const tracker: Tracker = [];
      const system = systemInfo(await call(ctx, o, tracker, { type: 'op', cmd: SHOW_SYSTEM_INFO }));
      const serial = text(system.serial).trim();
      const name = text(system.hostname) || text(system.devicename) || serial || 'firewall';
      const mode = text(system['operational-mode']).trim();
      const normal = mode === '' || HEALTHY_MODES.has(mode.toLowerCase());
      const status: SystemStatus = normal ? 'online' : 'warning';
      const asset: NormalizedAsset = {
        external_id: serial || name,
        name,
        kind: 'firewall',
        status: normal ? 'online' : 'warning',
        detail: {
          model: text(system.model) || null,
          'sw-version': text(system['sw-version']) || null,
          'ip-address': text(system['ip-address']) || null,
          'threat-version': text(system['threat-version']) || null,
          'app-version': text(system['app-version']) || null,
          'operational-mode': mode || null,
          uptime: text(system.uptime) || null,
        },
      };
      const version = text(system['sw-version']);
      return {
        status,
        metrics: { uptime: parseUptime(text(system.uptime)), response_time_avg: mean(tracker) },
        assets: [asset],
        summary: normal
          ? `${name} (${text(system.model) || 'PAN-OS'}${version ? ` ${version}` : ''}) reachable, operational mode ${mode || 'normal'}`
          : `${name} is in operational mode "${mode}" (not normal)`,
      };
    },

    async fetchAlerts(ctx, since): Promise<NormalizedAlert[]> {
      const tracker: Tracker = [];
      const timeZone = firewallTimeZone(ctx);
      const from = since !== undefined ? since - o.sinceOverlapMs : Date.now() - o.initialLookbackMs;
      const query = `(receive_time geq '${formatPanTime(from, timeZone)}')`;
      const seen = new Map<string, NormalizedAlert>();
      for (let page = 0; page < o.maxPages; page++) {
        const entries = await runLogJob(ctx, o, tracker, { 'log-type': 'threat', nlogs: o.pageSize, skip: page * o.pageSize, dir: 'backward', query });
        for (const entry of entries) {
          const alert = normalizeThreat(entry, timeZone);
          if (!seen.has(alert.external_id)) seen.set(alert.external_id, alert);
        }
        if (entries.length < o.pageSize) break;
      }
      return [...seen.values()].sort((a, b) => b.time - a.time);
    },
  };
}

const provider: Provider = createPaloAltoProvider();

export const definition: ProviderDefinition = {
  type: 'paloalto',
  label: 'Palo Alto Networks PAN-OS',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('paloalto', {
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the firewall writes log times in (default UTC)' })),
  }),
  secretSchema: Type.Union([Type.String({ minLength: 1, maxLength: 4096, description: 'API key' }), Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })]),
  secretRequired: true,
  // Threat logs are events since the last sync, not the set of open alerts.
  alertMode: 'events',
  provider,
};
