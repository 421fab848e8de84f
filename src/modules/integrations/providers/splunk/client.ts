import { ProviderError, type VendorRequest, type VendorResponse } from '../../vendor-http.ts';
import { forgetCredential, issuedCredential } from '../common.ts';
import type { ProviderContext } from '../types.ts';

export interface SplunkMessage {
  type?: string;
  text?: string;
}

export interface EntryList<T> {
  entry?: { name?: string; content?: T }[];
  messages?: SplunkMessage[];
}

/** ctx.state key of the session key obtained from a username and password. */
const SESSION_STATE_KEY = 'splunk:session';

type Credentials = { token: string } | { username: string; password: string };


/** An authentication token (a string) or a username and password (exchanged for a session key). */
export function credentials(ctx: ProviderContext): Credentials {
  const secret = ctx.secret;
  if (typeof secret === 'string' && secret.trim() !== '') return { token: secret.trim() };
  if (secret !== null && typeof secret === 'object' && typeof secret.username === 'string' && secret.username !== '' && typeof secret.password === 'string' && secret.password !== '') {
    return { username: secret.username, password: secret.password };
  }
  throw new ProviderError('config', 'a Splunk authentication token is required (or a username and password)');
}

/** POST /services/auth/login → the session key, sent back as `Authorization: Splunk <key>`. */
async function login(ctx: ProviderContext, username: string, password: string): Promise<string> {
  const res = await ctx.http.request({
    method: 'POST',
    path: '/services/auth/login',
    body: new URLSearchParams({ username, password, output_mode: 'json' }),
    acceptStatus: [400, 401],
    retry: true,
  });
  if (res.status === 400 || res.status === 401) throw new ProviderError('auth', `Splunk rejected the username or password of user "${username}" (HTTP ${res.status})`, res.status);
  // JSON as asked; Splunk's default XML (<response><sessionKey>…</sessionKey></response>) is read too.
  const xmlKey = /<sessionKey>\s*([^<\s]+)\s*<\/sessionKey>/.exec(res.text)?.[1];
  const key = xmlKey ?? res.json<{ sessionKey?: unknown }>()?.sessionKey;
  if (typeof key !== 'string' || key === '') throw new ProviderError('bad_response', 'Splunk: POST /services/auth/login answered without a sessionKey');
  return key;
}

/**
 * An authenticated call: `Bearer <token>`, or `Splunk <session key>`. A session expires after an
 * idle time (401): the key is dropped, a new one obtained once, and the call repeated.
 */
export async function splunkRequest(ctx: ProviderContext, req: VendorRequest): Promise<VendorResponse> {
  const creds = credentials(ctx);
  if ('token' in creds) return ctx.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${creds.token}` } });
  for (let relogged = false; ; relogged = true) {
    const { key, fresh } = await issuedCredential(ctx, SESSION_STATE_KEY, creds, () => login(ctx, creds.username, creds.password));
    const res = await ctx.http.request({ ...req, headers: { ...req.headers, authorization: `Splunk ${key}` }, acceptStatus: [...(req.acceptStatus ?? []), 401] });
    if (res.status !== 401 || req.acceptStatus?.includes(401)) return res;
    forgetCredential(ctx, SESSION_STATE_KEY, key);
    if (fresh || relogged) throw new ProviderError('auth', 'Splunk rejected a fresh session key (HTTP 401)', 401);
  }
}

export async function getJson<T>(ctx: ProviderContext, path: string, acceptStatus?: number[]): Promise<{ body: T | undefined; res: VendorResponse }> {
  const res = await splunkRequest(ctx, { path, query: { output_mode: 'json' }, acceptStatus });
  if (res.status < 200 || res.status >= 300) return { body: undefined, res };
  return { body: res.json<T>(), res };
}

export function firstContent<T>(body: EntryList<T> | undefined, what: string): T {
  const content = body?.entry?.[0]?.content;
  if (content === undefined || content === null || typeof content !== 'object') {
    throw new ProviderError('bad_response', `Splunk ${what}: no entry[0].content in the answer`);
  }
  return content;
}
