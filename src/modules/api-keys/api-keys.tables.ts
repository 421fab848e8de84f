import type { Selectable } from 'kysely';

/** The api-keys module's tables (conventions in src/platform/db/schema.ts). */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 (hex) of the key's secret part; the secret itself is never stored. */
  secret_hash: string;
  /** JSON array of permission names. */
  scopes: string;
  /** JSON array of plant line ids, or null for every line of the tenant. */
  line_ids: string | null;
  /** The user who created it (kept when that user is deleted: the key belongs to the tenant). */
  created_by: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    api_keys: ApiKeysTable;
  }
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
