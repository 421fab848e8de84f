import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Db } from '../src/platform/db/database.ts';
import { createPostgresDatabase } from './helpers/harness.ts';

/*
 * Losing a connection is a PostgreSQL matter (SQLite has none to lose), so these run on PostgreSQL
 * only. The session is ended from the server side (pg_terminate_backend sends 57P01, as a fast
 * shutdown does) while the client is checked out of the pool but between queries: the moment an
 * error event used to have no listener and took the process down.
 */
describe('PostgreSQL connections lost while in use', { skip: process.env.TEST_DATABASE_URL ? false : 'needs TEST_DATABASE_URL' }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: Db;
  const warnings: string[] = [];

  before(async () => {
    database = await createPostgresDatabase();
    db = openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent' }, { warn: (_obj, msg) => warnings.push(msg) });
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  async function terminate(pid: number): Promise<void> {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    // Let the termination notice and the socket's end reach the client.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  it('survives a checked-out connection being ended between queries, and the next query works', async () => {
    await db.kysely.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(connection);
      await terminate(rows[0]!.pid);
    });
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db.kysely);
    assert.equal(rows[0]!.one, 1);
    assert.ok(warnings.includes('database connection lost'), `warnings: ${warnings.join(', ')}`);
  });

  it('fails a transaction whose connection is ended with an error the caller can handle', async () => {
    await assert.rejects(db.kysely.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
      await terminate(rows[0]!.pid);
      await sql`SELECT 1`.execute(trx);
    }));
    await db.ping(2_000);
  });

  it('survives an idle pooled connection being ended', async () => {
    const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db.kysely);
    await terminate(rows[0]!.pid);
    await db.ping(2_000);
  });
});
