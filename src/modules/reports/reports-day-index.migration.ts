import type { Kysely } from 'kysely';

/**
 * The schedule asks, every minute, which tenants already have the report of a given day: one
 * query over the day's index entries (about one per tenant), not a lookup per tenant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('reports_day_idx').on('reports').columns(['day', 'tenant_id']).execute();
}
