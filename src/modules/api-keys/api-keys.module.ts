import type { AppModule } from '../index.ts';
import * as apiKeysMigration from './api-keys.migration.ts';
import { apiKeysRoutes } from './api-keys.routes.ts';

export const apiKeysModule: AppModule = {
  name: 'api-keys',
  routes: ({ services }) => apiKeysRoutes(services.apiKeys),
  permissions: ['api_keys:read', 'api_keys:write'],
  // Dated, so module migrations sort after the platform's and in the order they were written.
  migrations: { '20261130_api_keys': apiKeysMigration },
};
