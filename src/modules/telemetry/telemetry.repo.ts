/**
 * Telemetry SQL: series by tenant, points and rollups by series (a series id is only ever taken
 * from the caller's tenant's series), batch ids, and the per-tenant counters and limits.
 */
import { createHash } from 'node:crypto';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { statementChunks } from '../../platform/db/chunks.ts';
import type { Dialect } from '../../platform/db/database.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { RollupTable, TelemetryRollupsTable, TelemetryTenantsTable } from './telemetry.tables.ts';

/** Rows per INSERT: 3,000 parameters for points, well under SQLite's and PostgreSQL's limits. */
const INSERT_ROWS = 1_000;
/** Series ids per `IN (...)`. */
const IN_LIST = 500;

/** The stored key of a canonical label set (SHA-256, hex): keyed text of any length would not fit a MySQL key. */
export const labelsKey = (labels: string): string => createHash('sha256').update(labels).digest('hex');

export interface SeriesKey {
  metric: string;
  labels: string;
}

/** A rollup row as stored: per series and bucket. */
export type RollupCell = TelemetryRollupsTable;

/** What a set of points adds up to: per series and bucket, or (bucket null) over the whole range. */
export interface AggregateRow {
  series_id: number;
  bucket: number;
  n: number;
  total: number;
  low: number;
  high: number;
}

export type TelemetrySource = 'telemetry_points' | RollupTable;

/** What count, sum, min and max are made of in raw points and in rollups. */
function figuresOf(source: TelemetrySource) {
  return source === 'telemetry_points'
    ? { time: sql.ref('ts'), n: sql`count(*)`, total: sql`sum(value)`, low: sql`min(value)`, high: sql`max(value)` }
    : { time: sql.ref('bucket'), n: sql`sum(value_count)`, total: sql`sum(value_sum)`, low: sql`min(value_min)`, high: sql`max(value_max)` };
}

/** The order of a rollup row's parameters (see addToRollups). */
const ROLLUP_COLUMNS = ['bucket', 'series_id', 'value_count', 'value_sum', 'value_min', 'value_max'] as const;

export function createTelemetryRepo(db: Kysely<PlatformDatabase>, dialect: Dialect) {
  const [least, greatest] = dialect === 'sqlite' ? ['MIN', 'MAX'] : ['LEAST', 'GREATEST'];
  // MySQL names the incoming row VALUES(column) (MariaDB has no row alias), the others `excluded`.
  const incoming = (column: string) => (dialect === 'mysql' ? `VALUES(${column})` : `excluded.${column}`);
  /*
   * The bulk writes of an ingest are written as SQL text once per shape and run with their
   * parameters: building a 1,000-row statement through the query builder cost more CPU than SQLite
   * spent running it, and the same text lets SQLite reuse its prepared statement.
   */
  const texts = new Map<string, string>();
  function valuesText(key: string, head: string, columns: number, rows: number, tail = ''): string {
    const cacheKey = `${key}:${rows}`;
    let text = texts.get(cacheKey);
    if (text === undefined) {
      const tuples: string[] = [];
      for (let row = 0, n = 1; row < rows; row++) {
        const marks: string[] = [];
        for (let column = 0; column < columns; column++, n++) marks.push(dialect === 'postgres' ? `$${n}` : '?');
        tuples.push(`(${marks.join(',')})`);
      }
      text = `${head} VALUES ${tuples.join(',')}${tail}`;
      texts.set(cacheKey, text);
    }
    return text;
  }

  // Once per batch: written here rather than compiled by the query builder every time.
  const claimBatchText = dialect === 'mysql'
    ? 'INSERT IGNORE INTO telemetry_batches (tenant_id, batch_id, points, received_at) VALUES (?, ?, ?, ?)'
    : `INSERT INTO telemetry_batches (tenant_id, batch_id, points, received_at) VALUES (${dialect === 'postgres' ? '$1, $2, $3, $4' : '?, ?, ?, ?'}) ON CONFLICT (tenant_id, batch_id) DO NOTHING`;

  return {
    /** Records a batch id; false when the tenant stored it before (nothing else should be written then). */
    async claimBatch(tenantId: string, batchId: string, points: number, now: number): Promise<boolean> {
      const { numAffectedRows } = await db.executeQuery(CompiledQuery.raw(claimBatchText, [tenantId, batchId, points, now]));
      return Number(numAffectedRows) === 1;
    },

    async findSeries(tenantId: string, keys: readonly SeriesKey[]): Promise<(SeriesKey & { id: number })[]> {
      const found: (SeriesKey & { id: number })[] = [];
      const metrics = [...new Set(keys.map((key) => key.metric))];
      const wanted = new Set(keys.map((key) => `${key.metric}\n${key.labels}`));
      for (const slice of statementChunks(metrics, IN_LIST)) {
        const rows = await db.selectFrom('telemetry_series').select(['id', 'metric', 'labels']).where('tenant_id', '=', tenantId).where('metric', 'in', slice).execute();
        for (const row of rows) if (wanted.has(`${row.metric}\n${row.labels}`)) found.push(row);
      }
      return found;
    },

    /** Inserts the series not stored yet; returns the ones this call created. */
    async insertSeries(tenantId: string, keys: readonly SeriesKey[], now: number): Promise<(SeriesKey & { id: number })[]> {
      const created: (SeriesKey & { id: number })[] = [];
      if (dialect === 'mysql') {
        // No RETURNING: one row per statement, whose affected-row count says whether it was new and insertId its id.
        for (const key of keys) {
          const result = await db.insertInto('telemetry_series').values({ tenant_id: tenantId, metric: key.metric, labels: key.labels, labels_key: labelsKey(key.labels), created_at: now }).ignore().executeTakeFirst();
          if (Number(result.numInsertedOrUpdatedRows) === 1) created.push({ ...key, id: Number(result.insertId) });
        }
        return created;
      }
      for (const slice of statementChunks(keys, INSERT_ROWS)) {
        created.push(...await db.insertInto('telemetry_series').values(slice.map((key) => ({ tenant_id: tenantId, metric: key.metric, labels: key.labels, labels_key: labelsKey(key.labels), created_at: now })))
          // No conflict target: SQLite also keeps the former unique constraint on the labels themselves.
          .onConflict((oc) => oc.doNothing())
          .returning(['id', 'metric', 'labels']).execute());
      }
      return created;
    },

    /** The tenant's series of a metric (every one when metric is undefined), by id. */
    listSeries(tenantId: string, filter: { metric?: string; afterId?: number; limit?: number }) {
      let query = db.selectFrom('telemetry_series').select(['id', 'metric', 'labels', 'created_at']).where('tenant_id', '=', tenantId);
      if (filter.metric !== undefined) query = query.where('metric', '=', filter.metric);
      if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
      query = query.orderBy('id');
      return (filter.limit === undefined ? query : query.limit(filter.limit)).execute();
    },

    /** Inserts points given as columns: the series id, time and value of each. */
    async insertPoints(seriesIds: readonly number[], times: readonly number[], values: readonly number[]): Promise<void> {
      let offset = 0;
      for (const slice of statementChunks(seriesIds, INSERT_ROWS)) {
        const parameters: number[] = [];
        for (let i = 0; i < slice.length; i++) parameters.push(slice[i]!, times[offset + i]!, values[offset + i]!);
        offset += slice.length;
        await db.executeQuery(CompiledQuery.raw(valuesText('points', 'INSERT INTO telemetry_points (series_id, ts, value)', 3, slice.length), parameters));
      }
    },

    /** Adds cells to a rollup table. Sorted by key so concurrent writers on PostgreSQL lock rows in one order. */
    async addToRollups(table: RollupTable, cells: RollupCell[]): Promise<void> {
      cells.sort((a, b) => a.bucket - b.bucket || a.series_id - b.series_id);
      const update = `value_count = ${table}.value_count + ${incoming('value_count')}, value_sum = ${table}.value_sum + ${incoming('value_sum')}, `
        + `value_min = ${least}(${table}.value_min, ${incoming('value_min')}), value_max = ${greatest}(${table}.value_max, ${incoming('value_max')})`;
      const upsert = dialect === 'mysql' ? ` ON DUPLICATE KEY UPDATE ${update}` : ` ON CONFLICT (bucket, series_id) DO UPDATE SET ${update}`;
      for (const slice of statementChunks(cells, INSERT_ROWS)) {
        const parameters: number[] = [];
        for (const cell of slice) parameters.push(cell.bucket, cell.series_id, cell.value_count, cell.value_sum, cell.value_min, cell.value_max);
        await db.executeQuery(CompiledQuery.raw(valuesText(table, `INSERT INTO ${table} (${ROLLUP_COLUMNS.join(', ')})`, ROLLUP_COLUMNS.length, slice.length, upsert), parameters));
      }
    },

    /**
     * Count, sum, min and max of the series' points in `[from, to)`, per series and per bucket of
     * `stepMs` (epoch-aligned; null: the whole range, as one bucket starting at `from`), read from
     * raw points or from a rollup whose buckets divide the step.
     */
    async aggregate(source: TelemetrySource, seriesIds: readonly number[], from: number, to: number, stepMs: number | null): Promise<AggregateRow[]> {
      const out: AggregateRow[] = [];
      const { time, n, total, low, high } = figuresOf(source);
      for (const slice of statementChunks(seriesIds, IN_LIST)) {
        // Literals (integers computed here), so PostgreSQL sees the same expression in SELECT and GROUP BY;
        // without a step the text stays the same from call to call (a prepared statement reused).
        // Less the remainder, not (t / step) * step: MySQL's `/` does not truncate.
        const bucket = stepMs === null ? sql<number>`0` : sql<number>`(${time} - ${time} % ${sql.lit(stepMs)})`;
        const { rows } = await sql<AggregateRow>`
          SELECT series_id, ${bucket} AS bucket, ${n} AS n, ${total} AS total, ${low} AS low, ${high} AS high
          FROM ${sql.table(source)}
          WHERE series_id IN (${sql.join(slice)}) AND ${time} >= ${from} AND ${time} < ${to}
          GROUP BY series_id${stepMs === null ? sql`` : sql`, ${bucket}`}`.execute(db);
        for (const row of rows) out.push({ series_id: Number(row.series_id), bucket: stepMs === null ? from : Number(row.bucket), n: Number(row.n), total: Number(row.total), low: Number(row.low), high: Number(row.high) });
      }
      return out;
    },

    /** The same over `[from, to)` as one bucket, for every series of one of the tenant's metrics: one pass over the range. */
    async aggregateMetric(source: TelemetrySource, tenantId: string, metric: string, from: number, to: number): Promise<AggregateRow[]> {
      const { time, n, total, low, high } = figuresOf(source);
      const { rows } = await sql<AggregateRow>`
        SELECT series_id, ${n} AS n, ${total} AS total, ${low} AS low, ${high} AS high
        FROM ${sql.table(source)}
        WHERE ${time} >= ${from} AND ${time} < ${to}
          AND series_id IN (SELECT id FROM telemetry_series WHERE tenant_id = ${tenantId} AND metric = ${metric})
        GROUP BY series_id`.execute(db);
      return rows.map((row) => ({ series_id: Number(row.series_id), bucket: from, n: Number(row.n), total: Number(row.total), low: Number(row.low), high: Number(row.high) }));
    },

    tenantState: (tenantId: string) => db.selectFrom('telemetry_tenants').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst(),

    tenantStates: () => db.selectFrom('telemetry_tenants').selectAll().execute(),

    /** Makes sure the tenant has its counter row (before a conditional update of it). */
    async ensureTenant(tenantId: string, now: number): Promise<void> {
      await db.insertInto('telemetry_tenants').values({ tenant_id: tenantId, series_count: 0, max_series: null, raw_retention_days: null, minute_retention_days: null, hour_retention_days: null, updated_at: now })
        .onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
    },

    /** Adds `added` series to the tenant's count if it stays within `limit`; false (and nothing changed) otherwise. */
    async countSeries(tenantId: string, added: number, limit: number, now: number): Promise<boolean> {
      const result = await db.updateTable('telemetry_tenants').set({ series_count: sql`series_count + ${added}`, updated_at: now })
        .where('tenant_id', '=', tenantId).where(sql<boolean>`series_count + ${added} <= ${limit}`).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async updateTenant(tenantId: string, changes: Partial<Omit<TelemetryTenantsTable, 'tenant_id' | 'series_count'>>): Promise<void> {
      await db.updateTable('telemetry_tenants').set(changes).where('tenant_id', '=', tenantId).execute();
    },

    /** Deletes the tenant's rows older than `before` from one table; returns how many went. */
    async deleteOlder(tenantId: string, source: TelemetrySource | 'telemetry_batches', before: number): Promise<number> {
      if (source === 'telemetry_batches') {
        return Number((await db.deleteFrom('telemetry_batches').where('tenant_id', '=', tenantId).where('received_at', '<', before).executeTakeFirst()).numDeletedRows);
      }
      const series = db.selectFrom('telemetry_series').select('id').where('tenant_id', '=', tenantId);
      const time = sql.ref(source === 'telemetry_points' ? 'ts' : 'bucket');
      const result = await sql`DELETE FROM ${sql.table(source)} WHERE series_id IN (${series}) AND ${time} < ${before}`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },
  };
}

export type TelemetryRepo = ReturnType<typeof createTelemetryRepo>;
