import { sql, type Kysely } from 'kysely';

/**
 * A system's status is the worse of its vendor's health and its open alerts: the vendor's own
 * health is kept apart (`vendor_status`), with which of the two set the status; the rules per
 * tenant; and the availability history the uptime percentage is computed from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('systems').addColumn('vendor_status', 'text').execute();
  await db.schema.alterTable('systems').addColumn('status_set_by', 'text').execute();
  await sql`UPDATE systems SET vendor_status = status, status_set_by = 'vendor'`.execute(db);

  await db.schema
    .createTable('system_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    // JSON arrays of severities: an open alert of one of them makes its system `alert` / `warning`.
    .addColumn('alert_severities', 'text', (c) => c.notNull())
    .addColumn('warning_severities', 'text', (c) => c.notNull())
    .addColumn('uptime_window_days', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row per stretch of time a system was seen up (or down) by consecutive syncs: rows only at changes.
  await db.schema
    .createTable('system_availability')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('system_id', 'text', (c) => c.notNull().references('systems.id').onDelete('cascade'))
    .addColumn('up', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('system_availability_system_idx').on('system_availability').columns(['tenant_id', 'system_id', 'ended_at']).execute();
}
