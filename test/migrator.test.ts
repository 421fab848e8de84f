import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openDatabase, openMemoryDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest, type DialectMigration } from '../src/platform/db/migrator.ts';
import { createPostgresDatabase, dialects } from './helpers/harness.ts';

const creates = (table: string): DialectMigration => ({
  async up(db) {
    await db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey()).execute();
  },
});

describe('platform migrations', () => {
  it('applies a module migration added later that sorts before ones already applied', async () => {
    const db = openMemoryDatabase();
    try {
      assert.deepEqual(await migrateToLatest(db, { '20261130_production_x': creates('production_x') }), [
        '0001_core', '0002_integrations', '0003_patch_jobs', '0004_data_versions', '0005_plant_overlay', '0006_cache_versions', '20261130_production_x',
      ]);
      // An upgrade brings a module whose migration names sort before the applied one.
      const applied = await migrateToLatest(db, {
        '20261130_production_x': creates('production_x'),
        '20261130_alerts_y': creates('alerts_y'),
        '20261130_alerts_z': creates('alerts_z'),
      });
      assert.deepEqual(applied, ['20261130_alerts_y', '20261130_alerts_z']);
      const { rows } = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('alerts_y', 'alerts_z') ORDER BY name`.execute(db.kysely);
      assert.deepEqual(rows.map((row) => row.name), ['alerts_y', 'alerts_z']);
      assert.deepEqual(await migrateToLatest(db, { '20261130_production_x': creates('production_x'), '20261130_alerts_y': creates('alerts_y'), '20261130_alerts_z': creates('alerts_z') }), []);
    } finally {
      await db.close();
    }
  });

  it('refuses a module migration that would sort among the platform ones', async () => {
    const db = openMemoryDatabase();
    try {
      await assert.rejects(async () => migrateToLatest(db, { '0004_early': creates('early') }), /must sort after the platform's 0006_cache_versions/);
    } finally {
      await db.close();
    }
  });
});

for (const dialect of dialects()) {
  describe(`a restart on an up-to-date schema (${dialect})`, () => {
    it('answers from the migration table alone, without the migrator\'s lock, and still applies a new migration', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-migrator-'));
      const pgDb = dialect === 'postgres' ? await createPostgresDatabase() : undefined;
      const db = openDatabase(loadConfig({ SENTINEL_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) }));
      try {
        await migrateToLatest(db, { '20261130_production_x': creates('production_x') });
        // The migrator creates its lock table whenever it runs: a restart that needs nothing must not run it.
        await db.kysely.schema.dropTable('kysely_migration_lock').execute();
        assert.deepEqual(await migrateToLatest(db, { '20261130_production_x': creates('production_x') }), []);
        const tables = async () => (await db.kysely.introspection.getTables({ withInternalKyselyTables: true })).map((table) => table.name);
        assert.ok(!(await tables()).includes('kysely_migration_lock'));
        assert.deepEqual(await migrateToLatest(db, { '20261130_production_x': creates('production_x'), '20261130_alerts_y': creates('alerts_y') }), ['20261130_alerts_y']);
        assert.ok((await tables()).includes('alerts_y'));
      } finally {
        await db.close();
        await pgDb?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
