/**
 * The platform's own scheduled jobs: backups (every 6 hours by default, `SENTINEL_BACKUP_CRON`)
 * and the nightly retention cleanup, which runs every module's retention policies and reports
 * what each removed. An ADMIN may run the cleanup for its own tenant.
 */
import type { Config } from '../../config.ts';
import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import { runRetention, type RetentionPolicy } from '../../platform/jobs/retention.ts';
import type { BackupService } from './backup.service.ts';
import type { JobsRepo } from './jobs.repo.ts';

const DAY_MS = 24 * 60 * 60_000;

export interface OperationsJobContext {
  config: Pick<Config, 'backupCron' | 'jobRunRetentionDays'>;
  backups: BackupService;
  jobsRepo: JobsRepo;
  retentionPolicies(): readonly RetentionPolicy[];
}

export function operationsJobs(context: OperationsJobContext, driver: JobDriver): void {
  driver.schedule({
    name: 'backup',
    description: 'Backs up the platform database and every embedded plant database, keeping the newest SENTINEL_BACKUP_KEEP',
    cron: context.config.backupCron,
    retries: 2,
    retryDelayMs: 60_000,
    run: async () => {
      const backup = await context.backups.create();
      return { path: backup.path, bytes: backup.bytes, sha256: backup.sha256, files: backup.files, removed: backup.removed };
    },
  });
  driver.schedule({
    name: 'retention',
    description: 'Removes what is past its retention (raw detections, job runs, and what other modules register); reports what it removed',
    cron: '17 3 * * *',
    tenantRunnable: true,
    run: async ({ tenantId }) => {
      const report = await runRetention(context.retentionPolicies(), { now: Date.now(), tenantId });
      const failed = Object.entries(report.failed);
      // The run is an error (and retried) when a policy failed; what the others removed is in the message.
      if (failed.length > 0) throw new Error(`retention failed for ${failed.map(([name, error]) => `${name} (${error})`).join(', ')}; removed ${JSON.stringify(report.removed)}`);
      return { removed: report.removed };
    },
  });
}

/** Old job runs and slot claims. */
export function jobRunsRetention(context: Pick<OperationsJobContext, 'config' | 'jobsRepo'>): RetentionPolicy {
  return {
    name: 'jobs.runs',
    purge: ({ now, tenantId }) => context.jobsRepo.purgeRuns(now - context.config.jobRunRetentionDays * DAY_MS, tenantId),
  };
}
