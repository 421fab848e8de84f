import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../../platform/db/database.ts';

/**
 * The audit log stays append-only, except for entries older than the bound the retention job sets
 * inside its own transaction (`audit_retention_gate`): no other transaction ever sees a bound, so
 * every other delete is still refused by the database.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.createTable('audit_retention_gate').addColumn('before', 'bigint', (c) => c.notNull()).execute();
  if (dialect === 'sqlite') {
    await sql`DROP TRIGGER audit_logs_no_delete`.execute(db);
    await sql`CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
      WHEN OLD.created_at >= COALESCE((SELECT MAX(before) FROM audit_retention_gate), 0)
      BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END`.execute(db);
    return;
  }
  if (dialect === 'mysql') {
    await sql`DROP TRIGGER audit_logs_no_delete`.execute(db);
    await sql`CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs FOR EACH ROW
      IF OLD.created_at >= COALESCE((SELECT MAX(\`before\`) FROM audit_retention_gate), 0) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs is append-only';
      END IF`.execute(db);
    return;
  }
  await sql`CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND OLD.created_at < COALESCE((SELECT max(before) FROM audit_retention_gate), 0) THEN RETURN OLD; END IF;
      RAISE EXCEPTION 'audit_logs is append-only';
    END $$`.execute(db);
}
