import type { Selectable } from 'kysely';

/** The vulnerabilities module's tables (conventions in src/platform/db/schema.ts). */
export interface VulnerabilitiesTable {
  id: string;
  tenant_id: string;
  integration_id: string | null;
  system_id: string | null;
  external_id: string;
  cve: string;
  title: string;
  /** The CVSS band when scored (severity_basis `cvss`), else the vendor's severity (`vendor`). */
  severity: string;
  vendor_severity: string | null;
  severity_basis: string | null;
  cvss_score: number | null;
  asset: string;
  package: string | null;
  version: string | null;
  fixed_version: string | null;
  status: string;
  first_seen: number;
  last_seen: number;
  resolved_at: number | null;
  resolved_by: string | null;
  accepted_by: string | null;
  accepted_at: number | null;
  acceptance_reason: string | null;
  accepted_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface PatchJobsTable {
  id: string;
  tenant_id: string;
  vulnerability_id: string;
  status: string;
  requested_by: string | null;
  note: string | null;
  scheduled_at: number | null;
  started_at: number | null;
  started_by: string | null;
  /** When it reached succeeded, failed or cancelled. */
  completed_at: number | null;
  /** null when the feed confirmed it (the finding disappeared). */
  completed_by: string | null;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    vulnerabilities: VulnerabilitiesTable;
    patch_jobs: PatchJobsTable;
  }
}

export type VulnerabilityRow = Selectable<VulnerabilitiesTable>;
export type PatchJobRow = Selectable<PatchJobsTable>;
