import type { AppModule } from '../index.ts';
import * as systemsStatus from './systems.migration.ts';
import { systemsRoutes } from './systems.routes.ts';

export const systemsModule: AppModule = {
  name: 'systems',
  routes: ({ services }) => systemsRoutes(services.systems),
  permissions: ['systems:read'],
  events: ['system.status_changed'],
  cachedResources: ['systems'],
  // Named to sort after every migration already released (module migrations run in name order).
  migrations: { '20261130_security_systems_status': systemsStatus },
};
