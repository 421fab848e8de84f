import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Db } from '../platform/db/database.ts';
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
import { mcpModule } from './mcp/mcp.module.ts';
import { productionModule } from './production/production.module.ts';
import { systemsModule } from './systems/systems.module.ts';
import { telemetryModule } from './telemetry/telemetry.module.ts';
import { tenantsModule } from './tenants/tenants.module.ts';
import { ticketsModule } from './tickets/tickets.module.ts';
import { usersModule } from './users/users.module.ts';
import { vulnerabilitiesModule } from './vulnerabilities/vulnerabilities.module.ts';

/** What a module's routes are built from. */
export interface RouteContext {
  services: AppServices;
  config: Config;
  db: Db;
  metrics: Registry;
  /** Every module's live event types. */
  events: readonly string[];
}

/** A module of this application; its jobs get the worker's own services. */
export type AppModule = ModuleDefinition<RouteContext, Services>;

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
  mcpModule,
];

export const MODULE_MIGRATIONS = Object.assign({}, ...MODULES.map((module) => module.migrations ?? {})) as NonNullable<AppModule['migrations']>;
export const EVENT_NAMES: readonly string[] = MODULES.flatMap((module) => module.events ?? []);
export const CACHED_RESOURCES: ReadonlySet<string> = new Set(MODULES.flatMap((module) => module.cachedResources ?? []));
