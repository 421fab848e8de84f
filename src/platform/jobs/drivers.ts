import type { Config } from '../../config.ts';
import { createLocalJobDriver, type JobDriver } from './job-driver.ts';
import { createPgBossJobDriver } from './pg-boss-driver.ts';
import type { JobLedger, Log } from './scheduled.ts';

/** The driver `SENTINEL_JOBS` names: `local` (default) or `pg-boss` (PostgreSQL only, checked by the config). */
export function createJobDriver(config: Pick<Config, 'jobsDriver' | 'databaseUrl'>, ledger: JobLedger, log: Log): JobDriver {
  if (config.jobsDriver === 'pg-boss') return createPgBossJobDriver({ connectionString: config.databaseUrl!, ledger, log });
  return createLocalJobDriver(log, { ledger });
}
