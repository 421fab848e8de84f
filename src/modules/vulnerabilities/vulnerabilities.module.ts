import type { AppModule } from '../index.ts';
import { vulnerabilitiesRoutes } from './vulnerabilities.routes.ts';

export const vulnerabilitiesModule: AppModule = {
  name: 'vulnerabilities',
  routes: ({ services }) => vulnerabilitiesRoutes(services.vulnerabilities),
  permissions: ['vulnerabilities:read', 'vulnerabilities:patch'],
  events: ['vulnerability.updated'],
};
