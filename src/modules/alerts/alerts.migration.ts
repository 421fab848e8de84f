import type { Kysely } from 'kysely';

/** Alert lists are ordered by the alert's own time (last_seen, then id) and page on that pair. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('alerts_tenant_last_seen_idx').on('alerts').columns(['tenant_id', 'last_seen', 'id']).execute();
  await db.schema.createIndex('alerts_tenant_status_last_seen_idx').on('alerts').columns(['tenant_id', 'status', 'last_seen', 'id']).execute();
}
