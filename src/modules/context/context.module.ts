import type { AppModule } from '../index.ts';
import { contextRoutes } from './context.routes.ts';

export const contextModule: AppModule = {
  name: 'context',
  routes: ({ services }) => contextRoutes(services.context),
};
