import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../../platform/db/database.ts';
import { labelsKey } from '../telemetry.repo.ts';

/**
 * A series is unique by a hash of its canonical label set, not by the label set itself: keyed text
 * is at most 255 characters on MySQL (and a PostgreSQL B-tree entry at most ~2.7 kB), so label sets
 * the API accepts were refused on one dialect only. The labels stay in full in `labels`.
 *
 * SQLite keeps the former unique constraint (dropping one means rebuilding the table, which its
 * points and rollups reference): it has no length limit, and it is the same uniqueness.
 */
interface Series {
  telemetry_series: { id: number; labels: string; labels_key: string | null };
}

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('telemetry_series').addColumn('labels_key', 'text').execute();
  const series = db as Kysely<Series>;
  for (;;) {
    const rows = await series.selectFrom('telemetry_series').select(['id', 'labels']).where('labels_key', 'is', null).limit(500).execute();
    if (rows.length === 0) break;
    for (const row of rows) await series.updateTable('telemetry_series').set({ labels_key: labelsKey(row.labels) }).where('id', '=', row.id).execute();
  }
  // The new key first: on MySQL the old one also serves the tenant's foreign key until then.
  await db.schema.createIndex('telemetry_series_tenant_metric_key_uq').unique().on('telemetry_series').columns(['tenant_id', 'metric', 'labels_key']).execute();
  if (dialect === 'postgres') await sql`ALTER TABLE telemetry_series DROP CONSTRAINT telemetry_series_tenant_metric_labels_uq`.execute(db);
  if (dialect === 'mysql') await sql`ALTER TABLE telemetry_series DROP INDEX telemetry_series_tenant_metric_labels_uq, MODIFY labels LONGTEXT NOT NULL`.execute(db);
}
