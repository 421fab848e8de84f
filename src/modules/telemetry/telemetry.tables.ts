import type { Generated, Selectable } from 'kysely';

/** The telemetry module's tables (conventions in src/platform/db/schema.ts). */
export interface TelemetrySeriesTable {
  /** A small integer: every stored point and rollup carries it. */
  id: Generated<number>;
  tenant_id: string;
  metric: string;
  /** The labels as canonical JSON (keys sorted). */
  labels: string;
  /** What a series is unique by (with tenant and metric): a hash of `labels`, short enough to key on every dialect. */
  labels_key: string | null;
  created_at: number;
}

export interface TelemetryPointsTable {
  series_id: number;
  ts: number;
  value: number;
}

/** One per series and bucket (minute or hour): what the raw points of the bucket add up to. */
export interface TelemetryRollupsTable {
  series_id: number;
  bucket: number;
  value_count: number;
  value_sum: number;
  value_min: number;
  value_max: number;
}

export interface TelemetryBatchesTable {
  tenant_id: string;
  batch_id: string;
  points: number;
  received_at: number;
}

/** Per tenant: how many series it has, and its own limits where the platform's defaults do not apply (null). */
export interface TelemetryTenantsTable {
  tenant_id: string;
  series_count: number;
  max_series: number | null;
  raw_retention_days: number | null;
  minute_retention_days: number | null;
  hour_retention_days: number | null;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    telemetry_series: TelemetrySeriesTable;
    telemetry_points: TelemetryPointsTable;
    telemetry_minutes: TelemetryRollupsTable;
    telemetry_hours: TelemetryRollupsTable;
    telemetry_batches: TelemetryBatchesTable;
    telemetry_tenants: TelemetryTenantsTable;
  }
}

export type TelemetryTenantRow = Selectable<TelemetryTenantsTable>;
export type RollupTable = 'telemetry_minutes' | 'telemetry_hours';
