import type { Selectable } from 'kysely';

/** The users module's tables (conventions in src/platform/db/schema.ts). */
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

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    users: UsersTable;
  }
}

export type UserRow = Selectable<UsersTable>;
