import type { Selectable } from 'kysely';

/** The systems module's tables (conventions in src/platform/db/schema.ts). */
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

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    systems: SystemsTable;
    assets: AssetsTable;
  }
}

export type SystemRow = Selectable<SystemsTable>;
