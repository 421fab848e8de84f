import type { Selectable } from 'kysely';

/** The systems module's tables (conventions in src/platform/db/schema.ts). */
export interface SystemsTable {
  id: string;
  tenant_id: string;
  integration_id: string;
  name: string;
  type: string;
  /** The worse of vendor_status and what the open alerts call for (the tenant's rules). */
  status: string;
  /** The health the vendor itself reported (or `alert` when it could not be reached). */
  vendor_status: string | null;
  /** `vendor` or `open_alerts`: which of the two set `status`. */
  status_set_by: string | null;
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

export interface SystemSettingsTable {
  tenant_id: string;
  /** JSON array of severities. */
  alert_severities: string;
  warning_severities: string;
  uptime_window_days: number;
  updated_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface SystemAvailabilityTable {
  id: string;
  tenant_id: string;
  system_id: string;
  up: number;
  started_at: number;
  ended_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    systems: SystemsTable;
    assets: AssetsTable;
    system_settings: SystemSettingsTable;
    system_availability: SystemAvailabilityTable;
  }
}

export type SystemRow = Selectable<SystemsTable>;
