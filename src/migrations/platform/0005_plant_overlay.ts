import type { Kysely } from 'kysely';

/**
 * Production settings a client's own plant database has no columns for (docs/requirements.md,
 * PRD-1): per line its table code, ideal cycle time, downtime threshold and time zone, per product
 * its ideal cycle time. Keyed by the ids the client's database gives its lines and products; an
 * embedded plant database keeps the same settings in its own tables instead.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('plant_line_settings')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('line_id', 'bigint', (c) => c.notNull())
    .addColumn('line_code', 'text')
    .addColumn('ideal_cycle_seconds', 'double precision')
    .addColumn('downtime_threshold_seconds', 'integer')
    .addColumn('timezone', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('plant_line_settings_pk', ['tenant_id', 'line_id'])
    .execute();
  await db.schema
    .createTable('plant_product_settings')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('product_id', 'bigint', (c) => c.notNull())
    .addColumn('ideal_cycle_seconds', 'double precision')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('plant_product_settings_pk', ['tenant_id', 'product_id'])
    .execute();
}
