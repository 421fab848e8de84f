import type { AppModule } from '../index.ts';
import { tenantsRoutes } from './tenants.routes.ts';

export const tenantsModule: AppModule = {
  name: 'tenants',
  routes: ({ services }) => tenantsRoutes(services.tenants),
  permissions: ['tenants:read', 'tenants:write', 'tenant_settings:write'],
};
