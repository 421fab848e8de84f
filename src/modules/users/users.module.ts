import type { AppModule } from '../index.ts';
import { usersRoutes } from './users.routes.ts';

export const usersModule: AppModule = {
  name: 'users',
  routes: ({ services }) => usersRoutes(services.users),
  permissions: ['users:read', 'users:write'],
  // Deleted users: pages that name users (the alert lists) change with them.
  cachedResources: ['users'],
};
