import type { AppModule } from '../index.ts';
import * as webMigration from './web.migration.ts';

/** The web UI, served at the root by the same process as the API (docs/requirements.md, UI-1…UI-7). */
export const webModule: AppModule = {
  name: 'web',
  prefix: '',
  // Imported when the routes are registered: the background worker, which loads every module for
  // its jobs, never loads the pages, views and static files (~9 MiB of its memory).
  routes: ({ services, config, events, db }) => async (app) => {
    const [{ webRoutes }, { loadAssets }] = await Promise.all([import('./web.routes.ts'), import('./assets.ts')]);
    await app.register(webRoutes({
      services, web: services.web, sessions: services.webSessions, assets: loadAssets(), allowedOrigins: config.corsOrigins, events,
      savepoint: (work) => db.savepoint(work),
    }));
  },
  migrations: { '20261130_web_preferences': webMigration },
};
