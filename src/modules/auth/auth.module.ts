import type { AppModule } from '../index.ts';
import { authRoutes } from './auth.routes.ts';

export const authModule: AppModule = {
  name: 'auth',
  routes: ({ services }) => authRoutes(services.auth),
};
