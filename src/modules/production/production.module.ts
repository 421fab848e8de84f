import type { AppModule } from '../index.ts';
import * as productionPlatform from './migrations/20261130_production_platform.ts';
import { LIVE_PRODUCTION_EVENTS } from './line-watch.ts';
import { productionJobs } from './production.jobs.ts';
import { detectionsRetention } from './production.retention.ts';
import { productionRoutes } from './production.routes.ts';

export const productionModule: AppModule = {
  name: 'production',
  routes: ({ services }) => productionRoutes(services),
  permissions: ['production:read', 'production:write', 'production:operate', 'production:admin'],
  events: LIVE_PRODUCTION_EVENTS,
  jobs: productionJobs,
  retention: (context) => [detectionsRetention(context)],
  // Dated like the other modules' and after them: a migration never sorts before one already applied.
  migrations: { '20261130_production_platform': productionPlatform },
};
