import type { Kysely } from 'kysely';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';

/**
 * Sentinel's own production bookkeeping, in every plant database, embedded or a client's: the
 * `sentinel_` prefix keeps it apart from the client's tables. Instants are epoch milliseconds
 * (BIGINT) so the same arithmetic works on every dialect; plant ids are the client's integers.
 *
 * - `sentinel_line_state`: per line, since when Sentinel tracks its downtime, up to when every
 *   shift occurrence is settled, the last detection id read from a table someone else writes, and
 *   the time zone the day rollups were cut in.
 * - `sentinel_detection_batch`: batch ids already stored, so a retried batch is counted once.
 * - `sentinel_shift_downtime`: per shift occurrence, the latest output detection (what the downtime
 *   computation needs besides the events themselves to go on with new detections).
 * - `sentinel_rollup_{minute,hour,day}`: quantities per line, bucket, area and product (0 = none);
 *   hour buckets start on UTC hours, day buckets at local midnight in the line's time zone.
 */
export async function up(db: Kysely<unknown>, _dialect: PlantDialect): Promise<void> {
  await db.schema
    .createTable('sentinel_line_state')
    .addColumn('line_id', 'bigint', (c) => c.primaryKey())
    .addColumn('tracking_since', 'bigint', (c) => c.notNull())
    .addColumn('settled_until', 'bigint', (c) => c.notNull())
    .addColumn('read_detection_id', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('day_time_zone', 'varchar(64)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sentinel_detection_batch')
    .addColumn('line_id', 'bigint', (c) => c.notNull())
    .addColumn('batch_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('detections', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sentinel_detection_batch_pk', ['line_id', 'batch_id'])
    .execute();

  await db.schema
    .createTable('sentinel_shift_downtime')
    .addColumn('line_id', 'bigint', (c) => c.notNull())
    .addColumn('shift_start', 'bigint', (c) => c.notNull())
    .addColumn('shift_end', 'bigint', (c) => c.notNull())
    .addColumn('last_output_at', 'bigint')
    .addPrimaryKeyConstraint('sentinel_shift_downtime_pk', ['line_id', 'shift_start'])
    .execute();

  for (const unit of ['minute', 'hour', 'day']) {
    const table = `sentinel_rollup_${unit}`;
    await db.schema
      .createTable(table)
      .addColumn('line_id', 'bigint', (c) => c.notNull())
      .addColumn('bucket_start', 'bigint', (c) => c.notNull())
      .addColumn('area_id', 'bigint', (c) => c.notNull())
      .addColumn('product_id', 'bigint', (c) => c.notNull())
      .addColumn('quantity', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['line_id', 'bucket_start', 'area_id', 'product_id'])
      .execute();
  }
}
