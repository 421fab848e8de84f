import { sql, type Kysely } from 'kysely';

/**
 * The plant structure of an embedded plant database, in the layout a client's own database has
 * (docs/requirements.md, PRD-1 and PRD-2): PRODUCTION_LINE, AREA, PRODUCT, FILTER and SHIFT, with
 * created_at/updated_at (epoch ms) on every table. Sentinel owns this database, so the settings a
 * client's database lacks (line code, ideal cycle times, downtime threshold, time zone) are columns
 * here; for a client's database they live in the platform database instead. Embedded plant
 * databases are SQLite: ids are integer rowids.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('PRODUCTION_LINE')
    .addColumn('line_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('line_name', 'text', (c) => c.notNull())
    // Set to the line id, as text, when none is given.
    .addColumn('line_code', 'text', (c) => c.unique())
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('ideal_cycle_seconds', 'double precision')
    .addColumn('downtime_threshold_seconds', 'integer')
    .addColumn('timezone', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('AREA')
    .addColumn('area_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('line_id', 'integer', (c) => c.notNull().references('PRODUCTION_LINE.line_id').onDelete('cascade'))
    .addColumn('area_name', 'text', (c) => c.notNull())
    .addColumn('area_type', 'text', (c) => c.notNull().check(sql`area_type IN ('input', 'process', 'output', 'reject')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('AREA_line_idx').on('AREA').column('line_id').execute();

  await db.schema
    .createTable('PRODUCT')
    .addColumn('product_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('product_name', 'text', (c) => c.notNull())
    .addColumn('product_code', 'text', (c) => c.notNull().unique())
    .addColumn('ideal_cycle_seconds', 'double precision')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('FILTER')
    .addColumn('filter_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('filter_name', 'text', (c) => c.notNull())
    .addColumn('filter_status', 'integer', (c) => c.notNull().defaultTo(1))
    // JSON text.
    .addColumn('default_value', 'text')
    .addColumn('additional_filter', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('SHIFT')
    .addColumn('shift_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('shift_name', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text', (c) => c.notNull())
    // Null: the shift applies to every line.
    .addColumn('line_id', 'integer', (c) => c.references('PRODUCTION_LINE.line_id').onDelete('cascade'))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
