import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../../platform/db/database.ts';

/**
 * Telemetry: series (metric + label set, per tenant), raw points, per-minute and per-hour rollups,
 * the batch ids already stored, and each tenant's series count and limits.
 *
 * Points and rollups are keyed time first: a batch holds one instant of many series, so its rows
 * land side by side in a few pages. Keyed series first, each of a batch's 1,000 series dirtied its
 * own page, and SQLite wrote and synced ~4 MB of WAL per batch.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('telemetry_series')
    // SQLite's rowid alias must be INTEGER; MySQL's matches the BIGINT series_id columns that reference it.
    .addColumn('id', { sqlite: 'integer', mysql: 'bigint', postgres: 'bigserial' }[dialect] as 'bigint', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
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
  await db.schema.createIndex('telemetry_points_ts_series_idx').on('telemetry_points').columns(['ts', 'series_id']).execute();

  for (const table of ['telemetry_minutes', 'telemetry_hours']) {
    await db.schema
      .createTable(table)
      .addColumn('series_id', 'bigint', (c) => c.notNull().references('telemetry_series.id').onDelete('cascade'))
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('value_count', 'bigint', (c) => c.notNull())
      .addColumn('value_sum', 'double precision', (c) => c.notNull())
      .addColumn('value_min', 'double precision', (c) => c.notNull())
      .addColumn('value_max', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['bucket', 'series_id'])
      // On SQLite the rows live in their key's B-tree: an upsert touches one tree, not a table and an index.
      .$call((builder) => (dialect === 'sqlite' ? builder.modifyEnd(sql`WITHOUT ROWID`) : builder))
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
