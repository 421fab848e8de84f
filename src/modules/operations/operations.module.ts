import type { AppModule } from '../index.ts';
import { JobRun } from './jobs.schemas.ts';
import { jobsRoutes } from './jobs.routes.ts';
import * as operationsJobsMigration from './migrations/20261130_operations_jobs.ts';
import * as jobLeasesMigration from './migrations/20261201_job_leases.ts';
import { jobRunsRetention, operationsJobs } from './operations.jobs.ts';

export const operationsModule: AppModule = {
  name: 'operations',
  routes: ({ services }) => jobsRoutes(services.jobs),
  schemas: [JobRun],
  permissions: ['jobs:read', 'jobs:run'],
  jobs: operationsJobs,
  retention: (context) => [jobRunsRetention(context)],
  migrations: { '20261130_operations_jobs': operationsJobsMigration, '20261201_job_leases': jobLeasesMigration },
};
