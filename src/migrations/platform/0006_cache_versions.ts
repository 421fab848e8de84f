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
 * - `deleted_users`: deleted users. Alert pages name the users who acknowledged and resolved each alert, by
 *   a lookup (no foreign key), so a deleted user's name must leave them; usernames never change. A
 *   platform user (no tenant) may appear on any tenant's page, so it is recorded under `*`, which
 *   every tenant's check reads too.
 *
 * - On PostgreSQL, 0004's counters are replaced by change records: every statement that writes one
 *   of these tables records, in its own transaction, which tenants it touched under which
 *   transaction id (a TRUNCATE records `*`). A stored page carries the snapshot it was read under; it
 *   still holds while no record of its tenant and resources belongs to a transaction that snapshot
 *   did not see and that has committed since (src/platform/db/data-versions.ts). Why not 0004's
 *   counter row or NOTIFY: concurrent writers of a tenant would queue on the row's lock, and
 *   notifying commits are serialised (docs/operations.md, "Across nodes"). Here two transactions
 *   never write the same key (the transaction id is part of it), so nothing waits; a statement adds
 *   one row per tenant and resource it touched, whatever the number of rows it wrote. The functions
 *   run as their owner, so a writer under another role (a client's own tool) needs no rights on
 *   `data_changes`; they name this schema's table and search the session's temporary schema last, so
 *   no such writer can put a table (or trigger) of its own in their way. The API processes delete
 *   records no stored page can need any more every minute.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await sqliteCounters(db);
  if (dialect === 'postgres') await changeRecords(db);
}

async function sqliteCounters(db: Kysely<unknown>): Promise<void> {
  const bump = (tenant: string, resource: string) => sql.raw(`INSERT INTO data_versions (tenant_id, resource, version) VALUES (${tenant}, '${resource}', 1)
    ON CONFLICT (tenant_id, resource) DO UPDATE SET version = version + 1;`);
  await sql`CREATE TRIGGER tickets_alert_version_insert AFTER INSERT ON tickets WHEN NEW.alert_id IS NOT NULL
    BEGIN ${bump('NEW.tenant_id', 'alert_tickets')} END`.execute(db);
  await sql`CREATE TRIGGER tickets_alert_version_update AFTER UPDATE ON tickets WHEN OLD.alert_id IS NOT NULL OR NEW.alert_id IS NOT NULL
    BEGIN ${bump('OLD.tenant_id', 'alert_tickets')} ${bump('NEW.tenant_id', 'alert_tickets')} END`.execute(db);
  await sql`CREATE TRIGGER tickets_alert_version_delete AFTER DELETE ON tickets WHEN OLD.alert_id IS NOT NULL
    BEGIN ${bump('OLD.tenant_id', 'alert_tickets')} END`.execute(db);
  await sql`CREATE TRIGGER users_version_delete AFTER DELETE ON users BEGIN ${bump(`COALESCE(OLD.tenant_id, '*')`, 'deleted_users')} END`.execute(db);
}

async function changeRecords(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = `"${rows[0]!.schema.replaceAll('"', '""')}"`;
  await sql`CREATE TABLE data_changes (
    tenant_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant_id, resource, xid)
  )`.execute(db);
  // SECURITY DEFINER, so pg_temp goes last in the search path (PostgreSQL's advice for such functions).
  const recorder = (name: string, body: string) => sql`CREATE FUNCTION ${sql.raw(name)}() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = ${sql.raw(`${schema}, pg_temp`)}
    AS ${sql.lit(`BEGIN ${body.replaceAll('INSERT INTO data_changes', `INSERT INTO ${schema}.data_changes`)} RETURN NULL; END`)}`.execute(db);
  // Inserts and deletes see their rows as one transition table (changed_rows); updates see old_rows and new_rows.
  const updated = 'SELECT tenant_id, alert_id FROM old_rows UNION ALL SELECT tenant_id, alert_id FROM new_rows';
  const ticketResources = `LATERAL (VALUES ('tickets'), (CASE WHEN alert_id IS NOT NULL THEN 'alert_tickets' END)) AS recorded (resource) WHERE resource IS NOT NULL`;
  await recorder('record_data_change', `INSERT INTO data_changes (tenant_id, resource)
    SELECT DISTINCT tenant_id, TG_ARGV[0] FROM changed_rows ON CONFLICT DO NOTHING;`);
  await recorder('record_data_update', `INSERT INTO data_changes (tenant_id, resource)
    SELECT tenant_id, TG_ARGV[0] FROM old_rows UNION SELECT tenant_id, TG_ARGV[0] FROM new_rows ON CONFLICT DO NOTHING;`);
  await recorder('record_ticket_change', `INSERT INTO data_changes (tenant_id, resource)
    SELECT DISTINCT tenant_id, resource FROM changed_rows, ${ticketResources} ON CONFLICT DO NOTHING;`);
  await recorder('record_ticket_update', `INSERT INTO data_changes (tenant_id, resource)
    SELECT DISTINCT tenant_id, resource FROM (${updated}) AS changed_rows, ${ticketResources} ON CONFLICT DO NOTHING;`);
  await recorder('record_user_delete', `INSERT INTO data_changes (tenant_id, resource)
    SELECT DISTINCT COALESCE(tenant_id, '*'), 'deleted_users' FROM changed_rows ON CONFLICT DO NOTHING;`);
  await recorder('record_truncate', `INSERT INTO data_changes (tenant_id, resource)
    SELECT '*', resource FROM unnest(TG_ARGV) AS recorded (resource) ON CONFLICT DO NOTHING;`);

  const trigger = (table: string, event: string, timing: string, call: string) =>
    sql`CREATE TRIGGER ${sql.raw(`${table}_record_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)} ${sql.raw(timing)}
      FOR EACH STATEMENT EXECUTE FUNCTION ${sql.raw(call)}`.execute(db);
  const changes = [
    ...RECORDED_TABLES.map((table) => ({ table, change: `record_data_change('${table}')`, update: `record_data_update('${table}')`, truncate: `record_truncate('${table}')` })),
    { table: 'tickets', change: 'record_ticket_change()', update: 'record_ticket_update()', truncate: `record_truncate('tickets', 'alert_tickets')` },
  ];
  for (const { table, change, update, truncate } of changes) {
    await trigger(table, 'INSERT', 'REFERENCING NEW TABLE AS changed_rows', change);
    await trigger(table, 'DELETE', 'REFERENCING OLD TABLE AS changed_rows', change);
    await trigger(table, 'UPDATE', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', update);
    await trigger(table, 'TRUNCATE', '', truncate);
  }
  await trigger('users', 'DELETE', 'REFERENCING OLD TABLE AS changed_rows', 'record_user_delete()');
  await trigger('users', 'TRUNCATE', '', `record_truncate('deleted_users')`);
}
