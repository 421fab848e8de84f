import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import type { Config } from './config.ts';
import { CACHED_RESOURCES, EVENT_NAMES, MODULES } from './modules/index.ts';
import { registerGuard } from './platform/auth/guard.ts';
import { registerTenantContext } from './platform/auth/tenant-scope.ts';
import type { Db } from './platform/db/database.ts';
import { buildSerializerOncePerSchema } from './platform/http/compile-once.ts';
import { MAX_PATH_PARAMETER_LENGTH, clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './platform/http/errors.ts';
import { serverAnsweringHeadAsGet } from './platform/http/head-requests.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerResponseCache } from './platform/http/response-cache.ts';
import { Problem } from './platform/http/schemas.ts';
import { registerSecurity } from './platform/http/security.ts';
import { registerValidation } from './platform/http/validation.ts';
import { registerMetrics } from './platform/metrics.ts';
import type { AppServices } from './services.ts';

export { createServices, type AppServices, type Services } from './services.ts';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,128}$/;
const API_PREFIX = '/api/v1';

/**
 * The HTTP app. Per request, in order: request id and security headers, the caller (guard,
 * onRequest), rate limit, the route's access (guard, preParsing), body and query validation, the
 * acting tenant (tenant context, preHandler), the response cache, the handler; then the write and
 * read audit (guard, onSend).
 */
export async function buildApp(config: Config, db: Db, services: AppServices): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // A client has 10 s to send its headers and 30 s for its whole request, so slow-drip
    // connections cannot pile up; Node checks every second (its default, 30 s, let them last a minute).
    requestTimeout: 30_000,
    http: { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
    // HEAD is answered by the GET route, body dropped (src/platform/http/head-requests.ts).
    serverFactory: serverAnsweringHeadAsGet,
    exposeHeadRoutes: false,
    // Accept a caller's request id only when it looks like one; otherwise mint our own.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // Requests refused before any route (bad URL) or by the HTTP parser also answer problem+json.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    schemaController: { compilersFactory: { buildSerializer: buildSerializerOncePerSchema } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  // A JSON API: anything but application/json bodies is 415.
  app.removeContentTypeParser('text/plain');
  registerValidation(app);
  registerErrorHandling(app);
  // Shared schemas are added at the root: adding them inside a plugin would give that plugin a
  // schema controller with Fastify's default validator (which strips unknown fields silently).
  app.addSchema(Problem);
  for (const module of MODULES) for (const schema of module.schemas ?? []) app.addSchema(schema);
  const metrics = registerMetrics(app);
  registerGuard(app, { tokens: services.tokens, resolvePrincipal: services.auth.resolvePrincipal, explainRejection: services.auth.explainRejection, resolveApiKey: services.apiKeys.resolve, audit: services.audit, transaction: (work) => db.transaction(work) });
  registerTenantContext(app, { tenantExists: services.tenantExists });
  registerResponseCache(app, { resources: CACHED_RESOURCES, maxBytes: config.responseCacheBytes, dataVersions: db.dataVersions, registry: metrics.registry });
  app.addHook('onClose', async () => services.audit.flushReads());
  await registerSecurity(app, config, services.shared.counters('rate'));
  await registerOpenApi(app);
  await app.register(websocket, { options: { maxPayload: 4096 } });

  const context = { services, config, db, metrics: metrics.registry, events: EVENT_NAMES };
  for (const module of MODULES) {
    if (module.routes !== undefined) await app.register(module.routes(context), { prefix: module.prefix ?? API_PREFIX });
  }
  return app;
}
