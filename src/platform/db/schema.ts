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

export interface PlatformDatabase {
  tenants: TenantsTable;
  users: UsersTable;
  user_logins: UserLoginsTable;
  refresh_tokens: RefreshTokensTable;
  audit_logs: AuditLogsTable;
  tickets: TicketsTable;
  ticket_comments: TicketCommentsTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<UserLoginsTable>;
export type AuditRow = Selectable<AuditLogsTable>;
export type NewAuditRow = Insertable<AuditLogsTable>;
export type TicketRow = Selectable<TicketsTable>;
export type TicketUpdate = Updateable<TicketsTable>;
export type TicketCommentRow = Selectable<TicketCommentsTable>;
