import type { AppModule } from '../index.ts';
import { usersRoutes } from './users.routes.ts';

export const usersModule: AppModule = {
  name: 'users',
  routes: ({ services }) => usersRoutes(services.users),
  permissions: ['users:read', 'users:write'],
  // Pages that name users (the alert lists) change when one is deleted (usernames never change; nothing else is recorded).
  cachedResources: ['deleted_users'],
};
