import type { Kysely } from 'kysely';

/**
 * What the production module keeps in the platform database: where each tenant's plant database
 * is (no row: the embedded one; the URL itself is in the secret store), and each tenant's list of
 * downtime reasons operators choose from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('plant_databases')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('dialect', 'text', (c) => c.notNull())
    .addColumn('secret_ref', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('downtime_reasons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('downtime_reasons_tenant_reason', ['tenant_id', 'reason'])
    .execute();
}
