/**
 * The two tables of each production line, `DETECTION_LINE_{line_code}` and
 * `DOWNTIME_EVENTS_{line_code}` (docs/requirements.md, PRD-3 and PRD-4): the only tables Sentinel
 * creates next to a client's plant structure. A table the client already has under that name is
 * used as it is (its required columns checked), never altered.
 *
 * Instants: epoch ms INTEGER on SQLite, `DATETIME(3)` in UTC on MySQL/MariaDB, `timestamptz` on
 * PostgreSQL. Detections are range-partitioned by month on PostgreSQL and MySQL (see
 * `maintainDetectionPartitions`); SQLite has no partitions, an index on `detected_at` instead.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';
import { toIso } from '../../platform/ids.ts';
import { type Catalog, type CatalogTable, findTable, resolveColumns } from './plant-catalog.ts';

export const LINE_CODE_PATTERN = /^[a-z0-9_]{1,32}$/;

export const DETECTION_COLUMNS = ['detection_id', 'detected_at', 'area_id', 'product_id', 'quantity'] as const;
export const DOWNTIME_COLUMNS = [
  'id', 'line_id', 'start_at', 'end_at', 'duration_seconds', 'category', 'reason', 'comment', 'source', 'created_at', 'updated_at',
] as const;

/** How a table stores instants. */
export type TimeKind = 'epoch_ms' | 'timestamptz' | 'timestamp' | 'datetime';

export interface LineTable {
  name: string;
  /** Logical column → real name. */
  columns: Record<string, string>;
  /** Of the time columns (`detected_at`, `start_at` …). */
  time: TimeKind;
}

export interface LineTables {
  detections: LineTable;
  downtime: LineTable;
}

/** PostgreSQL folds unquoted names to lower case, so tables created there are lower case: plain SQL finds them. */
export function lineTableName(dialect: PlantDialect, kind: 'detections' | 'downtime', lineCode: string): string {
  const name = `${kind === 'detections' ? 'DETECTION_LINE' : 'DOWNTIME_EVENTS'}_${lineCode}`;
  return dialect === 'postgres' ? name.toLowerCase() : name;
}

function timeKindOf(dialect: PlantDialect, type: string): TimeKind | undefined {
  if (/int|numeric|decimal/.test(type)) return 'epoch_ms';
  if (dialect === 'postgres' && type.startsWith('timestamp')) return type.includes('with time zone') ? 'timestamptz' : 'timestamp';
  if (dialect === 'mysql' && /^(datetime|timestamp)/.test(type)) return 'datetime';
  return undefined;
}

/** The table as found, or why it cannot be used: the required columns it lacks. */
export function describeLineTable(
  dialect: PlantDialect, table: CatalogTable, required: readonly string[], timeColumn: string,
): { table: LineTable } | { missing: string[] } {
  const columns = resolveColumns(table, required);
  const missing = required.filter((column) => columns[column] === undefined);
  const time = missing.length === 0 ? timeKindOf(dialect, table.columns.get(timeColumn)!.type) : undefined;
  if (time === undefined) return { missing: missing.length > 0 ? missing : [timeColumn] };
  return { table: { name: table.name, columns, time } };
}

/** A bound value for an instant in a column of this kind. */
export function timeValue(kind: TimeKind, ms: number): unknown {
  if (kind === 'epoch_ms') return ms;
  // PostgreSQL reads the ISO text as an instant (timestamptz) or ignores the Z (timestamp: UTC wall
  // time). mysql2 formats a Date in UTC (the pool's timezone is 'Z').
  return kind === 'datetime' ? new Date(ms) : toIso(ms);
}

/** An expression giving the column's instant as epoch ms (a number, or a numeric string). */
export function epochMs(kind: TimeKind, column: RawBuilder<unknown>): RawBuilder<number | string> {
  if (kind === 'epoch_ms') return sql<number>`${column}`;
  if (kind === 'datetime') return sql<string>`(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column}) DIV 1000)`;
  return sql<string>`CAST(EXTRACT(EPOCH FROM ${column}) * 1000 AS bigint)`;
}

const MONTH_FIRST = (year: number, month: number) => Date.UTC(year, month, 1);

/** Start (epoch ms) of the UTC month holding `instant`, shifted by `offset` months. */
export function monthStart(instant: number, offset = 0): number {
  const date = new Date(instant);
  return MONTH_FIRST(date.getUTCFullYear(), date.getUTCMonth() + offset);
}

const monthSuffix = (start: number) => toIso(start).slice(0, 7).replace('-', '');
const mysqlDatetime = (ms: number) => toIso(ms).slice(0, 19).replace('T', ' ');

/** Months, as partitions, that a new detection table starts with: this one and the next `ahead`. */
const INITIAL_MONTHS_AHEAD = 3;

async function createDetectionTable(db: Kysely<unknown>, dialect: PlantDialect, name: string, now: number): Promise<void> {
  const table = sql.table(name);
  if (dialect === 'sqlite') {
    // AUTOINCREMENT: ids are never reused after old rows are deleted, so a reader's watermark holds.
    await sql`CREATE TABLE ${table} (
      detection_id INTEGER PRIMARY KEY AUTOINCREMENT,
      detected_at INTEGER NOT NULL,
      area_id INTEGER NOT NULL,
      product_id INTEGER,
      quantity INTEGER NOT NULL DEFAULT 1
    )`.execute(db);
    await sql`CREATE INDEX ${sql.id(`${name}_detected_at_idx`)} ON ${table} (detected_at)`.execute(db);
    return;
  }
  if (dialect === 'postgres') {
    // A partitioned table's keys must include the partition column.
    await sql`CREATE TABLE ${table} (
      detection_id bigserial NOT NULL,
      detected_at timestamptz NOT NULL,
      area_id bigint NOT NULL,
      product_id bigint,
      quantity integer NOT NULL DEFAULT 1,
      PRIMARY KEY (detection_id, detected_at)
    ) PARTITION BY RANGE (detected_at)`.execute(db);
    await sql`CREATE INDEX ${sql.id(`${name}_detected_at_idx`)} ON ${table} (detected_at)`.execute(db);
    for (let offset = 0; offset <= INITIAL_MONTHS_AHEAD; offset++) await createPostgresPartition(db, name, monthStart(now, offset));
    return;
  }
  // MySQL: rows before the first month go to p_before, rows after the last to p_future; maintenance
  // splits p_future as months come.
  const first = monthStart(now);
  const months = Array.from({ length: INITIAL_MONTHS_AHEAD + 1 }, (_, offset) => monthStart(now, offset));
  const partitions = [
    sql`PARTITION p_before VALUES LESS THAN (${sql.lit(mysqlDatetime(first))})`,
    ...months.map((start) => sql`PARTITION ${sql.id(`p${monthSuffix(start)}`)} VALUES LESS THAN (${sql.lit(mysqlDatetime(monthStart(start, 1)))})`),
    sql`PARTITION p_future VALUES LESS THAN (MAXVALUE)`,
  ];
  await sql`CREATE TABLE ${table} (
    detection_id BIGINT NOT NULL AUTO_INCREMENT,
    detected_at DATETIME(3) NOT NULL,
    area_id BIGINT NOT NULL,
    product_id BIGINT NULL,
    quantity INT NOT NULL DEFAULT 1,
    PRIMARY KEY (detection_id, detected_at),
    KEY detected_at_idx (detected_at)
  ) ENGINE=InnoDB PARTITION BY RANGE COLUMNS(detected_at) (${sql.join(partitions)})`.execute(db);
}

async function createDowntimeTable(db: Kysely<unknown>, dialect: PlantDialect, name: string): Promise<void> {
  const time = { sqlite: sql`INTEGER`, postgres: sql`timestamptz`, mysql: sql`DATETIME(3)` }[dialect];
  const id = { sqlite: sql`INTEGER PRIMARY KEY AUTOINCREMENT`, postgres: sql`bigserial PRIMARY KEY`, mysql: sql`BIGINT AUTO_INCREMENT PRIMARY KEY` }[dialect];
  await sql`CREATE TABLE ${sql.table(name)} (
    id ${id},
    line_id BIGINT NOT NULL,
    start_at ${time} NOT NULL,
    end_at ${time} NULL,
    duration_seconds INTEGER NULL,
    category VARCHAR(16) NOT NULL,
    reason VARCHAR(200) NULL,
    comment TEXT NULL,
    source VARCHAR(8) NOT NULL,
    created_at ${time} NOT NULL,
    updated_at ${time} NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX ${sql.id(`${name}_start_idx`)} ON ${sql.table(name)} (start_at)`.execute(db);
}

async function createPostgresPartition(db: Kysely<unknown>, parent: string, start: number): Promise<void> {
  const name = `${parent}_p${monthSuffix(start)}`;
  try {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(name)} PARTITION OF ${sql.table(parent)}
      FOR VALUES FROM (${sql.lit(toIso(start))}) TO (${sql.lit(toIso(monthStart(start, 1)))})`.execute(db);
  } catch (error) {
    // Two writers creating the same month at once: the loser finds it made.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P07') throw error;
  }
}

const ownedKey = (name: string) => `owned_table.${name}`;

/** Tables Sentinel created (as opposed to a client's), whose old rows its retention may drop. */
async function isOwned(db: Kysely<unknown>, name: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 AS found FROM sentinel_plant_meta WHERE ${sql.ref('key')} = ${ownedKey(name)}`.execute(db);
  return rows.length > 0;
}

/**
 * The line's detection and downtime tables, creating those that do not exist. An existing table
 * lacking a required column is an error naming it: the client's table is not altered.
 */
export async function ensureLineTables(
  db: Kysely<unknown>, dialect: PlantDialect, catalog: Catalog, lineCode: string, now: number,
): Promise<{ tables: LineTables; created: boolean } | { problems: string[] }> {
  const specs = [
    { kind: 'detections', required: DETECTION_COLUMNS, timeColumn: 'detected_at' },
    { kind: 'downtime', required: DOWNTIME_COLUMNS, timeColumn: 'start_at' },
  ] as const;
  const problems: string[] = [];
  let created = false;
  const tables: Partial<LineTables> = {};
  for (const spec of specs) {
    let found = findTable(catalog, lineTableName(dialect, spec.kind, lineCode));
    if (found === undefined) {
      const name = lineTableName(dialect, spec.kind, lineCode);
      if (spec.kind === 'detections') await createDetectionTable(db, dialect, name, now);
      else await createDowntimeTable(db, dialect, name);
      await sql`INSERT INTO sentinel_plant_meta (${sql.ref('key')}, ${sql.ref('value')}) VALUES (${ownedKey(name)}, ${toIso(now)})`.execute(db);
      created = true;
      found = { name, columns: new Map() };
      const typeOfTime = { sqlite: 'integer', postgres: 'timestamp with time zone', mysql: 'datetime(3)' }[dialect];
      for (const column of spec.required) found.columns.set(column, { name: column, type: column === spec.timeColumn ? typeOfTime : '' });
    }
    const described = describeLineTable(dialect, found, spec.required, spec.timeColumn);
    if ('missing' in described) problems.push(`${found.name} lacks ${described.missing.join(', ')}`);
    else tables[spec.kind] = described.table;
  }
  return problems.length > 0 ? { problems } : { tables: tables as LineTables, created };
}

/** Bounds that are whole UTC months; a partition covers [start, end). */
interface MonthPartition {
  name: string;
  start: number;
}

async function postgresPartitions(db: Kysely<unknown>, parent: string): Promise<MonthPartition[]> {
  const { rows } = await sql<{ name: string }>`SELECT child.relname AS name FROM pg_inherits inh
    JOIN pg_class child ON child.oid = inh.inhrelid JOIN pg_class parent ON parent.oid = inh.inhparent
    JOIN pg_namespace ns ON ns.oid = parent.relnamespace
    WHERE parent.relname = ${parent} AND ns.nspname = current_schema()`.execute(db);
  return rows.flatMap(({ name }) => {
    const match = /_p(\d{4})(\d{2})$/.exec(name);
    return match ? [{ name, start: MONTH_FIRST(Number(match[1]), Number(match[2]) - 1) }] : [];
  });
}

async function mysqlPartitions(db: Kysely<unknown>, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string | null }>`SELECT PARTITION_NAME AS name FROM information_schema.PARTITIONS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`.execute(db);
  return rows.flatMap((row) => (row.name === null ? [] : [row.name]));
}

export interface PartitionMaintenance {
  created: string[];
  dropped: string[];
  /** SQLite: rows deleted past the retention. */
  deleted_rows: number;
}

/**
 * Keeps a detection table Sentinel created ready for the coming months and, with a retention,
 * drops the months that fell past it (whole partitions: no row-by-row delete). Rollups and downtime
 * events are kept, so counts and OEE over dropped months stay available. SQLite has no partitions:
 * past the retention, rows are deleted in chunks. A client's own table is left alone.
 */
export async function maintainDetectionPartitions(
  db: Kysely<unknown>, dialect: PlantDialect, table: LineTable,
  options: { now: number; monthsAhead: number; retentionMonths?: number | undefined },
): Promise<PartitionMaintenance> {
  const result: PartitionMaintenance = { created: [], dropped: [], deleted_rows: 0 };
  if (!(await isOwned(db, table.name))) return result;
  const cutoff = options.retentionMonths === undefined ? undefined : monthStart(options.now, -options.retentionMonths);
  const wanted = Array.from({ length: options.monthsAhead + 1 }, (_, offset) => monthStart(options.now, offset));

  if (dialect === 'sqlite') {
    if (cutoff === undefined) return result;
    for (;;) {
      const deleted = await sql`DELETE FROM ${sql.table(table.name)} WHERE detection_id IN (
        SELECT detection_id FROM ${sql.table(table.name)} WHERE detected_at < ${cutoff} LIMIT 5000)`.execute(db);
      const count = Number(deleted.numAffectedRows ?? 0);
      result.deleted_rows += count;
      if (count === 0) return result;
    }
  }

  if (dialect === 'postgres') {
    const existing = await postgresPartitions(db, table.name);
    for (const start of wanted) {
      if (existing.some((partition) => partition.start === start)) continue;
      await createPostgresPartition(db, table.name, start);
      result.created.push(`${table.name}_p${monthSuffix(start)}`);
    }
    for (const partition of existing) {
      if (cutoff === undefined || monthStart(partition.start, 1) > cutoff) continue;
      await sql`DROP TABLE ${sql.table(partition.name)}`.execute(db);
      result.dropped.push(partition.name);
    }
    return result;
  }

  const existing = new Set(await mysqlPartitions(db, table.name));
  const missing = wanted.filter((start) => !existing.has(`p${monthSuffix(start)}`) && start >= lastMysqlMonth(existing));
  if (missing.length > 0) {
    const parts = missing.map((start) => sql`PARTITION ${sql.id(`p${monthSuffix(start)}`)} VALUES LESS THAN (${sql.lit(mysqlDatetime(monthStart(start, 1)))})`);
    await sql`ALTER TABLE ${sql.table(table.name)} REORGANIZE PARTITION p_future INTO (${sql.join([...parts, sql`PARTITION p_future VALUES LESS THAN (MAXVALUE)`])})`.execute(db);
    result.created.push(...missing.map((start) => `p${monthSuffix(start)}`));
  }
  if (cutoff === undefined) return result;
  const monthly = [...existing].flatMap((name) => {
    const match = /^p(\d{4})(\d{2})$/.exec(name);
    return match ? [{ name, start: MONTH_FIRST(Number(match[1]), Number(match[2]) - 1) }] : [];
  });
  for (const partition of monthly) {
    if (monthStart(partition.start, 1) > cutoff) continue;
    await sql`ALTER TABLE ${sql.table(table.name)} DROP PARTITION ${sql.id(partition.name)}`.execute(db);
    result.dropped.push(partition.name);
  }
  // p_before holds rows older than the table (a backfill): emptied whole once it is all past the
  // retention, else only its rows past it.
  const beforeEnds = Math.min(...monthly.map((partition) => partition.start));
  if (!existing.has('p_before')) return result;
  if (beforeEnds <= cutoff) {
    await sql`ALTER TABLE ${sql.table(table.name)} TRUNCATE PARTITION p_before`.execute(db);
  } else {
    const deleted = await sql`DELETE FROM ${sql.table(table.name)} PARTITION (p_before) WHERE ${sql.ref(table.columns.detected_at!)} < ${timeValue(table.time, cutoff)}`.execute(db);
    result.deleted_rows += Number(deleted.numAffectedRows ?? 0);
  }
  return result;
}

/** Start of the month after the newest monthly partition: only months past it can be split off p_future. */
function lastMysqlMonth(partitions: Set<string>): number {
  let last = -Infinity;
  for (const name of partitions) {
    const match = /^p(\d{4})(\d{2})$/.exec(name);
    if (match) last = Math.max(last, MONTH_FIRST(Number(match[1]), Number(match[2])));
  }
  return last;
}

/** PostgreSQL rejects a row no partition takes: the months of a batch are made sure of before it is stored. */
export async function ensureDetectionMonths(db: Kysely<unknown>, dialect: PlantDialect, table: LineTable, instants: Iterable<number>): Promise<void> {
  if (dialect !== 'postgres' || !(await isOwned(db, table.name))) return;
  const months = new Set<number>();
  for (const instant of instants) months.add(monthStart(instant));
  if (months.size === 0) return;
  const existing = new Set((await postgresPartitions(db, table.name)).map((partition) => partition.start));
  for (const start of months) if (!existing.has(start)) await createPostgresPartition(db, table.name, start);
}
