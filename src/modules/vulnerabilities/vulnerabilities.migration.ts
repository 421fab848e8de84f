import { sql, type Kysely } from 'kysely';

/**
 * The vendor's own severity next to Sentinel's (CVSS band when scored), an explicit accepted risk
 * (who, why, until when), who resolved by hand, and the patch job life cycle
 * (pending → in_progress → succeeded | failed | cancelled, with who and when).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['vendor_severity', 'severity_basis', 'accepted_by', 'acceptance_reason', 'resolved_by']) {
    await db.schema.alterTable('vulnerabilities').addColumn(column, 'text').execute();
  }
  for (const column of ['accepted_at', 'accepted_until']) await db.schema.alterTable('vulnerabilities').addColumn(column, 'bigint').execute();

  await db.schema.alterTable('patch_jobs').addColumn('started_at', 'bigint').execute();
  await db.schema.alterTable('patch_jobs').addColumn('started_by', 'text').execute();
  await db.schema.alterTable('patch_jobs').addColumn('completed_by', 'text').execute();
  await sql`UPDATE patch_jobs SET status = 'succeeded' WHERE status = 'completed'`.execute(db);
}
