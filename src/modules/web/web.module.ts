import type { AppModule } from '../index.ts';
import { loadAssets } from './assets.ts';
import * as webMigration from './web.migration.ts';
import { webRoutes } from './web.routes.ts';

/** The web UI, served at the root by the same process as the API (docs/requirements.md, UI-1…UI-7). */
export const webModule: AppModule = {
  name: 'web',
  prefix: '',
  routes: ({ services, config, events }) => webRoutes({
    services, web: services.web, sessions: services.webSessions, assets: loadAssets(), allowedOrigins: config.corsOrigins, events,
  }),
  migrations: { '20261130_web_preferences': webMigration },
};
