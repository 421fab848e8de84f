import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../platform/db/database.ts';

/** The tables the response cache serves; each is versioned under its own name. */
const VERSIONED_TABLES = ['tickets', 'alerts', 'systems'];

/**
 * A change counter per tenant and resource, bumped by triggers on every insert, update and delete,
 * whoever writes (the API, the sync worker's own connection, another process on the same file).
 * The response cache compares it before serving a stored page (docs/decisions.md).
 *
 * SQLite only: there every writer is serialised anyway, so one more row write per change costs a
 * few microseconds. On PostgreSQL a shared counter row would make concurrent writers of a tenant
 * queue (and could deadlock) on it, so the cache is off there and nothing is created.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`CREATE TABLE data_versions (
    tenant_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, resource)
  ) WITHOUT ROWID`.execute(db);
  for (const table of VERSIONED_TABLES) {
    for (const [event, row] of [['INSERT', 'NEW'], ['UPDATE', 'NEW'], ['DELETE', 'OLD']] as const) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_version_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)}
        BEGIN
          INSERT INTO data_versions (tenant_id, resource, version) VALUES (${sql.raw(row)}.tenant_id, ${sql.lit(table)}, 1)
            ON CONFLICT (tenant_id, resource) DO UPDATE SET version = version + 1;
        END`.execute(db);
    }
  }
}
