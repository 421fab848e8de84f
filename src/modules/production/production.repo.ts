/**
 * SQL on a line's detection and downtime tables and on Sentinel's own bookkeeping tables in the
 * plant database (rollups, batches, line state, shift-occurrence state). Plain SQL through Kysely's
 * `sql` tag: table names are per line, and identifiers are always quoted by Kysely.
 */
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { statementChunks } from '../../platform/db/chunks.ts';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';
import type { DowntimeCategory } from './downtime.ts';
import type { Span } from './intervals.ts';
import { type LineTable, epochMs, timeValue } from './line-tables.ts';
import type { RollupCell, RollupUnit } from './rollups.ts';

export interface StoredDetection {
  detection_id: number;
  at: number;
  area_id: number;
  product_id: number | null;
  quantity: number;
}

export type DowntimeSource = 'auto' | 'manual';

export interface StoredDowntimeEvent {
  id: number;
  start: number;
  end: number | null;
  duration_seconds: number | null;
  category: DowntimeCategory;
  reason: string | null;
  comment: string | null;
  source: DowntimeSource;
}

export interface LineState {
  line_id: number;
  tracking_since: number;
  settled_until: number;
  read_detection_id: number;
  day_time_zone: string;
}

/** Rows per INSERT: below SQLite's bound-parameter limit with room to spare. */
const INSERT_CHUNK = 1000;
/** Ranges per rollup SELECT. */
const RANGE_CHUNK = 250;

const num = (value: unknown) => Number(value);
const nullableNum = (value: unknown) => (value === null || value === undefined ? null : Number(value));

const detection = (row: Record<string, unknown>): StoredDetection => ({
  detection_id: num(row.detection_id), at: num(row.at), area_id: num(row.area_id), product_id: nullableNum(row.product_id), quantity: num(row.quantity ?? 1),
});

/**
 * The `VALUES` list of a detection insert of `count` rows in a dialect's placeholders, compiled once
 * by Kysely: building and compiling 4,000 parameter nodes per batch cost CPU and ~1 MiB of
 * short-lived objects, which concurrent batches kept alive long enough to be promoted to V8's old
 * generation. statementChunks keeps the counts to a dozen.
 */
const detectionValuesByShape = new Map<string, string>();

function detectionValues(db: Kysely<unknown>, dialect: PlantDialect, count: number): string {
  const shape = `${dialect}:${count}`;
  let text = detectionValuesByShape.get(shape);
  if (text === undefined) {
    text = sql`${sql.join(Array.from({ length: count }, () => sql`(${0}, ${0}, ${0}, ${0})`))}`.compile(db).sql;
    detectionValuesByShape.set(shape, text);
  }
  return text;
}

export function createProductionRepo(db: Kysely<unknown>, dialect: PlantDialect) {
  const col = (table: LineTable, logical: string) => sql.ref(table.columns[logical]!);
  const at = (table: LineTable, logical: string) => epochMs(table.time, col(table, logical));
  const time = (table: LineTable, ms: number) => timeValue(table.time, ms);

  function upsert(table: string, keys: string[], rows: Record<string, unknown>[], onConflict: 'add' | 'replace', valueColumn: string): RawBuilder<unknown> {
    const columns = Object.keys(rows[0]!);
    const values = sql.join(rows.map((row) => sql`(${sql.join(columns.map((column) => row[column]))})`));
    const head = sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))}) VALUES ${values}`;
    const value = sql.ref(valueColumn);
    if (dialect === 'mysql') {
      return onConflict === 'add'
        ? sql`${head} ON DUPLICATE KEY UPDATE ${value} = ${value} + VALUES(${value})`
        : sql`${head} ON DUPLICATE KEY UPDATE ${value} = VALUES(${value})`;
    }
    const conflict = sql`ON CONFLICT (${sql.join(keys.map((key) => sql.ref(key)))}) DO UPDATE SET ${value} =`;
    return onConflict === 'add'
      ? sql`${head} ${conflict} ${sql.table(table)}.${value} + excluded.${value}`
      : sql`${head} ${conflict} excluded.${value}`;
  }

  async function downtimeEvents(table: LineTable, from: number, to: number, source?: DowntimeSource): Promise<StoredDowntimeEvent[]> {
    const start = col(table, 'start_at');
    const bySource = source === undefined ? sql`` : sql` AND ${col(table, 'source')} = ${source}`;
    const { rows } = await sql<Record<string, unknown>>`SELECT ${col(table, 'id')} AS id, ${at(table, 'start_at')} AS start_ms, ${at(table, 'end_at')} AS end_ms,
        ${col(table, 'duration_seconds')} AS duration_seconds, ${col(table, 'category')} AS category, ${col(table, 'reason')} AS reason,
        ${col(table, 'comment')} AS comment, ${col(table, 'source')} AS source
      FROM ${sql.table(table.name)} WHERE ${start} >= ${time(table, from)} AND ${start} < ${time(table, to)}${bySource}
      ORDER BY ${start}, ${col(table, 'id')}`.execute(db);
    return rows.map((row) => ({
      id: num(row.id), start: num(row.start_ms), end: nullableNum(row.end_ms), duration_seconds: nullableNum(row.duration_seconds),
      category: String(row.category) as DowntimeCategory, reason: row.reason === null ? null : String(row.reason),
      comment: row.comment === null ? null : String(row.comment), source: String(row.source) as DowntimeSource,
    }));
  }

  return {
    /** The line's state row; `lock` holds it for the rest of the transaction (writers of one line take turns). */
    async lockLineState(lineId: number, lock: boolean): Promise<LineState | undefined> {
      const forUpdate = lock && dialect !== 'sqlite' ? sql` FOR UPDATE` : sql``;
      const { rows } = await sql<Record<string, unknown>>`SELECT line_id, tracking_since, settled_until, read_detection_id, day_time_zone
        FROM sentinel_line_state WHERE line_id = ${lineId}${forUpdate}`.execute(db);
      const row = rows[0];
      return row === undefined ? undefined : {
        line_id: num(row.line_id), tracking_since: num(row.tracking_since), settled_until: num(row.settled_until),
        read_detection_id: num(row.read_detection_id), day_time_zone: String(row.day_time_zone),
      };
    },

    /** Creates the line's state row unless another writer just did. */
    async createLineState(state: LineState, now: number): Promise<void> {
      const columns = sql`(line_id, tracking_since, settled_until, read_detection_id, day_time_zone, updated_at)`;
      const values = sql`(${state.line_id}, ${state.tracking_since}, ${state.settled_until}, ${state.read_detection_id}, ${state.day_time_zone}, ${now})`;
      if (dialect === 'mysql') await sql`INSERT IGNORE INTO sentinel_line_state ${columns} VALUES ${values}`.execute(db);
      else await sql`INSERT INTO sentinel_line_state ${columns} VALUES ${values} ON CONFLICT (line_id) DO NOTHING`.execute(db);
    },

    async updateLineState(lineId: number, changes: Partial<Omit<LineState, 'line_id'>>, now: number): Promise<void> {
      const sets = Object.entries({ ...changes, updated_at: now }).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
      await sql`UPDATE sentinel_line_state SET ${sql.join(sets)} WHERE line_id = ${lineId}`.execute(db);
    },

    async batchSeen(lineId: number, batchId: string): Promise<boolean> {
      const { rows } = await sql`SELECT 1 AS seen FROM sentinel_detection_batch WHERE line_id = ${lineId} AND batch_id = ${batchId}`.execute(db);
      return rows.length > 0;
    },

    async recordBatch(lineId: number, batchId: string, detections: number, now: number): Promise<void> {
      await sql`INSERT INTO sentinel_detection_batch (line_id, batch_id, detections, received_at) VALUES (${lineId}, ${batchId}, ${detections}, ${now})`.execute(db);
    },

    async insertDetections(table: LineTable, rows: readonly { at: number; area_id: number; product_id: number | null; quantity: number }[]): Promise<void> {
      const columns = ['detected_at', 'area_id', 'product_id', 'quantity'].map((logical) => col(table, logical));
      // The table and column part has no parameters, so the values' placeholders start at the first.
      const into = sql`INSERT INTO ${sql.table(table.name)} (${sql.join(columns)}) VALUES `.compile(db).sql;
      for (const chunk of statementChunks(rows, INSERT_CHUNK)) {
        const parameters = chunk.flatMap((row) => [time(table, row.at), row.area_id, row.product_id, row.quantity]);
        await db.executeQuery(CompiledQuery.raw(into + detectionValues(db, dialect, chunk.length), parameters));
      }
    },

    /** Newest first; `before` continues a page after its last row. */
    async listDetections(table: LineTable, filter: {
      from?: number | undefined; to?: number | undefined; areaId?: number | undefined; productId?: number | undefined;
      before?: { at: number; id: number } | undefined; limit: number;
    }): Promise<StoredDetection[]> {
      const conditions: RawBuilder<unknown>[] = [sql`1 = 1`];
      const detectedAt = col(table, 'detected_at');
      const id = col(table, 'detection_id');
      if (filter.from !== undefined) conditions.push(sql`${detectedAt} >= ${time(table, filter.from)}`);
      if (filter.to !== undefined) conditions.push(sql`${detectedAt} < ${time(table, filter.to)}`);
      if (filter.areaId !== undefined) conditions.push(sql`${col(table, 'area_id')} = ${filter.areaId}`);
      if (filter.productId !== undefined) conditions.push(sql`${col(table, 'product_id')} = ${filter.productId}`);
      if (filter.before !== undefined) {
        const before = time(table, filter.before.at);
        conditions.push(sql`(${detectedAt} < ${before} OR (${detectedAt} = ${before} AND ${id} < ${filter.before.id}))`);
      }
      const { rows } = await sql<Record<string, unknown>>`SELECT ${id} AS detection_id, ${at(table, 'detected_at')} AS at,
          ${col(table, 'area_id')} AS area_id, ${col(table, 'product_id')} AS product_id, ${col(table, 'quantity')} AS quantity
        FROM ${sql.table(table.name)} WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY ${detectedAt} DESC, ${id} DESC LIMIT ${filter.limit}`.execute(db);
      return rows.map(detection);
    },

    /** Rows with an id above `afterId`, in id order: what a table written by someone else gained. */
    async detectionsAfter(table: LineTable, afterId: number, limit: number): Promise<StoredDetection[]> {
      const id = col(table, 'detection_id');
      const { rows } = await sql<Record<string, unknown>>`SELECT ${id} AS detection_id, ${at(table, 'detected_at')} AS at,
          ${col(table, 'area_id')} AS area_id, ${col(table, 'product_id')} AS product_id, ${col(table, 'quantity')} AS quantity
        FROM ${sql.table(table.name)} WHERE ${id} > ${afterId} ORDER BY ${id} LIMIT ${limit}`.execute(db);
      return rows.map(detection);
    },

    /** The raw detections in `[from, to)`. */
    async detectionsIn(table: LineTable, from: number, to: number): Promise<StoredDetection[]> {
      const detectedAt = col(table, 'detected_at');
      const { rows } = await sql<Record<string, unknown>>`SELECT ${col(table, 'detection_id')} AS detection_id, ${at(table, 'detected_at')} AS at,
          ${col(table, 'area_id')} AS area_id, ${col(table, 'product_id')} AS product_id, ${col(table, 'quantity')} AS quantity
        FROM ${sql.table(table.name)} WHERE ${detectedAt} >= ${time(table, from)} AND ${detectedAt} < ${time(table, to)}`.execute(db);
      return rows.map(detection);
    },

    async addRollups(unit: RollupUnit, lineId: number, cells: readonly RollupCell[]): Promise<void> {
      for (const chunk of statementChunks(cells, INSERT_CHUNK)) {
        await upsert(`sentinel_rollup_${unit}`, ['line_id', 'bucket_start', 'area_id', 'product_id'], chunk.map((cell) => ({ line_id: lineId, ...cell })), 'add', 'quantity').execute(db);
      }
    },

    /** Replaces the cells of `unit` in `[from, to)` with `cells`. */
    async replaceRollups(unit: RollupUnit, lineId: number, from: number, to: number, cells: readonly RollupCell[]): Promise<void> {
      await sql`DELETE FROM ${sql.table(`sentinel_rollup_${unit}`)} WHERE line_id = ${lineId} AND bucket_start >= ${from} AND bucket_start < ${to}`.execute(db);
      for (const chunk of statementChunks(cells, INSERT_CHUNK)) {
        await upsert(`sentinel_rollup_${unit}`, ['line_id', 'bucket_start', 'area_id', 'product_id'], chunk.map((cell) => ({ line_id: lineId, ...cell })), 'replace', 'quantity').execute(db);
      }
    },

    /** Sums the finer rollup over `[from, to)` into one cell per area and product of the coarser one. */
    async rebuildRollup(unit: 'hour' | 'day', from: 'minute' | 'hour', lineId: number, start: number, end: number): Promise<void> {
      await sql`DELETE FROM ${sql.table(`sentinel_rollup_${unit}`)} WHERE line_id = ${lineId} AND bucket_start = ${start}`.execute(db);
      await sql`INSERT INTO ${sql.table(`sentinel_rollup_${unit}`)} (line_id, bucket_start, area_id, product_id, quantity)
        SELECT line_id, ${start}, area_id, product_id, SUM(quantity) FROM ${sql.table(`sentinel_rollup_${from}`)}
        WHERE line_id = ${lineId} AND bucket_start >= ${start} AND bucket_start < ${end}
        GROUP BY line_id, area_id, product_id`.execute(db);
    },

    /** First and last bucket of a rollup of the line, if it has any. */
    async rollupRange(unit: RollupUnit, lineId: number): Promise<{ first: number; last: number } | undefined> {
      const { rows } = await sql<Record<string, unknown>>`SELECT MIN(bucket_start) AS first, MAX(bucket_start) AS last
        FROM ${sql.table(`sentinel_rollup_${unit}`)} WHERE line_id = ${lineId}`.execute(db);
      const row = rows[0];
      return row === undefined || row.first === null ? undefined : { first: num(row.first), last: num(row.last) };
    },

    async deleteRollups(unit: RollupUnit, lineId: number): Promise<void> {
      await sql`DELETE FROM ${sql.table(`sentinel_rollup_${unit}`)} WHERE line_id = ${lineId}`.execute(db);
    },

    /**
     * The cells of each range summed in the database, each counted at its range's start (a whole
     * year by shift is ~1,100 ranges over ~40,000 hour cells: reading them one by one was most of
     * the report's time). The ranges come in as a derived table, typed for PostgreSQL's sake.
     */
    async sumRollups(unit: RollupUnit, lineId: number, ranges: readonly Span[]): Promise<RollupCell[]> {
      const cells: RollupCell[] = [];
      const bigint = dialect === 'mysql' ? sql`SIGNED` : sql`BIGINT`;
      for (const chunk of statementChunks(ranges, RANGE_CHUNK)) {
        const spans = sql.join(chunk.map((range) => sql`SELECT CAST(${range.start} AS ${bigint}) AS range_start, CAST(${range.end} AS ${bigint}) AS range_end`), sql` UNION ALL `);
        const { rows } = await sql<Record<string, unknown>>`SELECT spans.range_start AS bucket_start, cell.area_id, cell.product_id, SUM(cell.quantity) AS quantity
          FROM (${spans}) spans JOIN ${sql.table(`sentinel_rollup_${unit}`)} cell
            ON cell.line_id = ${lineId} AND cell.bucket_start >= spans.range_start AND cell.bucket_start < spans.range_end
          GROUP BY spans.range_start, cell.area_id, cell.product_id`.execute(db);
        for (const row of rows) cells.push({ bucket_start: num(row.bucket_start), area_id: num(row.area_id), product_id: num(row.product_id), quantity: num(row.quantity) });
      }
      return cells;
    },

    async shiftStates(lineId: number, from: number, to: number): Promise<Map<number, number | null>> {
      const { rows } = await sql<Record<string, unknown>>`SELECT shift_start, last_output_at FROM sentinel_shift_downtime
        WHERE line_id = ${lineId} AND shift_start >= ${from} AND shift_start < ${to}`.execute(db);
      return new Map(rows.map((row) => [num(row.shift_start), nullableNum(row.last_output_at)]));
    },

    async saveShiftState(lineId: number, shift: { start: number; end: number }, lastOutputAt: number | null): Promise<void> {
      await upsert('sentinel_shift_downtime', ['line_id', 'shift_start'], [{ line_id: lineId, shift_start: shift.start, shift_end: shift.end, last_output_at: lastOutputAt }], 'replace', 'last_output_at').execute(db);
    },

    /** Events starting in `[from, to)`; `source` narrows them. */
    downtimeEvents,

    async downtimeEvent(table: LineTable, id: number): Promise<StoredDowntimeEvent | undefined> {
      const { rows } = await sql<Record<string, unknown>>`SELECT ${at(table, 'start_at')} AS start_ms FROM ${sql.table(table.name)} WHERE ${col(table, 'id')} = ${id}`.execute(db);
      if (rows[0] === undefined) return undefined;
      const start = num(rows[0].start_ms);
      return (await downtimeEvents(table, start, start + 1)).find((event) => event.id === id);
    },

    async insertDowntime(table: LineTable, lineId: number, event: Omit<StoredDowntimeEvent, 'id'>, now: number): Promise<void> {
      const columns = ['line_id', 'start_at', 'end_at', 'duration_seconds', 'category', 'reason', 'comment', 'source', 'created_at', 'updated_at'];
      const values = [
        lineId, time(table, event.start), event.end === null ? null : time(table, event.end), event.duration_seconds,
        event.category, event.reason, event.comment, event.source, time(table, now), time(table, now),
      ];
      await sql`INSERT INTO ${sql.table(table.name)} (${sql.join(columns.map((column) => col(table, column)))}) VALUES (${sql.join(values)})`.execute(db);
    },

    /**
     * Sets the given fields of a stop and no other: settling (its end) and an operator (its
     * classification) may write one stop at the same moment, and neither may undo the other.
     */
    async updateDowntime(table: LineTable, id: number, fields: Partial<Pick<StoredDowntimeEvent, 'end' | 'duration_seconds' | 'category' | 'reason' | 'comment'>>, now: number): Promise<void> {
      const sets = [
        ...(fields.end === undefined ? [] : [sql`${col(table, 'end_at')} = ${fields.end === null ? null : time(table, fields.end)}`]),
        ...(['duration_seconds', 'category', 'reason', 'comment'] as const).filter((field) => fields[field] !== undefined).map((field) => sql`${col(table, field)} = ${fields[field]}`),
        sql`${col(table, 'updated_at')} = ${time(table, now)}`,
      ];
      await sql`UPDATE ${sql.table(table.name)} SET ${sql.join(sets)} WHERE ${col(table, 'id')} = ${id}`.execute(db);
    },

    async deleteDowntime(table: LineTable, id: number): Promise<void> {
      await sql`DELETE FROM ${sql.table(table.name)} WHERE ${col(table, 'id')} = ${id}`.execute(db);
    },

    /** Any detection stored for an area or product (by the rollups, which keep every one). */
    async hasDetections(column: 'line_id' | 'area_id' | 'product_id', id: number): Promise<boolean> {
      const { rows } = await sql`SELECT 1 AS found FROM sentinel_rollup_day WHERE ${sql.ref(column)} = ${id} LIMIT 1`.execute(db);
      return rows.length > 0;
    },
  };
}

export type ProductionRepo = ReturnType<typeof createProductionRepo>;
