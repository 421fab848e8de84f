import type { Kysely } from 'kysely';

/** Notification channels, what each was told about each alert, and the delivery outbox/log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secret_ref', 'text')
    .addColumn('secret_fields', 'text', (c) => c.notNull())
    .addColumn('min_severity', 'text', (c) => c.notNull())
    .addColumn('sources', 'text')
    .addColumn('quiet_minutes', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('notification_channels_tenant_name', ['tenant_id', 'name'])
    .execute();
  await db.schema
    .createTable('notification_alert_state')
    .addColumn('channel_id', 'text', (c) => c.notNull().references('notification_channels.id').onDelete('cascade'))
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('notified_status', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_alert_state_pk', ['channel_id', 'alert_id'])
    .execute();
  await db.schema.createIndex('notification_alert_state_held_idx').on('notification_alert_state').columns(['notified_status', 'notified_at']).execute();
  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('channel_id', 'text')
    .addColumn('channel_type', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('response_status', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_deliveries_tenant_idx').on('notification_deliveries').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('notification_deliveries_due_idx').on('notification_deliveries').columns(['status', 'next_attempt_at']).execute();
  // The scan reads alerts changed since its cursor, across tenants.
  await db.schema.createIndex('alerts_updated_idx').on('alerts').columns(['updated_at']).execute();
  await db.schema.createTable('notification_scan').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('cursor', 'bigint', (c) => c.notNull()).execute();
  // Alerts changed before notifications existed are history, not news.
  // Through the builder, which quotes `cursor` (a reserved word in MySQL).
  await (db as Kysely<{ notification_scan: { id: string; cursor: number } }>).insertInto('notification_scan').values({ id: 'alerts', cursor: Date.now() }).execute();
}
