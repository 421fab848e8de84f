import type { Config } from './config.ts';
import { deriveKey } from './platform/auth/secret-key.ts';
import { createTokenService } from './platform/auth/tokens.ts';
import type { Db } from './platform/db/database.ts';
import { createPlantRegistry, type PlantRegistry } from './platform/db/plant-registry.ts';
import type { EventBus } from './platform/events/event-bus.ts';
import { createSecretStore } from './platform/secrets/index.ts';
import { createSharedState, stderrLog, type SharedState } from './platform/cluster-state/shared-state.ts';
import { PLANT_MIGRATIONS } from './migrations/plant/index.ts';
import { createAlertRulesRepo } from './modules/alert-rules/alert-rules.repo.ts';
import { createAlertRulesService } from './modules/alert-rules/alert-rules.service.ts';
import { createRuleEvaluator } from './modules/alert-rules/rule-evaluator.ts';
import { createAlertsMerge } from './modules/alerts/alerts.merge.ts';
import { createAlertsRepo } from './modules/alerts/alerts.repo.ts';
import { createAlertsService } from './modules/alerts/alerts.service.ts';
import { createAnalyticsRepo } from './modules/analytics/analytics.repo.ts';
import { createAnalyticsService } from './modules/analytics/analytics.service.ts';
import { createApiKeysRepo } from './modules/api-keys/api-keys.repo.ts';
import { createApiKeysService } from './modules/api-keys/api-keys.service.ts';
import { createAuditRepo } from './modules/audit/audit.repo.ts';
import { createAuditService } from './modules/audit/audit.service.ts';
import { createAuthRepo } from './modules/auth/auth.repo.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createLoginThrottle } from './modules/auth/login-throttle.ts';
import { createContextRepo } from './modules/context/context.repo.ts';
import { createContextService } from './modules/context/context.service.ts';
import { createIntegrationServices } from './modules/integrations/index.ts';
import type { SyncRunner } from './modules/integrations/sync.service.ts';
import { createOperationsServices } from './modules/operations/index.ts';
import { createDowntimeReasonsService } from './modules/production/downtime-reasons.service.ts';
import { createPlantDatabasesService } from './modules/production/plant-databases.service.ts';
import { createProductionPlatformRepo } from './modules/production/production-platform.repo.ts';
import { createProductionService } from './modules/production/production.service.ts';
import { createStructureService } from './modules/production/structure.service.ts';
import { createPlantTenants } from './modules/production/plant-tenants.ts';
import { createLineWatch, type LineWatch } from './modules/production/line-watch.ts';
import { plantProblem } from './modules/production/plant-problems.ts';
import { createTelemetryRepo } from './modules/telemetry/telemetry.repo.ts';
import { createTelemetryService } from './modules/telemetry/telemetry.service.ts';
import { createSystemsMerge } from './modules/systems/systems.merge.ts';
import { createNotificationsDispatch } from './modules/notifications/notifications.dispatch.ts';
import { createNotificationsRepo } from './modules/notifications/notifications.repo.ts';
import { createNotificationsService } from './modules/notifications/notifications.service.ts';
import { createSenders } from './modules/notifications/senders.ts';
import { createReportsRepo } from './modules/reports/reports.repo.ts';
import { createReportsService } from './modules/reports/reports.service.ts';
import { createSystemsRepo } from './modules/systems/systems.repo.ts';
import { createSystemsService } from './modules/systems/systems.service.ts';
import { createTenantsRepo } from './modules/tenants/tenants.repo.ts';
import { createTenantsService } from './modules/tenants/tenants.service.ts';
import { createTicketsRepo } from './modules/tickets/tickets.repo.ts';
import { createTicketsService } from './modules/tickets/tickets.service.ts';
import { createUsersRepo } from './modules/users/users.repo.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { createVulnerabilitiesRepo } from './modules/vulnerabilities/vulnerabilities.repo.ts';
import { createVulnerabilitiesService } from './modules/vulnerabilities/vulnerabilities.service.ts';
import { createWebRepo } from './modules/web/web.repo.ts';
import { createWebService } from './modules/web/web.service.ts';
import { createWebSessionCodec } from './modules/web/web-session.ts';
import { createWidgetsServices } from './modules/widgets/widgets.wiring.ts';

/**
 * The services, built once from the database and config, in dependency order; the HTTP app, the
 * CLI and the background worker share them. What the nodes share (live events, counters, messages)
 * is Redis with REDIS_URL, else this process's memory; whoever creates the services closes it
 * (`shared.close()`). The worker passes local state with a bus that forwards its events to the API
 * thread, which owns the live connections.
 */
export function createServices(config: Config, db: Db, secretKey: string, shared: SharedState = createSharedState(config.redisUrl, stderrLog(config.logLevel))) {
  const { bus } = shared;
  // A live event leaves once the write it announces has committed (never for a rolled-back one).
  const publish: EventBus['publish'] = (event, reach) => db.afterCommit(() => bus.publish(event, reach));
  const audit = createAuditService(createAuditRepo(db.kysely));
  const { integrations, sync } = createIntegrationServices(config, db, secretKey, publish, audit);
  const tokens = createTokenService(deriveKey(secretKey, 'jwt-access'), config.accessTokenMinutes);
  const auth = createAuthService({ repo: createAuthRepo(db.kysely), tokens, audit, throttle: createLoginThrottle(shared.counters('login')), settings: config, otherNodes: shared.broadcast('principals'), afterCommit: db.afterCommit });
  const tenantsRepo = createTenantsRepo(db.kysely);
  const tenantExists = tenantsRepo.exists;
  const tenants = createTenantsService(tenantsRepo, auth);
  const usersRepo = createUsersRepo(db.kysely);
  const users = createUsersService(usersRepo, auth);
  const tickets = createTicketsService(createTicketsRepo(db.kysely));
  const systems = createSystemsService(createSystemsRepo(db.kysely), createSystemsMerge(db.kysely), publish);
  const alerts = createAlertsService(createAlertsRepo(db.kysely, db.dialect), tickets, publish, systems.refreshStatus);
  const vulnerabilities = createVulnerabilitiesService(createVulnerabilitiesRepo(db.kysely), publish);
  const analytics = createAnalyticsService(createAnalyticsRepo(db.kysely));
  const context = createContextService({ repo: createContextRepo(db.kysely), systems, analytics });
  const production = createProductionServices(config, db, secretKey, tenants, bus);
  // Only tenants that use production: reading another's lines would create its plant database.
  const tenantLines = async (tenantId: string) => ((await production.plantTenants()).some((tenant) => tenant.tenantId === tenantId) ? production.structure.listLines(tenantId) : null);
  const apiKeys = createApiKeysService(createApiKeysRepo(db.kysely), {
    lineIds: async (tenantId) => {
      try {
        return ((await tenantLines(tenantId)) ?? []).map((line) => line.line_id);
      } catch (error) {
        throw plantProblem(error);
      }
    },
  });
  const telemetry = createTelemetryService({ repo: createTelemetryRepo(db.kysely, db.dialect), db });
  const alertRulesRepo = createAlertRulesRepo(db.kysely);
  const alertRules = createAlertRulesService({ repo: alertRulesRepo, telemetry, production: production.production });
  // Rule alerts go through the security dashboard's feed write API, like a vendor sync's.
  const ruleEvaluator = createRuleEvaluator({
    repo: alertRulesRepo, telemetry, production: production.production, alerts: createAlertsMerge(db.kysely), systems: createSystemsMerge(db.kysely),
    publish: publish, audit, transaction: (work) => db.transaction(work), intervalMs: config.rulesEvalMs,
  });
  const operations = createOperationsServices(config, db);
  // Its structure and plantDatabases replace production's: the same services, with writes dropping the cached plant metadata.
  const widgets = createWidgetsServices({
    config, db, structure: production.structure, plantDatabases: production.plantDatabases,
    sources: { production: production.production, systems, alerts, analytics, integrations },
    tenantTimeZone: async (tenantId) => (await tenants.get(tenantId)).config.timezone,
  });
  const notifications = createNotificationServices(config, db, secretKey);
  const reports = createReportsService({
    repo: createReportsRepo(db.kysely),
    mail: notifications.notificationsDispatch,
    smtpConfigured: config.smtpUrl !== undefined,
    production: {
      lines: tenantLines,
      oee: (tenantId, query) => production.production.oee(tenantId, query),
    },
  });
  const web = createWebService({ repo: createWebRepo(db.kysely), tenants, production: production.production, structure: production.structure });
  const webSessions = createWebSessionCodec(deriveKey(secretKey, 'web-session'));
  return { telemetry, alertRules, ruleEvaluator, audit, tokens, auth, tenants, users, usersRepo, tickets, integrations, sync, systems, alerts, vulnerabilities, analytics, context, apiKeys, tenantExists, bus, shared, ...production, ...operations, ...widgets, ...notifications, reports, web, webSessions };
}

/**
 * Production: the plant registry (one handle per tenant's plant database, opened on first use,
 * closed when idle; the app closes it on shutdown), and the services that lease from it.
 */
function createProductionServices(config: Config, db: Db, secretKey: string, tenants: ReturnType<typeof createTenantsService>, bus: EventBus) {
  const platformRepo = createProductionPlatformRepo(db.kysely);
  // Each needs the other: the registry asks where a tenant's database is; a change drops its handle.
  const plantDatabases = createPlantDatabasesService({ repo: platformRepo, secrets: createSecretStore(config, db.kysely, secretKey), plants: () => plants });
  const plants: PlantRegistry = createPlantRegistry({
    dataDir: config.dataDir,
    maxOpen: config.plantMaxOpen,
    idleMs: config.plantIdleMs,
    resolveSource: plantDatabases.resolveSource,
    migrations: PLANT_MIGRATIONS,
  });
  const production = createProductionService({
    plants, platform: db.kysely, tenantTimeZone: async (tenantId) => (await tenants.get(tenantId)).config.timezone,
    onOutput: (tenantId, lineId, at) => lineWatch.noteOutput(tenantId, lineId, at),
  });
  const structure = createStructureService(production.access);
  const downtimeReasons = createDowntimeReasonsService({ repo: platformRepo, production });
  // Tenants that use production (an external source, or an embedded plant file that exists): background work and the watch skip the others.
  const plantTenants = createPlantTenants({ platform: db.kysely, dataDir: config.dataDir });
  // Started by `serve` only: it announces stopped lines on the live feed of this process.
  const lineWatch: LineWatch = createLineWatch({ production, bus, plantTenants });
  return { plants, plantDatabases, production, structure, downtimeReasons, plantTenants, lineWatch, plantPollMs: config.plantPollMs };
}

/** Notifications: channels and the delivery log (API), the scan and the outbox sender (worker). */
function createNotificationServices(config: Config, db: Db, secretKey: string) {
  const repo = createNotificationsRepo(db.kysely);
  const secrets = createSecretStore(config, db.kysely, secretKey);
  const notificationsDispatch = createNotificationsDispatch({ repo, secrets, senders: createSenders({ url: config.smtpUrl, from: config.smtpFrom }) });
  const notifications = createNotificationsService({ repo, secrets, dispatch: notificationsDispatch });
  return { notifications, notificationsDispatch, notifyPollMs: config.notifyPollMs };
}

export type Services = ReturnType<typeof createServices>;

/** What the HTTP app needs: the services, with "sync now" possibly handed to the sync worker. */
export type AppServices = Omit<Services, 'sync'> & { sync: SyncRunner };
