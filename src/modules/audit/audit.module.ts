import type { AppModule } from '../index.ts';
import { auditRoutes } from './audit.routes.ts';

export const auditModule: AppModule = {
  name: 'audit',
  routes: ({ services }) => auditRoutes(services.audit),
  permissions: ['audit:read'],
};
