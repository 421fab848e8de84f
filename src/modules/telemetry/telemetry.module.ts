import type { AppModule } from '../index.ts';
import * as telemetryStore from './migrations/20261130_telemetry_store.ts';
import * as telemetryStoreKeyHash from './migrations/20261130_telemetry_store_key_hash.ts';
import { telemetryJobs } from './telemetry.jobs.ts';
import { telemetryRoutes } from './telemetry.routes.ts';

export const telemetryModule: AppModule = {
  name: 'telemetry',
  routes: ({ services }) => telemetryRoutes(services.telemetry, services.audit),
  permissions: ['telemetry:read', 'telemetry:write'],
  jobs: telemetryJobs,
  migrations: { '20261130_telemetry_store': telemetryStore, '20261130_telemetry_store_key_hash': telemetryStoreKeyHash },
};
