import { ProviderError, type VendorResponse } from '../../vendor-http.ts';
import { secretString } from '../shared.ts';
import type { ProviderContext } from '../types.ts';

/*
 * Splunk Enterprise (+ Enterprise Security) over the management port (8089).
 *
 * - Auth: an authentication token (Settings > Tokens), sent as `Authorization: Bearer <token>`.
 * - Status: GET /services/server/info and GET /services/server/health/splunkd (both output_mode=json).
 * - Alerts: ES notables through the streaming v2 export endpoint (POST /services/search/v2/jobs/export),
 *   never the v1 /services/search/jobs/* endpoints (disabled since Splunk 9.0.1).
 * See docs/providers/splunk.md.
 */

export interface SplunkMessage {
  type?: string;
  text?: string;
}

export interface EntryList<T> {
  entry?: { name?: string; content?: T }[];
  messages?: SplunkMessage[];
}

export function authHeaders(ctx: ProviderContext): Record<string, string> {
  return { authorization: `Bearer ${secretString(ctx, 'a Splunk authentication token is required')}` };
}

export async function getJson<T>(ctx: ProviderContext, path: string, acceptStatus?: number[]): Promise<{ body: T | undefined; res: VendorResponse }> {
  const res = await ctx.http.request({ path, query: { output_mode: 'json' }, headers: authHeaders(ctx), acceptStatus });
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
