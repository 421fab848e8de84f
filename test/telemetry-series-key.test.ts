// The migration that keys telemetry series by a hash of their label set keeps the series stored
// before it: each gets its key, and a batch for one of them finds it instead of making a twin.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODULE_MIGRATIONS } from '../src/modules/index.ts';
import { createTelemetryRepo, labelsKey } from '../src/modules/telemetry/telemetry.repo.ts';
import type { Db } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import { dialects, useTestDatabase } from './helpers/harness.ts';

const KEY_MIGRATION = '20261130_telemetry_store_key_hash';

for (const dialect of dialects()) {
  describe(`telemetry series key migration (${dialect})`, () => {
    let db: Db;
    useTestDatabase(dialect, 'sentinel-series-key', async (opened) => {
      db = opened;
    });

    it('gives the series stored before it their key, and ingest finds them', async () => {
      const { [KEY_MIGRATION]: _later, ...earlier } = MODULE_MIGRATIONS;
      await migrateToLatest(db, earlier);
      const now = Date.now();
      await db.kysely.insertInto('tenants').values({ id: 't1', name: 'T1', slug: 't1', is_active: 1, config: '{}', created_at: now, updated_at: now }).execute();
      const labels = ['{"host":"web-1"}', '{}'];
      // As stored before: no key column yet.
      for (const text of labels) await db.kysely.insertInto('telemetry_series').values({ tenant_id: 't1', metric: 'cpu', labels: text, created_at: now } as never).execute();

      await migrateToLatest(db, MODULE_MIGRATIONS);
      const rows = await db.kysely.selectFrom('telemetry_series').select(['labels', 'labels_key']).orderBy('id').execute();
      assert.deepEqual(rows, labels.map((text) => ({ labels: text, labels_key: labelsKey(text) })));

      const repo = createTelemetryRepo(db.kysely, db.dialect);
      const keys = [...labels, '{"host":"web-2"}'].map((text) => ({ metric: 'cpu', labels: text }));
      assert.deepEqual((await repo.insertSeries('t1', keys, now)).map((series) => series.labels), ['{"host":"web-2"}'], 'only the new label set is a new series');
      assert.equal((await repo.findSeries('t1', keys)).length, 3);
    });
  });
}
