import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Db } from '../platform/db/database.ts';
import type { JobDriver } from '../platform/jobs/job-driver.ts';
import type { RetentionPolicy } from '../platform/jobs/retention.ts';
import type { ScheduledJob } from '../platform/jobs/scheduled.ts';
import type { ModuleDefinition } from '../platform/modules.ts';
import type { AppServices, Services } from '../services.ts';
import { alertRulesModule } from './alert-rules/alert-rules.module.ts';
import { alertsModule } from './alerts/alerts.module.ts';
import { apiKeysModule } from './api-keys/api-keys.module.ts';
import { analyticsModule } from './analytics/analytics.module.ts';
import { auditModule } from './audit/audit.module.ts';
import { authModule } from './auth/auth.module.ts';
import { contextModule } from './context/context.module.ts';
import { healthModule } from './health/health.module.ts';
import { integrationsModule } from './integrations/integrations.module.ts';
import { liveModule } from './live/live.module.ts';
import { operationsModule } from './operations/operations.module.ts';
import { mcpModule } from './mcp/mcp.module.ts';
import { notificationsModule } from './notifications/notifications.module.ts';
import { productionModule } from './production/production.module.ts';
import { reportsModule } from './reports/reports.module.ts';
import { systemsModule } from './systems/systems.module.ts';
import { telemetryModule } from './telemetry/telemetry.module.ts';
import { tenantsModule } from './tenants/tenants.module.ts';
import { ticketsModule } from './tickets/tickets.module.ts';
import { usersModule } from './users/users.module.ts';
import { vulnerabilitiesModule } from './vulnerabilities/vulnerabilities.module.ts';
import { webModule } from './web/web.module.ts';
import { widgetsModule } from './widgets/widgets.module.ts';

/** What a module's routes are built from. */
export interface RouteContext {
  services: AppServices;
  config: Config;
  db: Db;
  metrics: Registry;
  /** Every module's live event types. */
  events: readonly string[];
}

/** What a module's jobs and retention policies get: the worker's own services and database, the config, and every module's retention policies. */
export type JobContext = Services & { config: Config; db: Db; retentionPolicies(): readonly RetentionPolicy[] };

/** A module of this application. */
export type AppModule = ModuleDefinition<RouteContext, JobContext>;

/** The one list of modules, in the order their routes are registered (and documented). */
export const MODULES: readonly AppModule[] = [
  healthModule,
  authModule,
  tenantsModule,
  usersModule,
  ticketsModule,
  auditModule,
  integrationsModule,
  systemsModule,
  alertsModule,
  vulnerabilitiesModule,
  analyticsModule,
  contextModule,
  productionModule,
  liveModule,
  apiKeysModule,
  telemetryModule,
  alertRulesModule,
  operationsModule,
  mcpModule,
  widgetsModule,
  notificationsModule,
  reportsModule,
  webModule,
];

export const MODULE_MIGRATIONS = Object.assign({}, ...MODULES.map((module) => module.migrations ?? {})) as NonNullable<AppModule['migrations']>;
export const EVENT_NAMES: readonly string[] = MODULES.flatMap((module) => module.events ?? []);
export const CACHED_RESOURCES: ReadonlySet<string> = new Set(MODULES.flatMap((module) => module.cachedResources ?? []));

/** The context the modules' jobs run with, in the process that runs them. */
export function jobContext(services: Services, config: Config, db: Db): JobContext {
  const context: JobContext = { ...services, config, db, retentionPolicies: () => MODULES.flatMap((module) => module.retention?.(context) ?? []) };
  return context;
}

/** The scheduled jobs the modules declare (definitions only: nothing runs), so the jobs API lists them before a worker has started. */
export function scheduledJobs(context: JobContext): ScheduledJob[] {
  const found: ScheduledJob[] = [];
  const catalog: JobDriver = { register: () => undefined, enqueue: () => false, every: () => undefined, schedule: (job) => void found.push(job), start: () => undefined, stop: async () => undefined };
  for (const module of MODULES) module.jobs?.(context, catalog);
  return found;
}
