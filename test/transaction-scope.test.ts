import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Db } from '../src/platform/db/database.ts';
import { dialects, useTestDatabase } from './helpers/harness.ts';

interface Scratch { items: { name: string } }

for (const dialect of dialects()) {
  describe(`transaction scope (${dialect})`, () => {
    let db: Db;
    let handle: Kysely<Scratch>;
    const names = async () => (await handle.selectFrom('items').select('name').orderBy('name').execute()).map((r) => r.name);

    useTestDatabase(dialect, 'sentinel-scope', async (opened) => {
      db = opened;
      handle = db.kysely as unknown as Kysely<Scratch>;
      await sql`CREATE TABLE items (name TEXT NOT NULL)`.execute(handle);
    });

    it('puts every query made through the handle inside run() in one transaction', async () => {
      await db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'a' }).execute();
        // A query through the handle (not the trx argument) sees the uncommitted row, so it runs in
        // the transaction; on SQLite a query outside it would wait forever for the connection.
        assert.deepEqual(await names(), ['a']);
        await handle.insertInto('items').values({ name: 'b' }).execute();
      });
      assert.deepEqual(await names(), ['a', 'b']);
    });

    it('rolls back every write made through the handle when the work fails', async () => {
      await assert.rejects(db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'c' }).execute();
        await handle.transaction().execute(async (trx) => trx.insertInto('items').values({ name: 'd' }).execute());
        throw new Error('boom');
      }), /boom/);
      assert.deepEqual(await names(), ['a', 'b']);
    });

    it('lets a repository transaction opened inside join the outer one', async () => {
      await db.transaction(async (outer) => {
        await handle.transaction().execute(async (inner) => {
          assert.equal(inner, outer);
          await inner.insertInto('items').values({ name: 'e' }).execute();
        });
      });
      assert.deepEqual(await names(), ['a', 'b', 'e']);
    });

    it('sends work scheduled inside a transaction that has ended to the database, not the spent transaction', async () => {
      let later: Promise<string[]> | undefined;
      await db.transaction(async () => {
        later = new Promise((resolve, reject) => setTimeout(() => names().then(resolve, reject), 20));
      });
      assert.deepEqual(await later, ['a', 'b', 'e']);
    });

    it('keeps concurrent transactions apart', async () => {
      const first = db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'f' }).execute();
        await new Promise((resolve) => setTimeout(resolve, 10));
        throw new Error('first fails');
      });
      const second = db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'g' }).execute();
        await new Promise((resolve) => setTimeout(resolve, 10));
      });
      await assert.rejects(first, /first fails/);
      await second;
      assert.deepEqual(await names(), ['a', 'b', 'e', 'g']);
    });

    it('runs an effect after the commit, with the write visible; drops it on a rollback; runs it at once outside', async () => {
      await handle.deleteFrom('items').execute();
      const seen: string[][] = [];
      const effect = () => {
        void names().then((rows) => seen.push(rows));
      };
      await db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'committed' }).execute();
        db.afterCommit(effect);
        assert.equal(seen.length, 0, 'not while the transaction is open');
        await handle.insertInto('items').values({ name: 'later' }).execute();
        assert.equal(seen.length, 0);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(seen, [['committed', 'later']]);

      let ranAfterRollback = false;
      await assert.rejects(db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'rolled back' }).execute();
        db.afterCommit(() => {
          ranAfterRollback = true;
        });
        throw new Error('boom');
      }));
      assert.equal(ranAfterRollback, false);

      let ranOutside = false;
      db.afterCommit(() => {
        ranOutside = true;
      });
      assert.equal(ranOutside, true);
    });

    it('rolls back a failed savepoint alone, with the effects registered inside it, and keeps the rest', async () => {
      await handle.deleteFrom('items').execute();
      const ran: string[] = [];
      await db.transaction(async () => {
        await handle.insertInto('items').values({ name: 'before' }).execute();
        await assert.rejects(db.savepoint(async () => {
          await handle.insertInto('items').values({ name: 'failed' }).execute();
          db.afterCommit(() => ran.push('failed'));
          throw new Error('this part fails');
        }), /this part fails/);
        await db.savepoint(async () => {
          await handle.insertInto('items').values({ name: 'kept' }).execute();
          db.afterCommit(() => ran.push('kept'));
          // Nested: the inner one fails alone.
          await assert.rejects(db.savepoint(async () => {
            db.afterCommit(() => ran.push('nested failure'));
            throw new Error('inner');
          }));
        });
        assert.deepEqual(ran, [], 'nothing runs before the commit');
      });
      assert.deepEqual(ran, ['kept']);
      assert.deepEqual(await names(), ['before', 'kept']);

      // A savepoint whose transaction then fails is rolled back with it, effects included.
      await assert.rejects(db.transaction(async () => {
        await db.savepoint(async () => db.afterCommit(() => ran.push('outer failed')));
        throw new Error('boom');
      }));
      assert.deepEqual(ran, ['kept']);
    });
  });
}
