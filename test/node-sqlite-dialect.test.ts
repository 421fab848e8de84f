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
});
