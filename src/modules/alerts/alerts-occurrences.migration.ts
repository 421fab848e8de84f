import { sql, type Kysely } from 'kysely';

/**
 * What a resolution that sticks needs: whether the vendor still reports the alert (so that one
 * that cleared and fires again is a new occurrence), whether it was resolved by a person or
 * cleared at the source, and when its current occurrence opened (response times count from there).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alerts').addColumn('source_active', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('alerts').addColumn('resolved_automatically', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('alerts').addColumn('opened_at', 'bigint').execute();
  await sql`UPDATE alerts SET opened_at = first_seen`.execute(db);
  // Before this, a clear at the source was recorded only as this note.
  await sql`UPDATE alerts SET resolved_automatically = 1, source_active = 0
    WHERE status = 'resolved' AND resolved_by IS NULL AND resolution_note = 'Cleared at the source'`.execute(db);
}
