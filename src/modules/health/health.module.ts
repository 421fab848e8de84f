import type { AppModule } from '../index.ts';
import { healthRoutes } from './health.routes.ts';

export const healthModule: AppModule = {
  name: 'health',
  // Probes and scrapers expect these at the root, not under the API prefix.
  prefix: '',
  routes: ({ db, metrics, config }) => healthRoutes({ db, registry: metrics, metricsToken: config.metricsToken }),
};
