import type { Insertable, Selectable } from 'kysely';

/** The audit module's tables (conventions in src/platform/db/schema.ts). */
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

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    audit_logs: AuditLogsTable;
  }
}

export type AuditRow = Selectable<AuditLogsTable>;
export type NewAuditRow = Insertable<AuditLogsTable>;
