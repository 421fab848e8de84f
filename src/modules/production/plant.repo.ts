/**
 * Reading a plant database's structure (lines, areas, products, shifts, filters) in whatever way the
 * catalog names it, writing it where Sentinel owns it (embedded), and the settings overlay: columns
 * of the embedded tables, or platform-database rows keyed by the client's ids.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { ResolvedTable, ResolvedStructure } from './plant-catalog.ts';

export type AreaType = 'input' | 'process' | 'output' | 'reject';
export const AREA_TYPES: readonly AreaType[] = ['input', 'process', 'output', 'reject'];

export interface CoreLine {
  line_id: number;
  line_name: string;
  is_active: boolean;
  /** The client's own `line_code` column, when it has one. */
  line_code: string | null;
}

export interface Area {
  area_id: number;
  line_id: number;
  area_name: string;
  area_type: AreaType;
}

export interface CoreProduct {
  product_id: number;
  product_name: string;
  product_code: string;
}

export interface Shift {
  shift_id: number;
  shift_name: string;
  start_time: string;
  end_time: string;
  /** Null: every line works this shift. */
  line_id: number | null;
  is_active: boolean;
}

export interface Filter {
  filter_id: number;
  filter_name: string;
  filter_status: boolean;
  default_value: unknown;
  additional_filter: unknown;
}

/** What a client's schema has no place for. Null = not set (the default applies). */
export interface LineSettings {
  line_code: string | null;
  ideal_cycle_seconds: number | null;
  downtime_threshold_seconds: number | null;
  timezone: string | null;
}

export interface SettingsStore {
  lines(): Promise<Map<number, LineSettings>>;
  saveLine(lineId: number, settings: Partial<LineSettings>, now: number): Promise<void>;
  products(): Promise<Map<number, number | null>>;
  saveProduct(productId: number, idealCycleSeconds: number | null, now: number): Promise<void>;
}

const toNumber = (value: unknown): number => Number(value);
const toNullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** MySQL BOOLEAN is TINYINT(1), PostgreSQL boolean, SQLite 0/1; a missing column means true. */
const toBoolean = (value: unknown): boolean => value === undefined || value === true || value === 't' || (value !== false && value !== null && Number(value) !== 0);
/** TIME columns come back as "06:00:00". */
const toTimeOfDay = (value: unknown): string => (value instanceof Date ? value.toISOString().slice(11, 16) : String(value).slice(0, 5));
function toJson(value: unknown): unknown {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return value ?? null;
  const text = String(value);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Row = Record<string, unknown>;

/** SELECT of the table's logical columns (those it has), named logically. */
function selectCore(db: Kysely<unknown>, table: ResolvedTable, where?: RawBuilder<unknown>): Promise<Row[]> {
  const columns = Object.entries(table.columns).map(([logical, real]) => sql`${sql.ref(real)} AS ${sql.id(logical)}`);
  const condition = where === undefined ? sql`` : sql` WHERE ${where}`;
  return sql<Row>`SELECT ${sql.join(columns)} FROM ${sql.table(table.name)}${condition}`.execute(db).then((result) => result.rows);
}

export function createPlantRepo(db: Kysely<unknown>, structure: ResolvedStructure) {
  const byId = (table: ResolvedTable, idColumn: string, id: number) => sql`${sql.ref(table.columns[idColumn]!)} = ${id}`;
  const line = (row: Row): CoreLine => ({
    line_id: toNumber(row.line_id),
    line_name: String(row.line_name),
    is_active: toBoolean(row.is_active),
    line_code: row.line_code === undefined || row.line_code === null ? null : String(row.line_code),
  });
  const area = (row: Row): Area => ({ area_id: toNumber(row.area_id), line_id: toNumber(row.line_id), area_name: String(row.area_name), area_type: String(row.area_type).toLowerCase() as AreaType });
  const product = (row: Row): CoreProduct => ({ product_id: toNumber(row.product_id), product_name: String(row.product_name), product_code: String(row.product_code) });
  const shift = (row: Row): Shift => ({
    shift_id: toNumber(row.shift_id),
    shift_name: String(row.shift_name),
    start_time: toTimeOfDay(row.start_time),
    end_time: toTimeOfDay(row.end_time),
    line_id: toNullableNumber(row.line_id),
    is_active: toBoolean(row.is_active),
  });
  const filter = (row: Row): Filter => ({
    filter_id: toNumber(row.filter_id),
    filter_name: String(row.filter_name),
    filter_status: toBoolean(row.filter_status),
    default_value: toJson(row.default_value),
    additional_filter: toJson(row.additional_filter),
  });
  const sorted = <T>(rows: T[], key: (row: T) => number) => rows.sort((a, b) => key(a) - key(b));

  return {
    lines: async () => sorted((await selectCore(db, structure.line)).map(line), (row) => row.line_id),
    line: async (id: number) => (await selectCore(db, structure.line, byId(structure.line, 'line_id', id))).map(line)[0],
    areas: async (lineId?: number) =>
      sorted((await selectCore(db, structure.area, lineId === undefined ? undefined : byId(structure.area, 'line_id', lineId))).map(area), (row) => row.area_id),
    area: async (id: number) => (await selectCore(db, structure.area, byId(structure.area, 'area_id', id))).map(area)[0],
    products: async () => sorted((await selectCore(db, structure.product)).map(product), (row) => row.product_id),
    product: async (id: number) => (await selectCore(db, structure.product, byId(structure.product, 'product_id', id))).map(product)[0],
    shifts: async () => sorted((await selectCore(db, structure.shift)).map(shift), (row) => row.shift_id),
    shift: async (id: number) => (await selectCore(db, structure.shift, byId(structure.shift, 'shift_id', id))).map(shift)[0],
    filters: async () => sorted((await selectCore(db, structure.filter)).map(filter), (row) => row.filter_id),
    filter: async (id: number) => (await selectCore(db, structure.filter, byId(structure.filter, 'filter_id', id))).map(filter)[0],
  };
}

export type PlantRepo = ReturnType<typeof createPlantRepo>;

/** The embedded layout's tables, exactly as its migration creates them. */
export const EMBEDDED_TABLES = { line: 'PRODUCTION_LINE', area: 'AREA', product: 'PRODUCT', filter: 'FILTER', shift: 'SHIFT' } as const;
export type EmbeddedTable = keyof typeof EMBEDDED_TABLES;

const ID_COLUMNS: Record<EmbeddedTable, string> = { line: 'line_id', area: 'area_id', product: 'product_id', filter: 'filter_id', shift: 'shift_id' };

/** Writes to an embedded plant database (SQLite), whose layout Sentinel knows. Values are already valid. */
export function createEmbeddedWriter(db: Kysely<unknown>) {
  return {
    async insert(table: EmbeddedTable, values: Record<string, unknown>, now: number): Promise<number> {
      const row = { ...values, created_at: now, updated_at: now };
      const columns = Object.keys(row);
      const result = await sql<{ id: number }>`INSERT INTO ${sql.table(EMBEDDED_TABLES[table])} (${sql.join(columns.map((c) => sql.ref(c)))})
        VALUES (${sql.join(Object.values(row))}) RETURNING ${sql.ref(ID_COLUMNS[table])} AS id`.execute(db);
      return Number(result.rows[0]!.id);
    },
    async update(table: EmbeddedTable, id: number, values: Record<string, unknown>, now: number): Promise<void> {
      const sets = Object.entries({ ...values, updated_at: now }).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
      await sql`UPDATE ${sql.table(EMBEDDED_TABLES[table])} SET ${sql.join(sets)} WHERE ${sql.ref(ID_COLUMNS[table])} = ${id}`.execute(db);
    },
    async delete(table: EmbeddedTable, id: number): Promise<void> {
      await sql`DELETE FROM ${sql.table(EMBEDDED_TABLES[table])} WHERE ${sql.ref(ID_COLUMNS[table])} = ${id}`.execute(db);
    },
  };
}

/** Settings kept in the embedded database's own columns. */
export function embeddedSettings(db: Kysely<unknown>): SettingsStore {
  const writer = createEmbeddedWriter(db);
  return {
    async lines() {
      const { rows } = await sql<Row>`SELECT line_id, line_code, ideal_cycle_seconds, downtime_threshold_seconds, timezone FROM PRODUCTION_LINE`.execute(db);
      return new Map(rows.map((row) => [toNumber(row.line_id), {
        line_code: row.line_code === null ? null : String(row.line_code),
        ideal_cycle_seconds: toNullableNumber(row.ideal_cycle_seconds),
        downtime_threshold_seconds: toNullableNumber(row.downtime_threshold_seconds),
        timezone: row.timezone === null ? null : String(row.timezone),
      }]));
    },
    saveLine: (lineId, settings, now) => writer.update('line', lineId, settings, now),
    async products() {
      const { rows } = await sql<Row>`SELECT product_id, ideal_cycle_seconds FROM PRODUCT`.execute(db);
      return new Map(rows.map((row) => [toNumber(row.product_id), toNullableNumber(row.ideal_cycle_seconds)]));
    },
    saveProduct: (productId, idealCycleSeconds, now) => writer.update('product', productId, { ideal_cycle_seconds: idealCycleSeconds }, now),
  };
}

type OverlayTables = {
  plant_line_settings: {
    tenant_id: string;
    line_id: number;
    line_code: string | null;
    ideal_cycle_seconds: number | null;
    downtime_threshold_seconds: number | null;
    timezone: string | null;
    created_at: number;
    updated_at: number;
  };
  plant_product_settings: { tenant_id: string; product_id: number; ideal_cycle_seconds: number | null; created_at: number; updated_at: number };
};

/** Settings of a client's database, kept in the platform database; every query scoped by the tenant. */
export function platformSettings(platform: Kysely<PlatformDatabase>, tenantId: string): SettingsStore {
  const db = platform.withTables<OverlayTables>();
  return {
    async lines() {
      const rows = await db.selectFrom('plant_line_settings').selectAll().where('tenant_id', '=', tenantId).execute();
      return new Map(rows.map((row) => [Number(row.line_id), {
        line_code: row.line_code,
        ideal_cycle_seconds: toNullableNumber(row.ideal_cycle_seconds),
        downtime_threshold_seconds: toNullableNumber(row.downtime_threshold_seconds),
        timezone: row.timezone,
      }]));
    },
    async saveLine(lineId, settings, now) {
      await db.insertInto('plant_line_settings')
        .values({ tenant_id: tenantId, line_id: lineId, line_code: null, ideal_cycle_seconds: null, downtime_threshold_seconds: null, timezone: null, ...settings, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'line_id']).doUpdateSet({ ...settings, updated_at: now }))
        .execute();
    },
    async products() {
      const rows = await db.selectFrom('plant_product_settings').select(['product_id', 'ideal_cycle_seconds']).where('tenant_id', '=', tenantId).execute();
      return new Map(rows.map((row) => [Number(row.product_id), toNullableNumber(row.ideal_cycle_seconds)]));
    },
    async saveProduct(productId, idealCycleSeconds, now) {
      await db.insertInto('plant_product_settings')
        .values({ tenant_id: tenantId, product_id: productId, ideal_cycle_seconds: idealCycleSeconds, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'product_id']).doUpdateSet({ ideal_cycle_seconds: idealCycleSeconds, updated_at: now }))
        .execute();
    },
  };
}

