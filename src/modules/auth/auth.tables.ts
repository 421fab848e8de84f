import type { Selectable } from 'kysely';

/** The auth module's tables (conventions in src/platform/db/schema.ts). */
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

/** A user who must change the password before anything else (it was generated and shown once). */
export interface PasswordChangeRequiredTable {
  user_id: string;
  /** `generated`: Sentinel chose the password. */
  reason: string;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    user_logins: UserLoginsTable;
    refresh_tokens: RefreshTokensTable;
    password_change_required: PasswordChangeRequiredTable;
  }
}

/** A sign-in session. */
export type SessionRow = Selectable<UserLoginsTable>;
