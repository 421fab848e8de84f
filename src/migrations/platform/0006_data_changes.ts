import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';

/** The tables the response cache serves (as in 0004); each is recorded under its own name. */
const RECORDED_TABLES = ['tickets', 'alerts', 'systems'];

/**
 * PostgreSQL's answer to 0004's counters: every statement that writes one of the response cache's
 * tables records, in its own transaction, which tenants it touched and under which transaction id.
 * A stored page carries the snapshot it was read under; it still holds while no record of its
 * tenant and resources belongs to a transaction that snapshot did not see and that has committed
 * since (src/platform/db/data-versions.ts).
 *
 * Why not a counter row (0004) or NOTIFY: concurrent writers of a tenant would queue on the row's
 * lock, and notifying commits are serialised (docs/operations.md, "Across nodes"). Here two
 * transactions never write the same key (the transaction id is part of it), so nothing waits;
 * a statement adds one row per tenant it touched, whatever the number of rows it wrote.
 * The API processes delete records no stored page can need any more every minute.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`CREATE TABLE data_changes (
    tenant_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, resource, xid)
  )`.execute(db);
  // Inserts and deletes see their rows as one transition table; updates record old and new tenants alike.
  await sql`CREATE FUNCTION record_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO data_changes (tenant_id, resource) SELECT DISTINCT tenant_id, TG_ARGV[0] FROM changed_rows ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE FUNCTION record_data_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO data_changes (tenant_id, resource)
        SELECT tenant_id, TG_ARGV[0] FROM old_rows UNION SELECT tenant_id, TG_ARGV[0] FROM new_rows
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of RECORDED_TABLES) {
    const name = (event: string) => sql.raw(`${table}_record_${event}`);
    await sql`CREATE TRIGGER ${name('insert')} AFTER INSERT ON ${sql.table(table)} REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION record_data_change(${sql.lit(table)})`.execute(db);
    await sql`CREATE TRIGGER ${name('delete')} AFTER DELETE ON ${sql.table(table)} REFERENCING OLD TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION record_data_change(${sql.lit(table)})`.execute(db);
    await sql`CREATE TRIGGER ${name('update')} AFTER UPDATE ON ${sql.table(table)} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION record_data_update(${sql.lit(table)})`.execute(db);
  }
}
