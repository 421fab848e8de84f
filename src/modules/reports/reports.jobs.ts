import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { ReportsService } from './reports.service.ts';

/**
 * Every minute, once across nodes: a tenant's report is due once its local time passes its send
 * time. A scheduled job, not a ticker on each node: every node rendered the same PDFs otherwise (the
 * first one stored won), and hosts without a resident worker run it from cron (`sentinel jobs run-due`).
 */
export function reportsJobs(services: { reports: ReportsService }, driver: JobDriver): void {
  driver.schedule({
    name: 'daily-reports',
    description: 'Makes the previous local day\'s report of each tenant whose send time has passed, and e-mails it to its subscribers',
    cron: '* * * * *',
    // The next minute's run tries again whatever failed.
    retries: 0,
    run: async () => ({ made: await services.reports.runSchedule() }),
  });
}
