import type { Kysely } from 'kysely';

/**
 * The security analytics read a tenant's alerts by time window (the overview's incidents and
 * response-time widgets on every render): without these they read every alert of the tenant.
 * Incidents count alerts first seen in the last hours by severity; response times read the
 * columns they need for every occurrence opened in the window, from the index alone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('alerts_tenant_first_seen_idx').on('alerts').columns(['tenant_id', 'first_seen', 'severity']).execute();
  await db.schema.createIndex('alerts_tenant_response_idx').on('alerts')
    .columns(['tenant_id', 'opened_at', 'first_seen', 'severity', 'acknowledged_at', 'resolved_at', 'resolved_automatically']).execute();
}
