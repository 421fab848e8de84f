import type { AppModule } from '../index.ts';
import * as reportsDayIndex from './reports-day-index.migration.ts';
import * as reportsMigration from './reports.migration.ts';
import { reportsJobs } from './reports.jobs.ts';
import { reportsRoutes } from './reports.routes.ts';

export const reportsModule: AppModule = {
  name: 'reports',
  routes: ({ services }) => reportsRoutes(services.reports),
  permissions: ['reports:read', 'reports:write'],
  jobs: reportsJobs,
  migrations: { '20261130_reports_daily': reportsMigration, '20261201_reports_day_index': reportsDayIndex },
};
