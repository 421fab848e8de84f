import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * Platform database tables. Instants are epoch milliseconds; flags are 0/1 integers so that the same
 * rows work on every dialect; JSON columns are text.
 */
export interface TenantsTable {
  id: string;
  name: string;
  slug: string;
  is_active: number;
  config: string;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  /** Null only for platform SUPER_ADMIN accounts. */
  tenant_id: string | null;
  username: string;
  email: string | null;
  role: string;
  permissions: string;
  password_hash: string;
  is_active: number;
  created_at: number;
  updated_at: number;
}

export interface UserLoginsTable {
  id: string;
  user_id: string;
  tenant_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  updated_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AuditLogsTable {
  id: string;
  tenant_id: string | null;
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  detail: string | null;
  created_at: number;
  updated_at: number;
}

export interface TicketsTable {
  id: string;
  tenant_id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  assignee_id: string | null;
  alert_id: string | null;
  vulnerability_id: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface TicketCommentsTable {
  id: string;
  tenant_id: string;
  ticket_id: string;
  author_id: string | null;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface SecretsTable {
  id: string;
  tenant_id: string | null;
  name: string;
  key_id: string;
  wrapped_key: string;
  ciphertext: string;
  created_at: number;
  updated_at: number;
}

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

export interface SystemsTable {
  id: string;
  tenant_id: string;
  integration_id: string;
  name: string;
  type: string;
  status: string;
  status_summary: string | null;
  uptime_seconds: number | null;
  response_time_avg_ms: number | null;
  last_seen: number | null;
  created_at: number;
  updated_at: number;
}

export interface AssetsTable {
  id: string;
  tenant_id: string;
  system_id: string;
  external_id: string;
  name: string;
  kind: string;
  status: string;
  detail: string | null;
  last_seen: number;
  created_at: number;
  updated_at: number;
}

export interface AlertsTable {
  id: string;
  tenant_id: string;
  integration_id: string | null;
  system_id: string | null;
  external_id: string;
  title: string;
  description: string;
  severity: string;
  vendor_severity: string | null;
  source: string;
  asset: string | null;
  status: string;
  first_seen: number;
  last_seen: number;
  occurrences: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: number;
  updated_at: number;
}

export interface VulnerabilitiesTable {
  id: string;
  tenant_id: string;
  integration_id: string | null;
  system_id: string | null;
  external_id: string;
  cve: string;
  title: string;
  severity: string;
  cvss_score: number | null;
  asset: string;
  package: string | null;
  version: string | null;
  fixed_version: string | null;
  status: string;
  first_seen: number;
  last_seen: number;
  resolved_at: number | null;
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
  completed_at: number | null;
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

export interface PlatformDatabase {
  tenants: TenantsTable;
  users: UsersTable;
  user_logins: UserLoginsTable;
  refresh_tokens: RefreshTokensTable;
  audit_logs: AuditLogsTable;
  tickets: TicketsTable;
  ticket_comments: TicketCommentsTable;
  secrets: SecretsTable;
  integrations: IntegrationsTable;
  systems: SystemsTable;
  assets: AssetsTable;
  alerts: AlertsTable;
  vulnerabilities: VulnerabilitiesTable;
  job_runs: JobRunsTable;
  patch_jobs: PatchJobsTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<UserLoginsTable>;
export type AuditRow = Selectable<AuditLogsTable>;
export type NewAuditRow = Insertable<AuditLogsTable>;
export type TicketRow = Selectable<TicketsTable>;
export type TicketUpdate = Updateable<TicketsTable>;
export type TicketCommentRow = Selectable<TicketCommentsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type SystemRow = Selectable<SystemsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type VulnerabilityRow = Selectable<VulnerabilitiesTable>;
export type JobRunRow = Selectable<JobRunsTable>;
export type PatchJobRow = Selectable<PatchJobsTable>;
