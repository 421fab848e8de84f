import { ProviderError, type VendorRequest, type VendorResponse } from '../../vendor-http.ts';
import { isObject, secretString } from '../common.ts';
import type { ProviderContext } from '../types.ts';

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const token = (ctx: ProviderContext) => secretString(ctx, 'no Grafana service-account token is configured');

/** An authenticated Grafana call (Authorization: Bearer <service-account token>). */
export function call(ctx: ProviderContext, req: VendorRequest): Promise<VendorResponse> {
  return ctx.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${token(ctx)}` } });
}

/** GET /api/health: no auth; 503 {"database":"failing"} is an answer, not an error. */
export async function health(ctx: ProviderContext): Promise<{ ok: boolean; version: string | null; response: VendorResponse }> {
  const response = await ctx.http.request({ path: '/api/health', acceptStatus: [503] });
  // A 503 from a proxy in front of Grafana may not be JSON: still "not healthy".
  if (response.status === 503 && !/^\s*\{/.test(response.text)) return { ok: false, version: null, response };
  const body = response.json<unknown>();
  if (!isObject(body)) throw new ProviderError('bad_response', 'the /api/health answer is not an object');
  return { ok: response.status === 200 && body.database === 'ok', version: str(body.version) ?? null, response };
}
