import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import type { Db } from './platform/db/database.ts';
import { registerGuard } from './platform/auth/guard.ts';
import { registerTenantContext } from './platform/auth/tenant-scope.ts';
import { createLoginThrottle } from './modules/auth/login-throttle.ts';
import { deriveKey } from './platform/auth/secret-key.ts';
import { createTokenService } from './platform/auth/tokens.ts';
import { buildSerializerOncePerSchema } from './platform/http/compile-once.ts';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './platform/http/errors.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerResponseCache } from './platform/http/response-cache.ts';
import { Problem } from './platform/http/schemas.ts';
import { registerSecurity } from './platform/http/security.ts';
import { registerValidation } from './platform/http/validation.ts';
import { registerMetrics } from './platform/metrics.ts';
import { createAuditRepo } from './modules/audit/audit.repo.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { createAuditService } from './modules/audit/audit.service.ts';
import { createAuthRepo } from './modules/auth/auth.repo.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { createTenantsRepo } from './modules/tenants/tenants.repo.ts';
import { tenantsRoutes } from './modules/tenants/tenants.routes.ts';
import { createTenantsService } from './modules/tenants/tenants.service.ts';
import { createTicketsRepo } from './modules/tickets/tickets.repo.ts';
import { ticketsRoutes } from './modules/tickets/tickets.routes.ts';
import { createTicketsService } from './modules/tickets/tickets.service.ts';
import { createUsersRepo } from './modules/users/users.repo.ts';
import { createIntegrationServices } from './modules/integrations/index.ts';
import { createMemoryEventBus } from './platform/events/event-bus.ts';
import { liveRoutes } from './modules/live/live.routes.ts';
import websocket from '@fastify/websocket';
import { createSystemsRepo } from './modules/systems/systems.repo.ts';
import { systemsRoutes } from './modules/systems/systems.routes.ts';
import { createSystemsService } from './modules/systems/systems.service.ts';
import { createAlertsRepo } from './modules/alerts/alerts.repo.ts';
import { alertsRoutes } from './modules/alerts/alerts.routes.ts';
import { createAlertsService } from './modules/alerts/alerts.service.ts';
import { createContextRepo } from './modules/context/context.repo.ts';
import { contextRoutes } from './modules/context/context.routes.ts';
import { createContextService } from './modules/context/context.service.ts';
import { createAnalyticsRepo } from './modules/analytics/analytics.repo.ts';
import { analyticsRoutes } from './modules/analytics/analytics.routes.ts';
import { createAnalyticsService } from './modules/analytics/analytics.service.ts';
import { createVulnerabilitiesRepo } from './modules/vulnerabilities/vulnerabilities.repo.ts';
import { vulnerabilitiesRoutes } from './modules/vulnerabilities/vulnerabilities.routes.ts';
import { createVulnerabilitiesService } from './modules/vulnerabilities/vulnerabilities.service.ts';
import { integrationsRoutes } from './modules/integrations/integrations.routes.ts';
import type { SyncRunner } from './modules/integrations/sync.service.ts';
import { PROVIDERS } from './modules/integrations/providers/index.ts';
import { usersRoutes } from './modules/users/users.routes.ts';
import { createUsersService } from './modules/users/users.service.ts';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,128}$/;

/** The services, built once from the database and config; the HTTP app and the CLI share them. */
export function createServices(config: Config, db: Db, secretKey: string) {
  const audit = createAuditService(createAuditRepo(db.kysely));
  const bus = createMemoryEventBus();
  const { integrations, sync } = createIntegrationServices(config, db, secretKey, bus.publish);
  const tokens = createTokenService(deriveKey(secretKey, 'jwt-access'), config.accessTokenMinutes);
  const auth = createAuthService({ repo: createAuthRepo(db.kysely), tokens, audit, throttle: createLoginThrottle(), settings: config });
  const tenantsRepo = createTenantsRepo(db.kysely);
  const tenantExists = tenantsRepo.exists;
  const tenants = createTenantsService(tenantsRepo, auth);
  const users = createUsersService(createUsersRepo(db.kysely), auth);
  const tickets = createTicketsService(createTicketsRepo(db.kysely));
  const systems = createSystemsService(createSystemsRepo(db.kysely));
  const alerts = createAlertsService(createAlertsRepo(db.kysely), tickets, bus.publish);
  const vulnerabilities = createVulnerabilitiesService(createVulnerabilitiesRepo(db.kysely), bus.publish);
  const analytics = createAnalyticsService(createAnalyticsRepo(db.kysely));
  const context = createContextService({ repo: createContextRepo(db.kysely), systems, analytics });
  return { audit, tokens, auth, tenants, users, tickets, integrations, sync, systems, alerts, vulnerabilities, analytics, context, tenantExists, bus };
}

export type Services = ReturnType<typeof createServices>;

/** What the HTTP app needs: the services, with "sync now" possibly handed to the sync worker. */
export type AppServices = Omit<Services, 'sync'> & { sync: SyncRunner };

export async function buildApp(config: Config, db: Db, services: AppServices): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // A client has 10 s to send its headers and 30 s for its whole request, so slow-drip
    // connections cannot pile up; Node checks every second (its default, 30 s, let them last a minute).
    requestTimeout: 30_000,
    http: { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
    // Accept a caller's request id only when it looks like one; otherwise mint our own.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
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
  // Each integration type's config schema is published as a component (IntegrationConfig_<type>).
  for (const definition of Object.values(PROVIDERS)) app.addSchema(definition.configSchema);
  const metrics = registerMetrics(app);
  registerGuard(app, { tokens: services.tokens, resolvePrincipal: services.auth.resolvePrincipal, audit: services.audit });
  registerTenantContext(app, { tenantExists: services.tenantExists });
  registerResponseCache(app, { resources: new Set(['tickets', 'alerts', 'systems']), maxBytes: config.responseCacheBytes, dataVersion: db.dataVersion, registry: metrics.registry });
  app.addHook('onClose', async () => services.audit.flushReads());
  await registerSecurity(app, config);
  await registerOpenApi(app);
  await app.register(websocket, { options: { maxPayload: 4096 } });

  await app.register(healthRoutes({ db, registry: metrics.registry, metricsToken: config.metricsToken }));
  await app.register(
    async (api) => {
      await api.register(authRoutes(services.auth));
      await api.register(tenantsRoutes(services.tenants));
      await api.register(usersRoutes(services.users));
      await api.register(ticketsRoutes(services.tickets));
      await api.register(auditRoutes(services.audit));
      await api.register(integrationsRoutes(services.integrations, services.sync));
      await api.register(systemsRoutes(services.systems));
      await api.register(alertsRoutes(services.alerts));
      await api.register(vulnerabilitiesRoutes(services.vulnerabilities));
      await api.register(analyticsRoutes(services.analytics));
      await api.register(contextRoutes(services.context));
      await api.register(liveRoutes({
        bus: services.bus,
        allowedOrigins: config.corsOrigins,
        sessionIsLive: async (p) => (await services.auth.resolvePrincipal({ sub: p.userId, sid: p.sessionId, tenant_id: p.tenantId, role: p.role })) !== undefined,
      }));
    },
    { prefix: '/api/v1' },
  );
  return app;
}
