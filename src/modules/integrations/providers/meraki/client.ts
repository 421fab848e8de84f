import { ProviderError } from '../../vendor-http.ts';
import { secretString } from '../common.ts';
import type { ProviderContext } from '../types.ts';

/** Pages followed per listing before giving up (50 × 1000 devices is far beyond real organizations). */
export const MAX_PAGES = 50;

export function organizationId(ctx: ProviderContext): string {
  const id = ctx.config.organization_id;
  if (typeof id !== 'string' || id === '') throw new ProviderError('config', 'organization_id is required');
  return id;
}

/**
 * The API key in both schemes of the v1 OpenAPI spec: `Authorization: Bearer` (the one the v1
 * Authorization page documents) and `X-Cisco-Meraki-API-Key` (the original one): either suffices.
 */
export function headers(ctx: ProviderContext): Record<string, string> {
  const key = secretString(ctx, 'a Meraki dashboard API key is required');
  return { authorization: `Bearer ${key}`, 'x-cisco-meraki-api-key': key };
}

/** The target of the `rel=next` link in an RFC 5988 Link header, if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!value) return undefined;
  for (const match of value.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return match[1];
  }
  return undefined;
}

/**
 * Every item of a paginated listing: the first page with `query`, then the `rel=next` links as the
 * API gives them (clients must not build tokens themselves), at most MAX_PAGES pages.
 */
export async function listAll<T>(ctx: ProviderContext, path: string, query: Record<string, string | number | boolean>, latencies: number[]): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let url: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.http.request(url === undefined ? { path, query, headers: headers(ctx) } : { path: url, headers: headers(ctx) });
    latencies.push(res.latencyMs);
    const body = res.json<unknown>();
    if (!Array.isArray(body)) throw new ProviderError('bad_response', `Meraki ${path}: expected a JSON array`);
    items.push(...(body as T[]));
    const next = nextLink(res.headers.link);
    if (next === undefined) return items;
    // Links are absolute; a relative one is resolved against the configured base URL.
    const absolute = new URL(next, ctx.http.baseUrl.endsWith('/') ? ctx.http.baseUrl : `${ctx.http.baseUrl}/`).href;
    if (seen.has(absolute)) throw new ProviderError('bad_response', `Meraki ${path}: the pagination links loop`);
    seen.add(absolute);
    url = absolute;
  }
  throw new ProviderError('bad_response', `Meraki ${path}: more than ${MAX_PAGES} pages, giving up`);
}
