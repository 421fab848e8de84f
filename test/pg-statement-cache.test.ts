import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { cachePgStatements } from '../src/platform/db/pg-statement-cache.ts';
import { createPostgresDatabase } from './helpers/harness.ts';

describe('PostgreSQL prepared statements (platform database)', { skip: process.env.TEST_DATABASE_URL ? false : 'needs TEST_DATABASE_URL' }, () => {
  let database: { url: string; drop: () => Promise<void> };
  const opened: Kysely<any>[] = [];
  /** One connection, so that every query of a test runs on the session whose statements it inspects. */
  const connect = (perConnection: number) => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    cachePgStatements(pool, perConnection);
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    opened.push(db);
    return db;
  };
  const preparedTexts = async (db: Kysely<any>) =>
    (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'sentinel\_%'`.execute(db)).rows.map((row) => row.statement);

  before(async () => {
    database = await createPostgresDatabase();
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query('CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, \'one\'), (2, \'two\'), (3, \'three\')');
    await setup.end();
  });
  after(async () => {
    for (const db of opened) await db.destroy();
    await database.drop();
  });

  it('prepares a parameterised query once per connection and answers as before', async () => {
    const db = connect(256);
    for (const id of [1, 2, 1]) {
      const row = await db.selectFrom('items').select(['id', 'label']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual(row, { id, label: id === 1 ? 'one' : 'two' });
    }
    const texts = await preparedTexts(db);
    assert.equal(texts.filter((text) => text.includes('from "items"')).length, 1, texts.join('\n'));
  });

  it('prepares no more than the bound per connection, and nothing when the bound is 0', async () => {
    const bounded = connect(2);
    for (const column of ['id', 'label', 'id, label']) await sql`SELECT ${sql.raw(column)} FROM items WHERE id = ${1}`.execute(bounded);
    assert.equal((await preparedTexts(bounded)).length, 2);
    const off = connect(0);
    await off.selectFrom('items').selectAll().where('id', '=', 3).execute();
    assert.deepEqual(await preparedTexts(off), []);
  });

  it('keeps answering after another connection changes the columns under a prepared SELECT *', async () => {
    const db = connect(256);
    const read = () => db.selectFrom('items').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    assert.deepEqual(await read(), { id: 1, label: 'one' });
    const migration = new pg.Client({ connectionString: database.url });
    await migration.connect();
    await migration.query('ALTER TABLE items ADD COLUMN weight int');
    await migration.end();
    // PostgreSQL refuses the statement prepared before the change; sent again unnamed, it answers.
    assert.deepEqual(await read(), { id: 1, label: 'one', weight: null });
    assert.deepEqual(await db.selectFrom('items').select('label').where('id', '=', 2).executeTakeFirstOrThrow(), { label: 'two' });
  });
});
