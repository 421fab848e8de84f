import type { AppModule } from '../index.ts';
import * as widgetsCatalog from './migrations/20261130_widgets_catalog.ts';
import { widgetsRoutes } from './widgets.routes.ts';

const HOUR_MS = 3_600_000;

export const widgetsModule: AppModule = {
  name: 'widgets',
  routes: ({ services, metrics, config }) => widgetsRoutes({ widgets: services.widgets, metadata: services.metadata, queries: services.userQueries, metrics, pollMs: config.plantPollMs }),
  permissions: ['dashboards:read', 'dashboards:write', 'user_queries:read'],
  migrations: { '20261130_widgets_catalog': widgetsCatalog },
  jobs: (services, driver) => {
    driver.every('widgets.user_query_retention', HOUR_MS, async () => {
      await services.widgets.pruneUserQueries(services.userQueryRetentionDays);
    });
  },
};
