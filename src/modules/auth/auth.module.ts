import type { AppModule } from '../index.ts';
import * as passwordChangeMigration from './auth.migration.ts';
import { authRoutes } from './auth.routes.ts';

export const authModule: AppModule = {
  name: 'auth',
  routes: ({ services }) => authRoutes(services.auth),
  migrations: { '20261130_auth_password_change_required': passwordChangeMigration },
};
