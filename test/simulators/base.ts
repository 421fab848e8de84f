import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fault injection shared by every vendor simulator. Faults apply to requests whose path matches
 * `pathPrefix` (default: all) and count down per request.
 */
export interface Faults {
  /** Added delay before answering, ms. */
  latencyMs?: number;
  /** The next `count` requests answer this status (with `body` or the vendor's usual error body). */
  status?: { code: number; count: number; body?: string; headers?: Record<string, string> };
  /** The next `count` requests answer 429 with Retry-After (seconds). */
  rateLimit?: { count: number; retryAfterSeconds: number };
  /**
   * The next `count` requests answer this redirect status with a Location: `location(url)` given
   * the request's path and query, or by default the same URL on this simulator (followed once).
   */
  redirect?: { code: number; count: number; location?: (pathAndQuery: string) => string };
  /** The next `count` requests answer 200 with a body that is not valid JSON. */
  badJson?: { count: number };
  /** Only requests whose path starts with this are affected. */
  pathPrefix?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SimRequest extends RecordedRequest {
  raw: IncomingMessage;
}

export type SimHandler = (req: SimRequest, res: ServerResponse) => void | Promise<void>;

export interface Simulator {
  url: string;
  port: number;
  faults: Faults;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a vendor simulator on a loopback port. `rateLimitBody` is the vendor's own 429 body (as
 * text, with its content type) used by the rateLimit fault.
 */
export async function startSimulator(
  handler: SimHandler,
  options: { rateLimitBody?: { text: string; contentType: string }; errorBody?: (status: number) => { text: string; contentType: string } } = {},
): Promise<Simulator> {
  const faults: Faults = {};
  const requests: RecordedRequest[] = [];
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', async () => {
      const url = new URL(raw.url ?? '/', 'http://simulator');
      const req: SimRequest = { method: raw.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: raw.headers, body: Buffer.concat(chunks).toString('utf8'), raw };
      requests.push({ method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body });
      try {
        const applies = faults.pathPrefix === undefined || req.path.startsWith(faults.pathPrefix);
        if (applies && faults.latencyMs) await sleep(faults.latencyMs);
        if (applies && faults.rateLimit && faults.rateLimit.count > 0) {
          faults.rateLimit.count--;
          const body = options.rateLimitBody ?? { text: '{"error":"rate limited"}', contentType: 'application/json' };
          return sendText(res, 429, body.text, body.contentType, { 'retry-after': String(faults.rateLimit.retryAfterSeconds) });
        }
        if (applies && faults.status && faults.status.count > 0) {
          faults.status.count--;
          const fallback = options.errorBody?.(faults.status.code) ?? { text: '{"error":"injected"}', contentType: 'application/json' };
          return sendText(res, faults.status.code, faults.status.body ?? fallback.text, fallback.contentType, faults.status.headers);
        }
        if (applies && faults.redirect && faults.redirect.count > 0) {
          faults.redirect.count--;
          const pathAndQuery = raw.url ?? '/';
          const location = faults.redirect.location?.(pathAndQuery) ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathAndQuery}`;
          return sendText(res, faults.redirect.code, '<html><body>Moved</body></html>', 'text/html', { location });
        }
        if (applies && faults.badJson && faults.badJson.count > 0) {
          faults.badJson.count--;
          return sendText(res, 200, '{"data": [truncated', 'application/json');
        }
        await handler(req, res);
      } catch (error) {
        if (!res.headersSent) sendText(res, 500, `simulator error: ${(error as Error).message}`, 'text/plain');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
