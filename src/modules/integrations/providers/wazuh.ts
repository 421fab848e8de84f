import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { AssetStatus, Severity, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, NormalizedAlert, NormalizedAsset, NormalizedVulnerability, Provider, ProviderContext, ProviderDefinition, StatusReport } from './types.ts';
import { createVendorHttp, ProviderError, type VendorHttp, type VendorRequest, type VendorResponse } from '../vendor-http.ts';

/*
 * Wazuh 4.x: the server API (port 55000, JWT from POST /security/user/authenticate) gives the
 * manager's health and the agents; the indexer (OpenSearch, port 9200, Basic auth) holds the alerts
 * (wazuh-alerts-4.x-*) and, since 4.8, the vulnerability state (wazuh-states-vulnerabilities-*).
 * docs/providers/wazuh.md describes the calls, the status rule and the severity tables.
 */

/** GET /agents page size: the API allows more, Wazuh recommends at most 500. */
export const AGENTS_PAGE_SIZE = 500;
/** At most this many /agents pages (100 000 agents) per status report. */
export const MAX_AGENT_PAGES = 200;
/** Alerts: only rule.level >= this (Wazuh's own dashboards treat 7+ as noteworthy; 0-6 is mostly noise). */
export const MIN_ALERT_LEVEL = 7;
/** Alerts window without `since`, and the furthest back a `since` may reach. */
export const DEFAULT_ALERT_WINDOW_MS = 24 * 3600_000;
export const MAX_ALERT_WINDOW_MS = 7 * 24 * 3600_000;
/** Re-read this much before `since`: alerts reach the indexer some time after their timestamp. */
export const ALERT_OVERLAP_MS = 5 * 60_000;
export const ALERTS_PAGE_SIZE = 500;
/** At most 10 000 alerts (the newest) per call. */
export const MAX_ALERT_PAGES = 20;
export const VULNERABILITIES_PAGE_SIZE = 1000;
/** Above this many findings the feed fails rather than return a partial list (missing = fixed). */
export const MAX_VULNERABILITIES = 100_000;
/** Token lifetime assumed when the JWT does not say (Wazuh's auth_token_exp_timeout default). */
export const DEFAULT_TOKEN_TTL_MS = 900_000;
/** Manager daemons without which Wazuh does not work: any of them not "running" makes the system `alert`. */
export const ESSENTIAL_DAEMONS = ['wazuh-analysisd', 'wazuh-remoted', 'wazuh-db', 'wazuh-modulesd'] as const;

export const ALERTS_INDEX = 'wazuh-alerts-4.x-*';
export const VULNERABILITIES_INDEX = 'wazuh-states-vulnerabilities-*';

/** ctx.state keys. The indexer client may be put there beforehand (tests do, with short timeouts). */
export const TOKEN_STATE_KEY = 'wazuh:token';
export const INDEXER_HTTP_STATE_KEY = 'wazuh:indexer-http';
const PENDING_TOKEN_STATE_KEY = 'wazuh:token-pending';

export interface IndexerHttpEntry {
  url: string;
  verifyTls: boolean;
  http: VendorHttp;
}

interface CachedToken {
  token: string;
  /** epoch ms after which the token is not used any more (a little before its real expiry) */
  expiresAt: number;
  /** hash of url + user + password: a credential change never reuses an old token */
  owner: string;
}

interface WazuhSettings {
  url: string;
  username: string;
  password: string;
  indexerUrl: string;
  indexerUsername: string;
  indexerPassword: string;
  verifyTls: boolean;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function settingsOf(ctx: ProviderContext): WazuhSettings {
  const { config, secret } = ctx;
  const username = str(config.username);
  const indexerUrl = str(config.indexer_url);
  const indexerUsername = str(config.indexer_username);
  if (!username || !indexerUrl || !indexerUsername) {
    throw new ProviderError('config', 'the Wazuh integration needs username, indexer_url and indexer_username in its config');
  }
  if (typeof secret !== 'object' || secret === null || !str(secret.password) || !str(secret.indexer_password)) {
    throw new ProviderError('config', 'the Wazuh secret must be an object with password and indexer_password');
  }
  return {
    url: config.url,
    username,
    password: secret.password as string,
    indexerUrl,
    indexerUsername,
    indexerPassword: secret.indexer_password as string,
    verifyTls: config.verify_tls,
  };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** Wazuh answers errors as application/problem+json {title, detail, error}: "title: detail" for messages. */
function problemText(res: VendorResponse): string {
  try {
    const body = JSON.parse(res.text) as { title?: unknown; detail?: unknown; error?: unknown };
    const parts = [str(body.title), str(body.detail)].filter(Boolean);
    return parts.length ? `: ${parts.join(': ')}` : '';
  } catch {
    const snippet = res.text.slice(0, 200).replace(/\s+/g, ' ').trim();
    return snippet ? `: ${snippet}` : '';
  }
}

function prefixed(error: unknown, prefix: string): unknown {
  if (error instanceof ProviderError) return new ProviderError(error.kind, `${prefix}: ${error.message}`, error.status);
  return error;
}

/** How long a token may be used: from the JWT's exp (minus iat/nbf), else 900 s; refreshed 10% (at most 60 s) early. */
export function tokenExpiry(token: string, now = Date.now()): number {
  let lifetime = DEFAULT_TOKEN_TTL_MS;
  const payloadPart = token.split('.')[1];
  if (payloadPart !== undefined) {
    try {
      const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown; nbf?: unknown };
      if (typeof payload.exp === 'number') {
        const issued = typeof payload.iat === 'number' ? payload.iat : typeof payload.nbf === 'number' ? payload.nbf : undefined;
        // exp - iat does not depend on the two clocks agreeing; exp alone does.
        lifetime = issued !== undefined && payload.exp > issued ? (payload.exp - issued) * 1000 : payload.exp * 1000 - now;
      }
    } catch {
      // not a JWT we can read: assume the default lifetime
    }
  }
  lifetime = Math.min(Math.max(lifetime, 0), 24 * 3600_000);
  return now + lifetime - Math.min(60_000, lifetime * 0.1);
}

/** Parses Wazuh/OpenSearch times: ISO 8601 (with "+0000" or no zone = UTC), "YYYY-MM-DD hh:mm:ss", epoch ms. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  let text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  text = text.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += 'Z';
  text = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function get(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const mean = (values: number[]) => (values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : null);

/**
 * One provider call: the server API with a reused JWT (re-authenticating once on a 401) and the
 * indexer with Basic auth; records the latency of every call it makes.
 */
class WazuhSession {
  readonly latencies: number[] = [];
  readonly settings: WazuhSettings;
  private readonly owner: string;

  constructor(private readonly ctx: ProviderContext) {
    this.settings = settingsOf(ctx);
    this.owner = createHash('sha256').update(`${this.settings.url}\n${this.settings.username}\n${this.settings.password}`).digest('hex').slice(0, 32);
  }

  private async authenticate(): Promise<CachedToken> {
    const { username, password } = this.settings;
    let res: VendorResponse;
    try {
      res = await this.ctx.http.request({
        method: 'POST',
        path: '/security/user/authenticate',
        headers: { authorization: basic(username, password) },
        acceptStatus: [401, 403],
        retry: true,
      });
    } catch (error) {
      throw prefixed(error, 'Wazuh server API');
    }
    this.latencies.push(res.latencyMs);
    if (res.status === 401 || res.status === 403) {
      throw new ProviderError('auth', `Wazuh server API rejected the credentials of user "${username}" (HTTP ${res.status})${problemText(res)}`, res.status);
    }
    const body = res.json<{ data?: { token?: unknown }; error?: unknown }>();
    const token = str(body?.data?.token);
    if (!token) throw new ProviderError('bad_response', 'Wazuh server API: POST /security/user/authenticate answered without data.token');
    return { token, expiresAt: tokenExpiry(token), owner: this.owner };
  }

  /** A usable token: the cached one unless `fresh`, else one authentication shared by concurrent calls. */
  private async token(fresh: boolean): Promise<string> {
    const state = this.ctx.state;
    const cached = state.get(TOKEN_STATE_KEY) as CachedToken | undefined;
    if (!fresh && cached && cached.owner === this.owner && cached.expiresAt > Date.now()) return cached.token;
    const pending = state.get(PENDING_TOKEN_STATE_KEY) as { owner: string; promise: Promise<CachedToken> } | undefined;
    if (pending && pending.owner === this.owner) return (await pending.promise).token;
    const promise = this.authenticate().then((result) => {
      state.set(TOKEN_STATE_KEY, result);
      return result;
    });
    const entry = { owner: this.owner, promise };
    state.set(PENDING_TOKEN_STATE_KEY, entry);
    try {
      return (await promise).token;
    } finally {
      if (state.get(PENDING_TOKEN_STATE_KEY) === entry) state.delete(PENDING_TOKEN_STATE_KEY);
    }
  }

  private forget(token: string): void {
    const cached = this.ctx.state.get(TOKEN_STATE_KEY) as CachedToken | undefined;
    if (cached?.token === token) this.ctx.state.delete(TOKEN_STATE_KEY);
  }

  /** Authenticates now, whatever is cached (check() proves the credentials still work). */
  async login(): Promise<void> {
    const cached = this.ctx.state.get(TOKEN_STATE_KEY) as CachedToken | undefined;
    if (cached) this.forget(cached.token);
    await this.token(true);
  }

  /** A server API call with the Bearer token; a 401 (expired or revoked token) re-authenticates once. */
  async api(req: VendorRequest): Promise<VendorResponse> {
    const accept = req.acceptStatus ?? [];
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(attempt > 0);
      let res: VendorResponse;
      try {
        res = await this.ctx.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` }, acceptStatus: [...accept, 401, 403] });
      } catch (error) {
        throw prefixed(error, 'Wazuh server API');
      }
      this.latencies.push(res.latencyMs);
      if (res.status === 401 && !accept.includes(401)) {
        this.forget(token);
        if (attempt === 0) continue;
        throw new ProviderError('auth', `Wazuh server API rejected a freshly issued token (HTTP 401)${problemText(res)}`, 401);
      }
      if (res.status === 403 && !accept.includes(403)) {
        throw new ProviderError('auth', `Wazuh server API: user "${this.settings.username}" may not call ${req.method ?? 'GET'} ${req.path} (HTTP 403)${problemText(res)}`, 403);
      }
      return res;
    }
  }

  private indexerHttp(): VendorHttp {
    const { indexerUrl, verifyTls } = this.settings;
    const cached = this.ctx.state.get(INDEXER_HTTP_STATE_KEY) as IndexerHttpEntry | undefined;
    if (cached && cached.url === indexerUrl && cached.verifyTls === verifyTls) return cached.http;
    const http = createVendorHttp({ baseUrl: indexerUrl, verifyTls });
    this.ctx.state.set(INDEXER_HTTP_STATE_KEY, { url: indexerUrl, verifyTls, http } satisfies IndexerHttpEntry);
    return http;
  }

  /** An indexer (OpenSearch) call with Basic auth. */
  async indexer(req: VendorRequest): Promise<VendorResponse> {
    const { indexerUsername, indexerPassword } = this.settings;
    let res: VendorResponse;
    try {
      res = await this.indexerHttp().request({
        retry: true, // searches are idempotent
        ...req,
        headers: { ...req.headers, authorization: basic(indexerUsername, indexerPassword) },
        acceptStatus: [...(req.acceptStatus ?? []), 401, 403],
      });
    } catch (error) {
      throw prefixed(error, 'Wazuh indexer');
    }
    this.latencies.push(res.latencyMs);
    if (res.status === 401) throw new ProviderError('auth', `Wazuh indexer rejected the credentials of user "${indexerUsername}" (HTTP 401)`, 401);
    if (res.status === 403) {
      const reason = str(get(safeJson(res.text), 'error.reason'));
      throw new ProviderError('auth', `Wazuh indexer: user "${indexerUsername}" may not call ${req.method ?? 'GET'} ${req.path} (HTTP 403)${reason ? `: ${reason}` : ''}`, 403);
    }
    return res;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `data` of a Wazuh API answer; error 1 (some items failed) still carries data, error 2+ does not. */
function wazuhData(res: VendorResponse, what: string): Record<string, unknown> {
  const body = res.json<{ data?: unknown; error?: unknown; message?: unknown }>();
  if (body === null || typeof body !== 'object') throw new ProviderError('bad_response', `Wazuh server API: ${what} did not answer a JSON object`);
  if (typeof body.error === 'number' && body.error > 1) {
    throw new ProviderError('vendor_error', `Wazuh server API: ${what} failed (error ${body.error})${str(body.message) ? `: ${body.message as string}` : ''}`);
  }
  if (body.data === null || typeof body.data !== 'object') throw new ProviderError('bad_response', `Wazuh server API: ${what} answered without "data"`);
  return body.data as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Status

export interface AgentCounts {
  active: number;
  disconnected: number;
  never_connected: number;
  pending: number;
  total: number;
}

/** GET /agents/summary/status: `data.connection.{…}` from v4.4, flat `data.{…}` in v4.0–4.3. */
export function parseSummary(data: Record<string, unknown>): AgentCounts {
  const nested = data.connection !== null && typeof data.connection === 'object';
  const source = (nested ? data.connection : data) as Record<string, unknown>;
  const states = ['active', 'disconnected', 'never_connected', 'pending'] as const;
  if (!states.some((field) => typeof source[field] === 'number')) {
    throw new ProviderError('bad_response', 'Wazuh server API: GET /agents/summary/status has neither data.connection nor the v4.0-4.3 counts');
  }
  const count = (field: string): number => {
    const value = source[field] ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ProviderError('bad_response', `Wazuh server API: GET /agents/summary/status has an unusable "${field}" count`);
    }
    return value;
  };
  const counts = { active: count('active'), disconnected: count('disconnected'), never_connected: count('never_connected'), pending: count('pending'), total: 0 };
  counts.total = source.total === undefined ? counts.active + counts.disconnected + counts.never_connected + counts.pending : count('total');
  return counts;
}

const AGENT_STATUS: Record<string, AssetStatus> = { active: 'online', disconnected: 'offline', pending: 'warning', never_connected: 'unknown' };

interface WazuhAgent {
  id?: unknown;
  name?: unknown;
  ip?: unknown;
  status?: unknown;
  os?: { name?: unknown; version?: unknown; platform?: unknown };
  version?: unknown;
  lastKeepAlive?: unknown;
  dateAdd?: unknown;
  group?: unknown;
  node_name?: unknown;
}

const AGENT_FIELDS = 'id,name,ip,status,os.name,os.version,os.platform,version,lastKeepAlive,dateAdd,group,node_name';

function toAsset(agent: WazuhAgent): NormalizedAsset | null {
  const id = str(agent.id);
  if (!id) return null;
  const status = str(agent.status) ?? 'unknown';
  const os = [str(agent.os?.name), str(agent.os?.version)].filter(Boolean).join(' ');
  let lastKeepAlive = str(agent.lastKeepAlive) ?? null;
  // The manager's keep-alive is a placeholder far in the future (9999-12-31).
  if (lastKeepAlive?.startsWith('9999')) lastKeepAlive = null;
  return {
    external_id: id,
    name: str(agent.name) ?? id,
    kind: id === '000' ? 'manager' : 'agent',
    status: AGENT_STATUS[status] ?? 'unknown',
    detail: {
      wazuh_status: status,
      ip: str(agent.ip) ?? null,
      os: os || null,
      platform: str(agent.os?.platform) ?? null,
      version: str(agent.version) ?? null,
      lastKeepAlive,
      dateAdd: str(agent.dateAdd) ?? null,
      groups: Array.isArray(agent.group) ? agent.group.filter((g) => typeof g === 'string') : [],
      node: str(agent.node_name) ?? null,
    },
  };
}

async function listAgents(session: WazuhSession): Promise<{ assets: NormalizedAsset[]; total: number }> {
  const assets = new Map<string, NormalizedAsset>();
  let total = 0;
  let offset = 0;
  for (let page = 0; page < MAX_AGENT_PAGES; page++) {
    const res = await session.api({ path: '/agents', query: { offset, limit: AGENTS_PAGE_SIZE, sort: '+id', select: AGENT_FIELDS } });
    const data = wazuhData(res, 'GET /agents');
    const items = data.affected_items;
    if (!Array.isArray(items)) throw new ProviderError('bad_response', 'Wazuh server API: GET /agents answered without data.affected_items');
    if (typeof data.total_affected_items === 'number') total = data.total_affected_items;
    for (const item of items as WazuhAgent[]) {
      const asset = toAsset(item);
      if (asset) assets.set(asset.external_id, asset);
    }
    offset += items.length;
    if (items.length === 0 || offset >= total) break;
  }
  return { assets: [...assets.values()], total: Math.max(total, assets.size) };
}

/** GET /manager/status → daemons not running; null when the user may not read it (403). */
async function managerDaemons(session: WazuhSession): Promise<{ down: { name: string; state: string }[]; daemons: Record<string, string> } | null> {
  const res = await session.api({ path: '/manager/status', acceptStatus: [403] });
  if (res.status === 403) return null;
  const data = wazuhData(res, 'GET /manager/status');
  const first = Array.isArray(data.affected_items) ? (data.affected_items[0] as Record<string, unknown> | undefined) : undefined;
  if (!first || typeof first !== 'object') return null;
  const daemons: Record<string, string> = {};
  for (const [name, state] of Object.entries(first)) if (typeof state === 'string') daemons[name] = state;
  const down = ESSENTIAL_DAEMONS.filter((name) => daemons[name] !== undefined && daemons[name] !== 'running').map((name) => ({ name, state: daemons[name] as string }));
  return { down, daemons };
}

/** Seconds wazuh-analysisd has been running (GET /manager/daemons/stats, 4.4+); null when unavailable. */
async function managerUptime(session: WazuhSession): Promise<number | null> {
  const res = await session.api({ path: '/manager/daemons/stats', query: { daemons_list: 'wazuh-analysisd' }, acceptStatus: [400, 403, 404, 405] });
  if (res.status !== 200) return null;
  let data: Record<string, unknown>;
  try {
    data = wazuhData(res, 'GET /manager/daemons/stats');
  } catch {
    return null; // uptime is a nicety: never fail the report for it
  }
  const first = Array.isArray(data.affected_items) ? (data.affected_items[0] as Record<string, unknown> | undefined) : undefined;
  const started = parseTime(first?.uptime);
  if (started === undefined) return null;
  const at = parseTime(first?.timestamp) ?? Date.now();
  return at >= started ? Math.round((at - started) / 1000) : null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The status rule (docs/providers/wazuh.md): an essential manager daemon not running, no agents,
 * or more than half of the agents disconnected → alert; any agent disconnected → warning; else
 * online. Counts exclude the manager itself (agent 000).
 */
export function deriveStatus(counts: AgentCounts, down: { name: string; state: string }[]): { status: SystemStatus; summary: string } {
  const parts = [`${counts.active} of ${plural(counts.total, 'agent')} active`];
  if (counts.disconnected) parts.push(`${counts.disconnected} disconnected`);
  if (counts.pending) parts.push(`${counts.pending} pending`);
  if (counts.never_connected) parts.push(`${counts.never_connected} never connected`);
  const agents = parts.join(', ');
  if (down.length) {
    return { status: 'alert', summary: `manager daemon${down.length === 1 ? '' : 's'} not running: ${down.map((d) => `${d.name} (${d.state})`).join(', ')}; ${agents}` };
  }
  if (counts.total === 0) return { status: 'alert', summary: 'no agents registered with the manager' };
  if (counts.disconnected * 2 > counts.total) return { status: 'alert', summary: `${agents}: more than half of the agents are disconnected` };
  if (counts.disconnected > 0) return { status: 'warning', summary: agents };
  return { status: 'online', summary: agents };
}

async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const session = new WazuhSession(ctx);
  const counts = parseSummary(wazuhData(await session.api({ path: '/agents/summary/status' }), 'GET /agents/summary/status'));
  const { assets, total } = await listAgents(session);
  const daemons = await managerDaemons(session);
  const uptime = await managerUptime(session);

  // The summary counts the manager (agent 000, always "active") when the user may see it.
  const manager = assets.find((a) => a.kind === 'manager');
  if (manager) {
    const bucket = (manager.detail?.wazuh_status as keyof AgentCounts | undefined) ?? 'active';
    if (bucket !== 'total' && counts[bucket] > 0) counts[bucket]--;
    if (counts.total > 0) counts.total--;
    if (daemons?.down.length) manager.status = 'warning';
    if (daemons) manager.detail = { ...manager.detail, daemons: daemons.daemons };
  }
  const derived = deriveStatus(counts, daemons?.down ?? []);
  const { status } = derived;
  let { summary } = derived;
  if (assets.length < total) summary += ` (first ${assets.length} of ${total} agents listed)`;
  if (daemons === null) summary += ' (manager daemons not readable by this user)';
  return { status, summary, assets, metrics: { uptime, response_time_avg: mean(session.latencies) } };
}

// ---------------------------------------------------------------------------------------------
// Indexer searches

interface SearchHit {
  _index?: string;
  _id?: string;
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

function searchHits(res: VendorResponse, what: string): { hits: SearchHit[]; total: number | null } {
  const body = res.json<{ hits?: { hits?: unknown; total?: unknown }; _shards?: { successful?: unknown; failed?: unknown; failures?: unknown } }>();
  const shards = body?._shards;
  if (shards && typeof shards.failed === 'number' && shards.failed > 0 && shards.successful === 0) {
    const reason = str(get(Array.isArray(shards.failures) ? shards.failures[0] : undefined, 'reason.reason'));
    throw new ProviderError('vendor_error', `Wazuh indexer: every shard failed the ${what} search${reason ? `: ${reason}` : ''}`);
  }
  const hits = body?.hits?.hits;
  if (!Array.isArray(hits)) throw new ProviderError('bad_response', `Wazuh indexer: the ${what} search answered without hits.hits`);
  const rawTotal = body.hits?.total;
  const total = typeof rawTotal === 'number' ? rawTotal : typeof get(rawTotal, 'value') === 'number' ? (get(rawTotal, 'value') as number) : null;
  return { hits: hits as SearchHit[], total };
}

/** rule.level → severity (docs/providers/wazuh.md). */
export function levelSeverity(level: number): Severity {
  if (level >= 12) return 'critical';
  if (level >= 10) return 'high';
  if (level >= 7) return 'medium';
  if (level >= 4) return 'low';
  return 'info';
}

export function alertFromHit(hit: SearchHit): NormalizedAlert | null {
  const src = hit._source ?? {};
  const externalId = str(src.id) ?? (hit._id ? `${hit._index ?? ''}/${hit._id}` : undefined);
  const time = parseTime(src.timestamp) ?? parseTime(src['@timestamp']);
  if (!externalId || time === undefined) return null;
  const levelRaw = get(src, 'rule.level');
  const level = typeof levelRaw === 'number' ? levelRaw : Number(levelRaw);
  const ruleId = get(src, 'rule.id');
  const groups = get(src, 'rule.groups');
  const title = str(get(src, 'rule.description')) ?? `Wazuh rule ${String(ruleId ?? '?')}`;
  const location = str(src.location);
  return {
    external_id: externalId,
    title,
    description: str(src.full_log) ?? (location ? `${title} (${location})` : title),
    severity: Number.isFinite(level) ? levelSeverity(level) : 'info',
    vendor_severity: `level ${Number.isFinite(level) ? level : String(levelRaw)}`,
    source: `rule ${String(ruleId ?? '?')}${Array.isArray(groups) && groups.length ? ` (${groups.join(', ')})` : ''}`,
    time,
    asset: str(get(src, 'agent.name')) ?? str(get(src, 'agent.id')) ?? null,
  };
}

async function fetchAlerts(ctx: ProviderContext, since: number | undefined): Promise<NormalizedAlert[]> {
  const session = new WazuhSession(ctx);
  const now = Date.now();
  const from = since === undefined ? 'now-24h' : new Date(Math.max(since - ALERT_OVERLAP_MS, now - MAX_ALERT_WINDOW_MS)).toISOString();
  const alerts = new Map<string, NormalizedAlert>();
  let searchAfter: unknown[] | undefined;
  for (let page = 0; page < MAX_ALERT_PAGES; page++) {
    const res = await session.indexer({
      method: 'POST',
      path: `/${ALERTS_INDEX}/_search`,
      body: {
        size: ALERTS_PAGE_SIZE,
        // `id` (keyword) breaks timestamp ties so search_after never skips or repeats an alert.
        sort: [{ timestamp: { order: 'desc' } }, { id: { order: 'desc', unmapped_type: 'keyword' } }],
        query: { bool: { filter: [{ range: { timestamp: { gte: from } } }, { range: { 'rule.level': { gte: MIN_ALERT_LEVEL } } }] } },
        _source: ['id', 'timestamp', '@timestamp', 'rule.id', 'rule.level', 'rule.description', 'rule.groups', 'agent.id', 'agent.name', 'full_log', 'location'],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      },
    });
    const { hits } = searchHits(res, ALERTS_INDEX);
    for (const hit of hits) {
      const alert = alertFromHit(hit);
      if (alert && !alerts.has(alert.external_id)) alerts.set(alert.external_id, alert);
    }
    const last = hits[hits.length - 1];
    if (hits.length < ALERTS_PAGE_SIZE || !last || !Array.isArray(last.sort)) break;
    searchAfter = last.sort;
  }
  return [...alerts.values()];
}

/**
 * vulnerability.severity → severity: Critical/High/Medium/Low as themselves; Untriaged → medium
 * (Wazuh's own rule 23504 gives it Medium's level 7); "-" or anything else → from the CVSS base
 * score when there is one, else info.
 */
export function vulnerabilitySeverity(raw: unknown, score: number | null): Severity {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (value === 'critical' || value === 'high' || value === 'medium' || value === 'low') return value;
  if (value === 'untriaged') return 'medium';
  if (score !== null && score > 0) {
    if (score >= 9) return 'critical';
    if (score >= 7) return 'high';
    if (score >= 4) return 'medium';
    return 'low';
  }
  return 'info';
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** "Package less than 3.0.2-0ubuntu1.16" names the first fixed version; other conditions have none. */
export function fixedVersionFrom(condition: unknown): string | null {
  const match = typeof condition === 'string' ? /^Package less than (\S+)\s*$/i.exec(condition.trim()) : null;
  return match?.[1] ?? null;
}

export function vulnerabilityFromHit(hit: SearchHit): NormalizedVulnerability | null {
  const src = hit._source ?? {};
  const cve = str(get(src, 'vulnerability.id'));
  const agentId = str(get(src, 'agent.id'));
  if (!cve || !agentId) return null;
  const pkg = str(get(src, 'package.name')) ?? null;
  const version = str(get(src, 'package.version')) ?? null;
  const rawSeverity = get(src, 'vulnerability.severity');
  const scoreRaw = get(src, 'vulnerability.score.base');
  const scoreNum = typeof scoreRaw === 'number' ? scoreRaw : typeof scoreRaw === 'string' && scoreRaw !== '' ? Number(scoreRaw) : NaN;
  // A 0 score on a finding without severity ("-") means "not scored yet", not CVSS 0.0.
  const unscored = typeof rawSeverity !== 'string' || rawSeverity.trim() === '-' || rawSeverity.trim() === '';
  const score = Number.isFinite(scoreNum) && !(unscored && scoreNum === 0) ? scoreNum : null;
  const description = str(get(src, 'vulnerability.description'));
  const fallbackTitle = `${cve} in ${[pkg, version].filter(Boolean).join(' ') || 'the system'}`;
  return {
    external_id: `${agentId}:${cve}:${pkg ?? ''}`,
    cve,
    title: description ? truncate(description, 200) : fallbackTitle,
    severity: vulnerabilitySeverity(rawSeverity, score),
    cvss_score: score,
    asset: str(get(src, 'agent.name')) ?? agentId,
    package: pkg,
    version,
    fixed_version: str(get(src, 'vulnerability.fixed_version')) ?? str(get(src, 'package.fixed_version')) ?? fixedVersionFrom(get(src, 'vulnerability.scanner.condition')),
    detected_at: parseTime(get(src, 'vulnerability.detected_at')) ?? parseTime(get(src, 'vulnerability.published_at')) ?? Date.now(),
  };
}

async function fetchVulnerabilities(ctx: ProviderContext): Promise<NormalizedVulnerability[]> {
  const session = new WazuhSession(ctx);
  const findings = new Map<string, NormalizedVulnerability>();
  let searchAfter: unknown[] | undefined;
  const maxPages = Math.ceil(MAX_VULNERABILITIES / VULNERABILITIES_PAGE_SIZE);
  for (let page = 0; page < maxPages; page++) {
    const res = await session.indexer({
      method: 'POST',
      path: `/${VULNERABILITIES_INDEX}/_search`,
      body: {
        size: VULNERABILITIES_PAGE_SIZE,
        track_total_hits: page === 0,
        // Ties on all four keys are the same finding (same external_id): search_after skipping them loses nothing.
        sort: ['agent.id', 'vulnerability.id', 'package.name', 'package.version'].map((field) => ({ [field]: { order: 'asc', missing: '_last', unmapped_type: 'keyword' } })),
        query: { match_all: {} },
        _source: [
          'agent.id', 'agent.name', 'package.name', 'package.version', 'package.fixed_version',
          'vulnerability.id', 'vulnerability.severity', 'vulnerability.score.base', 'vulnerability.description',
          'vulnerability.detected_at', 'vulnerability.published_at', 'vulnerability.scanner.condition', 'vulnerability.fixed_version',
        ],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      },
    });
    const { hits, total } = searchHits(res, VULNERABILITIES_INDEX);
    if (page === 0 && total !== null && total > MAX_VULNERABILITIES) {
      // A partial list would make the rest look fixed: fail loudly instead.
      throw new ProviderError('vendor_error', `Wazuh indexer holds ${total} vulnerability findings, more than the ${MAX_VULNERABILITIES} Sentinel reads in one sync`);
    }
    for (const hit of hits) {
      const finding = vulnerabilityFromHit(hit);
      if (finding && !findings.has(finding.external_id)) findings.set(finding.external_id, finding);
    }
    const last = hits[hits.length - 1];
    if (hits.length < VULNERABILITIES_PAGE_SIZE || !last || !Array.isArray(last.sort)) return [...findings.values()];
    searchAfter = last.sort;
  }
  throw new ProviderError('vendor_error', `Wazuh indexer: more than ${MAX_VULNERABILITIES} vulnerability findings; refusing to return a partial list`);
}

// ---------------------------------------------------------------------------------------------
// check

async function check(ctx: ProviderContext): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let session: WazuhSession;
  try {
    session = new WazuhSession(ctx);
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, latency_ms: elapsed(), detail: error.message };
    throw error;
  }
  let server: string;
  let serverOk = false;
  try {
    await session.login();
    const counts = parseSummary(wazuhData(await session.api({ path: '/agents/summary/status' }), 'GET /agents/summary/status'));
    server = `server API ok (${plural(counts.total, 'agent')} registered, the manager included)`;
    serverOk = true;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    server = `server API failed: ${error.message}`;
  }
  let indexer: string;
  let indexerOk = false;
  try {
    const res = await session.indexer({ path: '/', retry: true });
    const body = safeJson(res.text);
    const cluster = str(get(body, 'cluster_name'));
    const version = str(get(body, 'version.number'));
    indexer = `indexer ok${cluster || version ? ` (${[cluster && `cluster ${cluster}`, version && `version ${version}`].filter(Boolean).join(', ')})` : ''}`;
    indexerOk = true;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    indexer = `indexer failed: ${error.message}`;
  }
  return { ok: serverOk && indexerOk, latency_ms: elapsed(), detail: `${server}; ${indexer}` };
}

const provider: Provider = { check, fetchStatus, fetchAlerts, fetchVulnerabilities };

export const definition: ProviderDefinition = {
  type: 'wazuh',
  label: 'Wazuh',
  capabilities: ['ALERTING', 'VULNERABILITY_FEED', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'VULNERABILITY_FEED', 'STATUS'],
  configSchema: configSchema('wazuh', {
    username: Type.String({ minLength: 1, maxLength: 256, description: 'Wazuh server API user' }),
    indexer_url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'Wazuh indexer (OpenSearch) URL, port 9200' }),
    indexer_username: Type.String({ minLength: 1, maxLength: 256, description: 'Wazuh indexer user' }),
  }),
  secretSchema: Type.Object({ password: Type.String({ minLength: 1, maxLength: 4096 }), indexer_password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  secretRequired: true,
  // Alerts come from the alerts index: events since the last sync, not the set of open alerts.
  alertMode: 'events',
  provider,
};
