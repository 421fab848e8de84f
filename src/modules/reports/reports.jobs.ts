import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { ReportsService } from './reports.service.ts';

/** Checked every minute: a report is due once a tenant's local time passes its send time. */
const SCHEDULE_EVERY_MS = 60_000;

export function reportsJobs(services: { reports: ReportsService }, driver: JobDriver): void {
  driver.every('reports-daily', SCHEDULE_EVERY_MS, async () => {
    await services.reports.runSchedule();
  });
}
