import { createHash } from 'node:crypto';
import { createVendorHttp, ProviderError, type VendorHttp, type VendorRequest, type VendorResponse } from '../../vendor-http.ts';
import type { ProviderContext } from '../types.ts';

/** Token lifetime assumed when the JWT does not say (Wazuh's auth_token_exp_timeout default). */
export const DEFAULT_TOKEN_TTL_MS = 900_000;

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

export function str(value: unknown): string | undefined {
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

export function get(source: unknown, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * One provider call: the server API with a reused JWT (re-authenticating once on a 401) and the
 * indexer with Basic auth; records the latency of every call it makes.
 */
export class WazuhSession {
  readonly latencies: number[] = [];
  readonly settings: WazuhSettings;
  private readonly owner: string;
  private readonly ctx: ProviderContext;

  constructor(ctx: ProviderContext) {
    this.ctx = ctx;
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

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `data` of a Wazuh API answer; error 1 (some items failed) still carries data, error 2+ does not. */
export function wazuhData(res: VendorResponse, what: string): Record<string, unknown> {
  const body = res.json<{ data?: unknown; error?: unknown; message?: unknown }>();
  if (body === null || typeof body !== 'object') throw new ProviderError('bad_response', `Wazuh server API: ${what} did not answer a JSON object`);
  if (typeof body.error === 'number' && body.error > 1) {
    throw new ProviderError('vendor_error', `Wazuh server API: ${what} failed (error ${body.error})${str(body.message) ? `: ${body.message as string}` : ''}`);
  }
  if (body.data === null || typeof body.data !== 'object') throw new ProviderError('bad_response', `Wazuh server API: ${what} answered without "data"`);
  return body.data as Record<string, unknown>;
}

// Indexer searches

export interface SearchHit {
  _index?: string;
  _id?: string;
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

export function searchHits(res: VendorResponse, what: string): { hits: SearchHit[]; total: number | null } {
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
