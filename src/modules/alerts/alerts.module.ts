import type { AppModule } from '../index.ts';
import * as alertOccurrences from './alerts-occurrences.migration.ts';
import * as alertsTriage from './alerts.migration.ts';
import * as alertWindows from './alerts-windows.migration.ts';
import { alertsRoutes } from './alerts.routes.ts';

export const alertsModule: AppModule = {
  name: 'alerts',
  routes: ({ services }) => alertsRoutes(services.alerts, services.audit),
  permissions: ['alerts:read', 'alerts:write'],
  events: ['alert.created', 'alert.updated', 'alert.resolved'],
  cachedResources: ['alerts'],
  // Occurrences: named to sort after every migration already released (module migrations run in name order).
  migrations: { '20261130_alerts_triage': alertsTriage, '20261130_security_alerts_occurrences': alertOccurrences, '20261130_security_alerts_windows': alertWindows },
};
