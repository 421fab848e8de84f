import type { AppModule } from '../index.ts';
import { systemsRoutes } from './systems.routes.ts';

export const systemsModule: AppModule = {
  name: 'systems',
  routes: ({ services }) => systemsRoutes(services.systems),
  permissions: ['systems:read'],
  events: ['system.status_changed'],
  cachedResources: ['systems'],
};
