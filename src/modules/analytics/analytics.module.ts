import type { AppModule } from '../index.ts';
import { analyticsRoutes } from './analytics.routes.ts';

export const analyticsModule: AppModule = {
  name: 'analytics',
  routes: ({ services }) => analyticsRoutes(services.analytics),
  permissions: ['analytics:read'],
};
