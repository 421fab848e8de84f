import { ProviderError, type VendorResponse } from '../../vendor-http.ts';
import { secretString } from '../common.ts';
import type { ProviderContext } from '../types.ts';

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
