import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { backupSettings, createBackupService } from './backup.service.ts';
import { createJobsRepo } from './jobs.repo.ts';
import { createJobsService } from './jobs.service.ts';

/** The operations services: scheduled jobs' state and API, and backups. */
export function createOperationsServices(config: Config, db: Db) {
  const jobsRepo = createJobsRepo(db.kysely);
  return {
    jobsRepo,
    jobs: createJobsService(jobsRepo),
    backups: createBackupService(backupSettings(config)),
  };
}
