import { ProviderError, type VendorResponse } from '../../vendor-http.ts';
import type { ProviderContext } from '../types.ts';

// The Prometheus HTTP API (/api/v1): every answer is {status: "success"|"error", data, errorType, error}.

interface Envelope<T> {
  status?: string;
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/** A query answer (query, query_range). */
export interface RangeResult {
  resultType?: string;
  result?: unknown;
}

function authHeaders(ctx: ProviderContext): Record<string, string> {
  const secret = ctx.secret;
  if (typeof secret === 'string' && secret.trim() !== '') return { authorization: `Bearer ${secret.trim()}` };
  return {};
}

/** One /api/v1 call: the `data` of a success envelope; an error envelope (400/422) → bad_response. */
export async function api<T>(ctx: ProviderContext, path: string, query: Record<string, string | number | undefined> = {}, acceptNotFound = false): Promise<{ data: T | undefined; response: VendorResponse }> {
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
