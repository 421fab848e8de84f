import type { Selectable } from 'kysely';

/** The production module's platform tables (conventions in src/platform/db/schema.ts). */
export interface PlantDatabasesTable {
  tenant_id: string;
  dialect: string;
  /** Reference into the secret store, where the URL (with its password) is kept. */
  secret_ref: string;
  created_at: number;
  updated_at: number;
}

export interface DowntimeReasonsTable {
  id: string;
  tenant_id: string;
  reason: string;
  category: string;
  created_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    plant_databases: PlantDatabasesTable;
    downtime_reasons: DowntimeReasonsTable;
  }
}

export type PlantDatabaseRow = Selectable<PlantDatabasesTable>;
export type DowntimeReasonRow = Selectable<DowntimeReasonsTable>;
