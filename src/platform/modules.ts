import type { FastifyPluginAsync } from 'fastify';
import type { Permission } from './auth/permissions.ts';
import type { DialectMigration } from './db/migrator.ts';
import type { JobDriver } from './jobs/job-driver.ts';
import type { RetentionPolicy } from './jobs/retention.ts';

/**
 * What a feature module hands the application: one value per module, listed once in the registry
 * (src/modules/index.ts). The HTTP app, the CLI and the background worker loop over that list, so
 * the platform never names a feature. `RouteContext` and `JobContext` are what the registry gives
 * a module's routes and jobs (the services, the configuration, …).
 */
export interface ModuleDefinition<RouteContext, JobContext> {
  /** Unique; also the folder under src/modules/. */
  name: string;
  /** The module's HTTP routes. */
  routes?: (context: RouteContext) => FastifyPluginAsync;
  /** Where the routes are mounted; the API (`/api/v1`) unless the module says otherwise. */
  prefix?: string;
  /** Shared JSON schemas (with an `$id`) its routes refer to, published as OpenAPI components. */
  schemas?: readonly object[];
  /** The permissions the module introduces (each belongs to exactly one module; roles are in platform/auth/permissions.ts). */
  permissions?: readonly Permission[];
  /** The live event types the module publishes (`LiveEvent.type`). */
  events?: readonly string[];
  /** Tables with per-tenant change counters that its routes may cache on (`config.cache`). */
  cachedResources?: readonly string[];
  /** The module's own migrations by name, applied after the platform's in name order; never rename one. */
  migrations?: Readonly<Record<string, DialectMigration>>;
  /** Registers the module's background work; runs in the worker thread, on its own database connection. */
  jobs?: (context: JobContext, driver: JobDriver) => void;
  /** What the module keeps for a limited time: the retention job (src/modules/operations) runs these. */
  retention?: (context: JobContext) => readonly RetentionPolicy[];
}
