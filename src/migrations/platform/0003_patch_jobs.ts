import type { Kysely } from 'kysely';

/** Patching a vulnerability: who asked, when, for when, and how it ended. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('patch_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('vulnerability_id', 'text', (c) => c.notNull().references('vulnerabilities.id').onDelete('cascade'))
    // pending → completed (the feed stopped reporting it, or someone resolved it) | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('note', 'text')
    .addColumn('scheduled_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('patch_jobs_vulnerability_idx').on('patch_jobs').columns(['tenant_id', 'vulnerability_id', 'status']).execute();
}
