import type { Selectable } from 'kysely';

/** The reports module's tables (conventions in src/platform/db/schema.ts). */
export interface ReportsTable {
  id: string;
  tenant_id: string;
  /** The tenant's local day it covers, YYYY-MM-DD. */
  day: string;
  time_zone: string;
  /** The day's bounds as instants: [from_at, to_at). */
  from_at: number;
  to_at: number;
  /** JSON: the figures the PDF and CSV show. */
  summary: string;
  pdf: Uint8Array;
  csv: string;
  created_at: number;
  updated_at: number;
}

/** When a tenant's daily report is made and e-mailed (no row: the defaults). */
export interface ReportSettingsTable {
  tenant_id: string;
  /** Local time of day, HH:MM. */
  send_at: string;
  enabled: number;
  updated_at: number;
}

/** Users who receive the daily report by e-mail. */
export interface ReportSubscriptionsTable {
  tenant_id: string;
  user_id: string;
  created_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    reports: ReportsTable;
    report_settings: ReportSettingsTable;
    report_subscriptions: ReportSubscriptionsTable;
  }
}

export type ReportRow = Selectable<ReportsTable>;
