import type { Dispatcher, request as undiciRequest } from 'undici';
import { refusingForbiddenAddresses, urlNamesForbiddenAddress } from '../../platform/net/outbound-address.ts';
import { say, type Localized } from '../../platform/languages.ts';

/** Why a vendor call failed, in words the sync, the API and the UI can act on. */
export const PROVIDER_ERROR_KINDS = [
  'auth', // credentials rejected (401/403, PAN-OS code 403 …)
  'unreachable', // connection refused, DNS, TLS
  'timeout',
  'rate_limited', // 429 after the retries
  'vendor_error', // 5xx after the retries, or an error the vendor reports in its body
  'bad_response', // not the documented shape (bad JSON, missing fields)
  'not_found',
  'config', // the integration's own config is unusable (e.g. missing secret)
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  /** The message in every language, where Sentinel says it (a vendor's own words stay as they are). */
  readonly localized?: Localized;

  constructor(kind: ProviderErrorKind, message: string | Localized, status?: number) {
    super(typeof message === 'string' ? message : message.en);
    this.kind = kind;
    this.status = status;
    if (typeof message !== 'string') this.localized = message;
  }
}

export interface VendorRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path relative to the base URL ("/api/health"), or an absolute URL on the same host (Link headers). */
  path: string;
  query?: Record<string, string | number | boolean | readonly (string | number)[] | undefined>;
  headers?: Record<string, string>;
  /** A string is sent as is; URLSearchParams as a form; anything else as JSON. */
  body?: string | URLSearchParams | Record<string, unknown> | unknown[];
  /** Statuses to hand back to the caller instead of throwing (e.g. [401] to re-authenticate). */
  acceptStatus?: number[];
  /**
   * Retry 429/502/503/504 and network errors (default: GET only; set true for idempotent POSTs).
   * `unprocessed`: retry only answers that prove the vendor did not act on the request (429, 503, a
   * refused connection or an unknown host), for a POST whose repetition would do the work twice.
   */
  retry?: boolean | 'unprocessed';
  timeoutMs?: number;
}

export interface VendorResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parses the body as JSON; a ProviderError('bad_response') when it is not. */
  json<T = unknown>(): T;
  /** Wall time of the successful attempt, ms. */
  latencyMs: number;
}

export interface VendorHttp {
  readonly baseUrl: string;
  request(req: VendorRequest): Promise<VendorResponse>;
  /** Latencies of the calls made so far (for response_time_avg), cleared by the caller. */
  readonly latencies: number[];
}

export interface VendorHttpOptions {
  baseUrl: string;
  verifyTls: boolean;
  timeoutMs?: number;
  maxRetries?: number;
  /** Longest Retry-After honoured; longer ones fail the call as rate_limited. */
  maxRetryAfterMs?: number;
  /** Base of the exponential backoff between retries. */
  backoffMs?: number;
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** Refusals before any work: a rate limit or quota, an unavailable service (a gateway's 502/504 may come after the work). */
const UNPROCESSED_STATUSES = new Set([429, 503]);
/** Failures before the request left: nothing reached the vendor. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Redirects followed per call (same host only: credentials never go elsewhere). */
const MAX_REDIRECTS = 5;
// undici (~0.2 s of CPU to load) is imported at the first vendor call, not at start-up.
let undici: Promise<{ request: typeof undiciRequest; agents: { strict: Dispatcher; insecure: Dispatcher } }> | undefined;
function loadUndici() {
  undici ??= import('undici').then(({ Agent, request }) => {
    // A vendor's host name may resolve to an address no integration may reach (cloud metadata).
    const lookup = refusingForbiddenAddresses();
    return {
      request,
      agents: { strict: new Agent({ keepAliveTimeout: 10_000, connect: { lookup } }), insecure: new Agent({ keepAliveTimeout: 10_000, connect: { lookup, rejectUnauthorized: false } }) },
    };
  });
  return undici;
}

/** Retry-After as seconds or an HTTP date → ms (undefined when absent or unparsable). */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function buildUrl(baseUrl: string, path: string, query: VendorRequest['query']): URL {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), base);
  if (url.origin !== base.origin) throw new ProviderError('bad_response', `refusing to follow a link to another host (${url.origin})`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.set(key, String(value));
  }
  return url;
}

function classify(status: number, text: string): ProviderError {
  const snippet = text.slice(0, 200).replace(/\s+/g, ' ').trim();
  if (status === 401 || status === 403) return new ProviderError('auth', `credentials rejected (HTTP ${status})${snippet ? `: ${snippet}` : ''}`, status);
  if (status === 404) return new ProviderError('not_found', say('not found (HTTP 404)', 'no encontrado (HTTP 404)'), status);
  if (status === 429) return new ProviderError('rate_limited', 'rate limited by the vendor (HTTP 429)', status);
  if (status >= 500) return new ProviderError('vendor_error', `vendor error (HTTP ${status})${snippet ? `: ${snippet}` : ''}`, status);
  return new ProviderError('bad_response', `unexpected HTTP ${status}${snippet ? `: ${snippet}` : ''}`, status);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a redirect leads: same origin only (the call carries credentials), at most MAX_REDIRECTS hops. */
function redirectTarget(from: URL, location: string | string[] | undefined, status: number, followed: number): URL {
  const raw = Array.isArray(location) ? location[0] : location;
  if (raw === undefined || raw.trim() === '') throw new ProviderError('bad_response', `the vendor answered a redirect (HTTP ${status}) without a Location`, status);
  let target: URL;
  try {
    target = new URL(raw.trim(), from);
  } catch {
    throw new ProviderError('bad_response', `the vendor answered a redirect (HTTP ${status}) to an unusable Location`, status);
  }
  if (target.origin !== from.origin) throw new ProviderError('bad_response', `the vendor redirected (HTTP ${status}) to another host (${target.origin}); set the integration's URL to that host`, status);
  if (followed >= MAX_REDIRECTS) throw new ProviderError('bad_response', `more than ${MAX_REDIRECTS} redirects (HTTP ${status})`, status);
  return target;
}

/**
 * The one way providers talk to vendors: every call has a timeout; 429 and 502-504 (and network
 * errors on idempotent calls; only 429, 503 and refused connections for `retry: 'unprocessed'`)
 * are retried with exponential backoff and jitter, honouring Retry-After; failures become
 * ProviderErrors with a kind.
 */
export function createVendorHttp(options: VendorHttpOptions): VendorHttp {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const backoffMs = options.backoffMs ?? 250;
  const latencies: number[] = [];

  return {
    baseUrl: options.baseUrl,
    latencies,
    async request(req) {
      let method = req.method ?? 'GET';
      let url = buildUrl(options.baseUrl, req.path, req.query);
      // A literal address is never resolved, so the lookup below cannot refuse it (a URL saved before the rule).
      if (urlNamesForbiddenAddress(url.href)) throw new ProviderError('config', `${url.hostname} is a link-local, multicast or unspecified address (refused)`);
      let redirects = 0;
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Sentinel', ...req.headers };
      let body: string | undefined;
      if (req.body instanceof URLSearchParams) {
        body = req.body.toString();
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
      } else if (typeof req.body === 'string') {
        body = req.body;
      } else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
      const retry = req.retry ?? method === 'GET';
      const retriesStatus = (status: number) => (retry === 'unprocessed' ? UNPROCESSED_STATUSES.has(status) : retry && RETRYABLE.has(status));
      const retriesError = (error: unknown) => retry === true || (retry === 'unprocessed' && NOT_SENT_CODES.has((error as { code?: string }).code ?? ''));
      const { request, agents } = await loadUndici();
      const dispatcher = options.verifyTls ? agents.strict : agents.insecure;

      // `attempt` counts retries; a redirect followed is not one.
      for (let attempt = 0; ;) {
        const started = performance.now();
        let status: number;
        let text: string;
        let responseHeaders: Record<string, string | string[] | undefined>;
        try {
          const response = await request(url, {
            method, headers, body, dispatcher,
            signal: AbortSignal.timeout(req.timeoutMs ?? timeoutMs),
            headersTimeout: req.timeoutMs ?? timeoutMs,
            bodyTimeout: req.timeoutMs ?? timeoutMs,
          });
          status = response.statusCode;
          responseHeaders = response.headers;
          text = await response.body.text();
        } catch (error) {
          const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError' || /timeout/i.test((error as { code?: string }).code ?? '');
          if (retriesError(error) && attempt < maxRetries && !timedOut) {
            await sleep(backoffMs * 2 ** attempt++ * (0.5 + Math.random()));
            continue;
          }
          if (timedOut) throw new ProviderError('timeout', `no answer within ${req.timeoutMs ?? timeoutMs} ms`);
          throw new ProviderError('unreachable', `cannot reach ${url.origin}: ${(error as { code?: string }).code ?? (error as Error).message}`);
        }
        const latencyMs = Math.round(performance.now() - started);
        if (REDIRECTS.has(status) && !req.acceptStatus?.includes(status)) {
          url = redirectTarget(url, responseHeaders.location, status, redirects++);
          // 303 (and 301/302 after a POST, as browsers do) turns the call into a GET without a body.
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          continue;
        }
        if (retriesStatus(status) && attempt < maxRetries && !req.acceptStatus?.includes(status)) {
          const wait = retryAfterMs(responseHeaders['retry-after']) ?? backoffMs * 2 ** attempt * (0.5 + Math.random());
          if (wait <= maxRetryAfterMs) {
            await sleep(wait);
            attempt++;
            continue;
          }
        }
        if ((status < 200 || status >= 300) && !req.acceptStatus?.includes(status)) throw classify(status, text);
        latencies.push(latencyMs);
        return {
          status,
          headers: responseHeaders,
          text,
          latencyMs,
          json<T>() {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new ProviderError('bad_response', `the vendor answered something that is not JSON (HTTP ${status})`);
            }
          },
        };
      }
    },
  };
}
