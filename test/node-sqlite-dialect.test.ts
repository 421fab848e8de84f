import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
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
