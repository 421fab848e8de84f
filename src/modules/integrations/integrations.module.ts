import type { AppModule } from '../index.ts';
import { integrationsRoutes } from './integrations.routes.ts';
import { PROVIDERS } from './providers/index.ts';

export const integrationsModule: AppModule = {
  name: 'integrations',
  routes: ({ services }) => integrationsRoutes(services.integrations, services.sync),
  // Each integration type's config schema is published as a component (IntegrationConfig_<type>).
  schemas: Object.values(PROVIDERS).map((provider) => provider.configSchema),
  permissions: ['integrations:read', 'integrations:write'],
  jobs: (services, driver) => services.sync.schedule(driver),
};
