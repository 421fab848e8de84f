import type { Selectable } from 'kysely';

/** The operations module's tables (conventions in src/platform/db/schema.ts); runs go to `job_runs`. */
export interface ScheduledJobsTable {
  name: string;
  description: string;
  cron: string;
  tenant_runnable: number;
  /** The next slot as the node that last started computed it. */
  next_run_at: number | null;
  updated_at: number;
}

/** One row per slot that ran: the primary key is what makes a slot run once across nodes. */
export interface JobSlotsTable {
  job: string;
  slot: number;
  owner: string;
  claimed_at: number;
}

/** A job some run holds, so that a slot due meanwhile (on any node) does not start a second run of it. */
export interface JobLeasesTable {
  job: string;
  owner: string;
  expires_at: number;
}

/** "Run now" requests waiting for a node to take them. */
export interface JobRequestsTable {
  id: string;
  job: string;
  tenant_id: string | null;
  requested_by: string | null;
  requested_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    scheduled_jobs: ScheduledJobsTable;
    job_slots: JobSlotsTable;
    job_leases: JobLeasesTable;
    job_requests: JobRequestsTable;
  }
}

export type ScheduledJobRow = Selectable<ScheduledJobsTable>;
