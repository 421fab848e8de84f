import type { AppModule } from '../index.ts';
import * as acceptanceAndPatching from './vulnerabilities.migration.ts';
import { vulnerabilitiesRoutes } from './vulnerabilities.routes.ts';

export const vulnerabilitiesModule: AppModule = {
  name: 'vulnerabilities',
  routes: ({ services }) => vulnerabilitiesRoutes(services.vulnerabilities),
  permissions: ['vulnerabilities:read', 'vulnerabilities:patch'],
  events: ['vulnerability.updated'],
  // Named to sort after every migration already released (module migrations run in name order).
  migrations: { '20261130_security_vulnerabilities_acceptance': acceptanceAndPatching },
};
