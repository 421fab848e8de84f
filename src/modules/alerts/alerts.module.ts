import type { AppModule } from '../index.ts';
import { alertsRoutes } from './alerts.routes.ts';

export const alertsModule: AppModule = {
  name: 'alerts',
  routes: ({ services }) => alertsRoutes(services.alerts),
  permissions: ['alerts:read', 'alerts:write'],
  events: ['alert.created', 'alert.updated', 'alert.resolved'],
  cachedResources: ['alerts'],
};
