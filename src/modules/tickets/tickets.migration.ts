import type { Kysely } from 'kysely';

/** Tickets are found by the alert or vulnerability they are about (lists, an alert's ticket_id). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('tickets_tenant_alert_idx').on('tickets').columns(['tenant_id', 'alert_id']).execute();
  await db.schema.createIndex('tickets_tenant_vulnerability_idx').on('tickets').columns(['tenant_id', 'vulnerability_id']).execute();
}
