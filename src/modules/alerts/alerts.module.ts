import type { AppModule } from '../index.ts';
import * as alertsTriage from './alerts.migration.ts';
import { alertsRoutes } from './alerts.routes.ts';

export const alertsModule: AppModule = {
  name: 'alerts',
  routes: ({ services }) => alertsRoutes(services.alerts, services.audit),
  permissions: ['alerts:read', 'alerts:write'],
  events: ['alert.created', 'alert.updated', 'alert.resolved'],
  cachedResources: ['alerts'],
  migrations: { '20261130_alerts_triage': alertsTriage },
};
