import type { Selectable } from 'kysely';

/** The integrations module's tables (conventions in src/platform/db/schema.ts). */
export interface IntegrationsTable {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  capabilities: string;
  config: string;
  secret_ref: string | null;
  keyvault_secret_id: string | null;
  enabled: number;
  last_sync_at: number | null;
  last_sync_status: string | null;
  last_error: string | null;
  consecutive_failures: number;
  next_sync_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobRunsTable {
  id: string;
  tenant_id: string | null;
  job: string;
  subject_id: string | null;
  status: string;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  detail: string | null;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    integrations: IntegrationsTable;
    job_runs: JobRunsTable;
  }
}

export type IntegrationRow = Selectable<IntegrationsTable>;
export type JobRunRow = Selectable<JobRunsTable>;
