import type { Selectable } from 'kysely';

/** The tenants module's tables (conventions in src/platform/db/schema.ts). */
export interface TenantsTable {
  id: string;
  name: string;
  slug: string;
  is_active: number;
  config: string;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    tenants: TenantsTable;
  }
}

export type TenantRow = Selectable<TenantsTable>;
