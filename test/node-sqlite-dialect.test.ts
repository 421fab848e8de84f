import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import type { Generated } from 'kysely';
import { returnsRows } from '../src/platform/db/node-sqlite-dialect.ts';

describe('node:sqlite adapter', () => {
  it('tells row-returning statements from the others the same way SQLite does', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const statements = [
      'select * from "t"',
      '  SELECT 1',
      'with x as (select 1) select * from x',
      'pragma table_info(t)',
      'insert into "t" ("name") values (?)',
      'insert into "t" ("name") values (?) returning "id"',
      'update "t" set "name" = ? where "id" = ?',
      'update "t" set "name" = ? returning *',
      'delete from "t" where "id" = ?',
      'create index "i" on "t" ("name")',
    ];
    for (const sql of statements) {
      assert.equal(returnsRows(sql), db.prepare(sql).columns().length > 0, sql);
    }
    db.close();
  });

  it('returns rows as objects through Kysely, including from iterate()', async () => {
    const { Kysely } = await import('kysely');
    const { nodeSqliteDialect } = await import('../src/platform/db/node-sqlite-dialect.ts');
    const db = new Kysely<{ t: { id: number; name: string | null } }>({ dialect: nodeSqliteDialect(new DatabaseSync(':memory:')) });
    await db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    const inserted = await db.insertInto('t').values([{ id: 1, name: 'a' }, { id: 2, name: null }]).executeTakeFirst();
    assert.equal(Number(inserted.numInsertedOrUpdatedRows), 2);
    assert.deepEqual((await db.selectFrom('t').selectAll().orderBy('id').execute()).map((r) => ({ ...r })), [{ id: 1, name: 'a' }, { id: 2, name: null }]);
    const streamed = [];
    for await (const row of db.selectFrom('t').select('name').orderBy('id').stream()) streamed.push(row.name);
    assert.deepEqual(streamed, ['a', null]);
    const updated = await db.updateTable('t').set({ name: 'b' }).where('id', '=', 2).returning(['id', 'name']).execute();
    assert.deepEqual(updated.map((r) => ({ ...r })), [{ id: 2, name: 'b' }]);
    await db.destroy();
  });
});

describe('toIso', () => {
  it('formats epoch milliseconds exactly like Date#toISOString', async () => {
    const { toIso } = await import('../src/platform/ids.ts');
    const samples = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -62_135_596_800_000];
    for (let i = 0; i < 100_000; i++) samples.push(Math.floor(Math.random() * 253_402_300_800_000));
    for (const ms of samples) assert.equal(toIso(ms), new Date(ms).toISOString(), String(ms));
  });
});

describe('node:sqlite dialect with another connection writing the same file', () => {
  async function open() {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { Kysely } = await import('kysely');
    const { nodeSqliteDialect } = await import('../src/platform/db/node-sqlite-dialect.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-dialect-'));
    const file = path.join(dir, 'shared.db');
    const other = new DatabaseSync(file);
    other.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const db = new Kysely<{ t: { id: Generated<number>; name: string } }>({ dialect: nodeSqliteDialect(new DatabaseSync(file)) });
    return {
      db,
      other,
      async close() {
        await db.destroy();
        other.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('holds the write lock from the start of a transaction, so a write in between cannot fail its later write', async (t) => {
    const { db, other, close } = await open();
    t.after(close);
    other.exec('PRAGMA busy_timeout = 0');
    let otherWrite = 'not tried';
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('t').selectAll().execute();
      try {
        other.exec("INSERT INTO t (name) VALUES ('other')");
        otherWrite = 'committed';
      } catch (error) {
        otherWrite = (error as Error).message;
      }
      await trx.insertInto('t').values({ name: 'ours' }).execute();
    });
    assert.equal(otherWrite, 'database is locked');
    assert.deepEqual((await db.selectFrom('t').select('name').execute()).map((r) => r.name), ['ours']);
  });

  it('waits for a lock held by another connection without blocking the event loop', async (t) => {
    const { db, other, close } = await open();
    t.after(close);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (name) VALUES ('other')");
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    t.after(() => clearInterval(ticker));
    setTimeout(() => other.exec('COMMIT'), 400);
    // One transaction and one single-statement write, both queued behind the other connection's lock.
    await Promise.all([
      db.transaction().execute((trx) => trx.insertInto('t').values({ name: 'in a transaction' }).execute()),
      db.insertInto('t').values({ name: 'alone' }).execute(),
    ]);
    assert.deepEqual((await db.selectFrom('t').select('name').orderBy('id').execute()).map((r) => r.name), ['other', 'in a transaction', 'alone']);
    // A busy timeout that slept on the event loop would have let the ticker run only after the wait.
    assert.ok(ticks >= 20, `the event loop kept turning while waiting (${ticks} ticks)`);
  });
});
