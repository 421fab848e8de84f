import type { AppModule } from '../index.ts';
import * as notificationsMigration from './notifications.migration.ts';
import { notificationsJobs } from './notifications.jobs.ts';
import { notificationsRoutes } from './notifications.routes.ts';

export const notificationsModule: AppModule = {
  name: 'notifications',
  routes: ({ services }) => notificationsRoutes(services.notifications),
  permissions: ['notifications:read', 'notifications:write'],
  jobs: notificationsJobs,
  migrations: { '20261130_notifications_channels': notificationsMigration },
};
