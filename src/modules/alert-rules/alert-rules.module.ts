import type { AppModule } from '../index.ts';
import * as alertRules from './migrations/20261130_alert_rules.ts';
import { alertRulesRoutes } from './alert-rules.routes.ts';

export const alertRulesModule: AppModule = {
  name: 'alert-rules',
  routes: ({ services }) => alertRulesRoutes(services.alertRules),
  permissions: ['alert_rules:read', 'alert_rules:write'],
  // In the background worker: its events reach the live feed through the worker's bus.
  jobs: (services, driver) => services.ruleEvaluator.schedule(driver),
  migrations: { '20261130_alert_rules': alertRules },
};
