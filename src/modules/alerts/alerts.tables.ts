import type { Generated, Selectable } from 'kysely';

/** The alerts module's tables (conventions in src/platform/db/schema.ts). */
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
  /** 1 while the vendor still reports it (state feeds); 0 once it cleared there. */
  source_active: Generated<number>;
  /** 1 when it was cleared at the source, not resolved by a person. */
  resolved_automatically: Generated<number>;
  /** When its current occurrence opened (first_seen, or the time of the occurrence that reopened it). */
  opened_at: number | null;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    alerts: AlertsTable;
  }
}

export type AlertRow = Selectable<AlertsTable>;
