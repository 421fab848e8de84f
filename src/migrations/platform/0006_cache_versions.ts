import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';

/** Tables whose changes are recorded under their own name (tickets have functions of their own below). */
const RECORDED_TABLES = ['alerts', 'systems'];

/**
 * Versions for the response cache, beyond 0004's counters:
 *
 * - `alert_tickets`: writes of tickets linked to an alert. An alert page shows each alert's ticket,
 *   so it must change with those, but not with every ticket a tenant files (0004 bumps `tickets`
 *   for all of them, which made the alert pages of a tenant filing tickets almost never reusable).
 *
 * - On PostgreSQL, 0004's counters are replaced by change records: every statement that writes one
 *   of these tables records, in its own transaction, which tenants it touched under which
 *   transaction id. A stored page carries the snapshot it was read under; it still holds while no
 *   record of its tenant and resources belongs to a transaction that snapshot did not see and that
 *   has committed since (src/platform/db/data-versions.ts). Why not 0004's counter row or NOTIFY:
 *   concurrent writers of a tenant would queue on the row's lock, and notifying commits are
 *   serialised (docs/operations.md, "Across nodes"). Here two transactions never write the same key
 *   (the transaction id is part of it), so nothing waits; a statement adds one row per tenant and
 *   resource it touched, whatever the number of rows it wrote. The API processes delete records no
 *   stored page can need any more every minute.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await alertTicketCounters(db);
  if (dialect === 'postgres') await changeRecords(db);
}

async function alertTicketCounters(db: Kysely<unknown>): Promise<void> {
  const bump = (row: 'NEW' | 'OLD') => sql.raw(`INSERT INTO data_versions (tenant_id, resource, version) VALUES (${row}.tenant_id, 'alert_tickets', 1)
    ON CONFLICT (tenant_id, resource) DO UPDATE SET version = version + 1;`);
  await sql`CREATE TRIGGER tickets_alert_version_insert AFTER INSERT ON tickets WHEN NEW.alert_id IS NOT NULL BEGIN ${bump('NEW')} END`.execute(db);
  await sql`CREATE TRIGGER tickets_alert_version_update AFTER UPDATE ON tickets WHEN OLD.alert_id IS NOT NULL OR NEW.alert_id IS NOT NULL
    BEGIN ${bump('OLD')} ${bump('NEW')} END`.execute(db);
  await sql`CREATE TRIGGER tickets_alert_version_delete AFTER DELETE ON tickets WHEN OLD.alert_id IS NOT NULL BEGIN ${bump('OLD')} END`.execute(db);
}

async function changeRecords(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE data_changes (
    tenant_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, resource, xid)
  )`.execute(db);
  // Inserts and deletes see their rows as one transition table; updates record old and new rows alike.
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
  // Tickets: every one under `tickets`, those linked to an alert under `alert_tickets` too.
  await sql`CREATE FUNCTION record_ticket_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO data_changes (tenant_id, resource)
        SELECT DISTINCT tenant_id, resource FROM changed_rows,
          LATERAL (VALUES ('tickets'), (CASE WHEN alert_id IS NOT NULL THEN 'alert_tickets' END)) AS recorded (resource)
        WHERE resource IS NOT NULL
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE FUNCTION record_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO data_changes (tenant_id, resource)
        SELECT DISTINCT tenant_id, resource FROM (SELECT tenant_id, alert_id FROM old_rows UNION ALL SELECT tenant_id, alert_id FROM new_rows) AS changed_rows,
          LATERAL (VALUES ('tickets'), (CASE WHEN alert_id IS NOT NULL THEN 'alert_tickets' END)) AS recorded (resource)
        WHERE resource IS NOT NULL
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  const triggers = [
    ...RECORDED_TABLES.map((table) => ({ table, change: sql.raw(`record_data_change('${table}')`), update: sql.raw(`record_data_update('${table}')`) })),
    { table: 'tickets', change: sql.raw('record_ticket_change()'), update: sql.raw('record_ticket_update()') },
  ];
  for (const { table, change, update } of triggers) {
    const name = (event: string) => sql.raw(`${table}_record_${event}`);
    await sql`CREATE TRIGGER ${name('insert')} AFTER INSERT ON ${sql.table(table)} REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${change}`.execute(db);
    await sql`CREATE TRIGGER ${name('delete')} AFTER DELETE ON ${sql.table(table)} REFERENCING OLD TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${change}`.execute(db);
    await sql`CREATE TRIGGER ${name('update')} AFTER UPDATE ON ${sql.table(table)} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${update}`.execute(db);
  }
}
