// The SQL the repositories write for SQLite and PostgreSQL behaves the same on MySQL/MariaDB, through
// the platform's schema and upsert translation: case-sensitive text keys, enforced foreign keys, long
// text, text defaults, upserts and insert-or-ignore counts, literal LIKE, and the error mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { MODULE_MIGRATIONS } from '../src/modules/index.ts';
import type { Db } from '../src/platform/db/database.ts';
import { isInvalidValue, isUniqueViolation } from '../src/platform/db/errors.ts';
import { containsText } from '../src/platform/db/like.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import { dialects, useTestDatabase } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`SQL portability (${dialect})`, () => {
    let db: Db;
    const now = Date.now();
    const tenant = (id: string, slug: string, config = '{}') => ({ id, name: `Tenant ${slug}`, slug, is_active: 1, config, created_at: now, updated_at: now });

    useTestDatabase(dialect, 'sentinel-portability', async (opened) => {
      db = opened;
      await migrateToLatest(db, MODULE_MIGRATIONS);
    });

    it('compares keyed text case-sensitively, and reports a duplicate as a unique violation', async () => {
      await db.kysely.insertInto('tenants').values([tenant('t-upper', 'Acme'), tenant('t-lower', 'acme')]).execute();
      const found = await db.kysely.selectFrom('tenants').select('id').where('slug', '=', 'acme').execute();
      assert.deepEqual(found.map((row) => row.id), ['t-lower']);
      const duplicate = await db.kysely.insertInto('tenants').values(tenant('t-dup', 'acme')).execute().catch((error: unknown) => error);
      assert.ok(isUniqueViolation(duplicate), String(duplicate));
    });

    it('keeps text longer than 64 KB, and fills a text column\'s default', async () => {
      const config = JSON.stringify({ note: 'x'.repeat(100_000) });
      await db.kysely.insertInto('tenants').values(tenant('t-long', 'long', config)).execute();
      const stored = await db.kysely.selectFrom('tenants').select('config').where('id', '=', 't-long').executeTakeFirstOrThrow();
      assert.equal(stored.config, config);
      // Without permissions, which the table's types (rightly) require of the application.
      await sql`INSERT INTO users (id, tenant_id, username, role, password_hash, is_active, created_at, updated_at)
        VALUES ('u-default', 't-long', 'defaulted', 'VIEWER', 'x', 1, ${now}, ${now})`.execute(db.kysely);
      const user = await db.kysely.selectFrom('users').select('permissions').where('id', '=', 'u-default').executeTakeFirstOrThrow();
      assert.equal(user.permissions, '[]');
    });

    it('enforces foreign keys: a deleted tenant takes its users with it', async () => {
      await db.kysely.insertInto('tenants').values(tenant('t-gone', 'gone')).execute();
      await db.kysely.insertInto('users').values({ id: 'u-gone', tenant_id: 't-gone', username: 'gone.user', email: null, role: 'VIEWER', permissions: '[]', password_hash: 'x', is_active: 1, created_at: now, updated_at: now }).execute();
      await db.kysely.deleteFrom('tenants').where('id', '=', 't-gone').execute();
      assert.equal((await db.kysely.selectFrom('users').select('id').where('id', '=', 'u-gone').execute()).length, 0);
      const orphan = await db.kysely.insertInto('users').values({ id: 'u-orphan', tenant_id: 'no-such-tenant', username: 'orphan', email: null, role: 'VIEWER', permissions: '[]', password_hash: 'x', is_active: 1, created_at: now, updated_at: now }).execute().catch((error: unknown) => error);
      assert.ok(orphan instanceof Error, 'a user of no tenant is refused');
    });

    it('counts an ignored duplicate as no row, and an upsert updates the row', async () => {
      const insert = () => db.kysely.insertInto('tenants').values(tenant('t-upsert', 'upsert'));
      assert.equal(Number((await insert().onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst()).numInsertedOrUpdatedRows), 1);
      assert.equal(Number((await insert().onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst()).numInsertedOrUpdatedRows), 0);
      await insert().onConflict((oc) => oc.column('id').doUpdateSet({ name: 'Renamed' })).execute();
      const row = await db.kysely.selectFrom('tenants').select('name').where('id', '=', 't-upsert').executeTakeFirstOrThrow();
      assert.equal(row.name, 'Renamed');
    });

    it('matches % _ and ! literally in a contains search', async () => {
      await db.kysely.insertInto('tenants').values([tenant('t-pct', '100%-sure'), tenant('t-plain', '100x-sure'), tenant('t-bang', 'wow!_yes')]).execute();
      const search = async (text: string) => (await db.kysely.selectFrom('tenants').select('id').where(containsText('slug', text)).orderBy('id').execute()).map((row) => row.id);
      assert.deepEqual(await search('100%'), ['t-pct']);
      assert.deepEqual(await search('!_'), ['t-bang']);
      assert.deepEqual(await search('0X-S'), ['t-plain']);
    });

    it('stores a non-finite number given for text as text, and refuses it for a number as an invalid value', async () => {
      await db.kysely.insertInto('tenants').values({ ...tenant('t-inf', 'inf'), name: Infinity as unknown as string }).execute();
      if (dialect === 'sqlite') return; // SQLite keeps any value in any column (this one reads back as 'Inf').
      const row = await db.kysely.selectFrom('tenants').select('name').where('id', '=', 't-inf').executeTakeFirstOrThrow();
      assert.equal(row.name, 'Infinity');
      const refused = await db.kysely.updateTable('tenants').set({ created_at: Infinity }).where('id', '=', 't-inf').execute().catch((error: unknown) => error);
      assert.ok(isInvalidValue(refused), String(refused));
    });

    it('sums to numbers, and divides integers into exact buckets', async () => {
      const { rows } = await sql<{ total: number; bucket: number }>`SELECT SUM(created_at) AS total, (7200001 - 7200001 % 3600000) / 3600000 AS bucket FROM tenants WHERE id = 't-upper'`.execute(db.kysely);
      assert.deepEqual(rows.map((row) => ({ total: Number(row.total), bucket: Number(row.bucket) })), [{ total: now, bucket: 2 }]);
      assert.equal(typeof rows[0]!.total, 'number');
    });

    if (dialect === 'mysql') {
      it('refuses RETURNING (MySQL 8 has none; MariaDB\'s would return nothing), and an over-long key as an invalid value', async () => {
        await assert.rejects(db.kysely.insertInto('tenants').values(tenant('t-ret', 'ret')).returning('id').execute(), /RETURNING is not supported/);
        const long = await db.kysely.insertInto('tenants').values(tenant('t-long-slug', 's'.repeat(300))).execute().catch((error: unknown) => error);
        assert.ok(isInvalidValue(long), String(long));
      });
    }
  });
}
