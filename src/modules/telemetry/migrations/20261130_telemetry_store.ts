import type { Kysely } from 'kysely';
import type { Dialect } from '../../../platform/db/database.ts';

/**
 * Telemetry: series (metric + label set, per tenant), raw points, per-minute and per-hour rollups,
 * the batch ids already stored, and each tenant's series count and limits.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('telemetry_series')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('telemetry_series_tenant_metric_labels_uq', ['tenant_id', 'metric', 'labels'])
    .execute();

  await db.schema
    .createTable('telemetry_points')
    .addColumn('series_id', 'bigint', (c) => c.notNull().references('telemetry_series.id').onDelete('cascade'))
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('telemetry_points_series_ts_idx').on('telemetry_points').columns(['series_id', 'ts']).execute();

  for (const table of ['telemetry_minutes', 'telemetry_hours']) {
    await db.schema
      .createTable(table)
      .addColumn('series_id', 'bigint', (c) => c.notNull().references('telemetry_series.id').onDelete('cascade'))
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('value_count', 'bigint', (c) => c.notNull())
      .addColumn('value_sum', 'double precision', (c) => c.notNull())
      .addColumn('value_min', 'double precision', (c) => c.notNull())
      .addColumn('value_max', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['series_id', 'bucket'])
      .execute();
  }

  await db.schema
    .createTable('telemetry_batches')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('points', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('telemetry_batches_pk', ['tenant_id', 'batch_id'])
    .execute();
  await db.schema.createIndex('telemetry_batches_received_idx').on('telemetry_batches').columns(['received_at']).execute();

  await db.schema
    .createTable('telemetry_tenants')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('series_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_series', 'integer')
    .addColumn('raw_retention_days', 'integer')
    .addColumn('minute_retention_days', 'integer')
    .addColumn('hour_retention_days', 'integer')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
