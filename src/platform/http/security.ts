import cors from '@fastify/cors';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import type { CounterStore } from '../cluster-state/counter-store.ts';
import { tooManyRequests } from './errors.ts';
import { say } from '../languages.ts';

/**
 * Security headers, the same on every response, computed once: the helmet plugin rebuilt them (and
 * re-parsed the CSP) per response, about 5 % of the CPU of a small request.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI sets inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(';');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** The rate limit's windows in a counter store (shared by every node with Redis); a route with limits of its own counts under its own prefix. */
function rateLimitStore(counters: CounterStore): FastifyRateLimitStoreCtor {
  const storeWithPrefix = (prefix: string): FastifyRateLimitStore => ({
    incr(key, callback, timeWindow) {
      counters.hit(`${prefix}${key}`, timeWindow).then(
        ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
        (error: Error) => callback(error),
      );
    },
    child: (route) => storeWithPrefix(`${prefix}${route.method}${route.url}-`),
  });
  // The plugin constructs its store (`new Store(options)`); a constructor may hand back another object.
  return class {
    constructor() {
      return storeWithPrefix('');
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

export async function registerSecurity(app: FastifyInstance, config: Config, rateCounters: CounterStore): Promise<void> {
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  // The CORS plugin answers preflights in its onRequest hook; its catch-all OPTIONS route only
  // answers 404 (CORS off), to anyone. Declared here, as the plugin's own routes cannot be.
  app.addHook('onRoute', (route) => {
    if (route.method === 'OPTIONS' && route.url === '*') route.config = { ...route.config, access: 'public' };
  });
  await app.register(cors, {
    // Only listed origins get CORS headers; with none configured, browsers allow same-origin only.
    origin: config.corsOrigins.length === 0 ? false : config.corsOrigins,
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    exposedHeaders: ['X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'],
    maxAge: 600,
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    store: rateLimitStore(rateCounters),
    // The auth hook has already run: signed-in callers are limited per user, others per IP.
    keyGenerator: (request) => (request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`),
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000)), say(`Rate limit of ${context.max} requests per minute exceeded`, `Se superó el límite de ${context.max} solicitudes por minuto`)),
  });
}
