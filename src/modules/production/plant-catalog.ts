/**
 * What a plant database holds, read from its catalog, and the plant structure Sentinel expects in it
 * (docs/requirements.md, PRD-1). A client's database names its tables and columns its own way
 * (`PRODUCTION_LINE`, `production_line`, `Production_Line`): every name is matched case-insensitively
 * and used afterwards exactly as the catalog spells it.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';

export interface CatalogColumn {
  name: string;
  /** As the database reports it, lower-cased: `bigint`, `int`, `datetime`, `timestamp with time zone` … */
  type: string;
}

export interface CatalogTable {
  name: string;
  /** By lower-cased column name. */
  columns: Map<string, CatalogColumn>;
}

/** Tables (partitions left out) by lower-cased name. */
export type Catalog = Map<string, CatalogTable>;

/** The plant structure: logical table → its name and the columns Sentinel needs (and may use). */
export const CORE_TABLES = {
  line: { table: 'PRODUCTION_LINE', required: ['line_id', 'line_name', 'is_active'], optional: ['line_code'] },
  area: { table: 'AREA', required: ['area_id', 'line_id', 'area_name', 'area_type'], optional: [] },
  product: { table: 'PRODUCT', required: ['product_id', 'product_name', 'product_code'], optional: [] },
  filter: { table: 'FILTER', required: ['filter_id', 'filter_name', 'filter_status', 'default_value', 'additional_filter'], optional: [] },
  shift: { table: 'SHIFT', required: ['shift_id', 'shift_name', 'start_time', 'end_time'], optional: ['line_id', 'is_active'] },
} as const;

export type CoreTable = keyof typeof CORE_TABLES;

/** A core table as found: its real name and, per logical column, the real column name (absent ones left out). */
export interface ResolvedTable {
  name: string;
  columns: Record<string, string>;
}

export type ResolvedStructure = Record<CoreTable, ResolvedTable>;

export interface VerifiedTable {
  name: string;
  ok: boolean;
  /** Null when the table does not exist. */
  rows: number | null;
  missing_columns: string[];
}

/** Table and column names Sentinel will put in SQL: plain identifiers only. */
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/;

function catalogQuery(dialect: PlantDialect): RawBuilder<{ table_name: string; column_name: string; data_type: string }> {
  if (dialect === 'postgres') {
    return sql`SELECT cls.relname AS table_name, att.attname AS column_name, format_type(att.atttypid, att.atttypmod) AS data_type
      FROM pg_attribute att
      JOIN pg_class cls ON cls.oid = att.attrelid
      JOIN pg_namespace ns ON ns.oid = cls.relnamespace
      WHERE ns.nspname = current_schema() AND cls.relkind IN ('r', 'p', 'v') AND NOT cls.relispartition
        AND att.attnum > 0 AND NOT att.attisdropped`;
  }
  if (dialect === 'mysql') {
    return sql`SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS data_type
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`;
  }
  return sql`SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type
    FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`;
}

export async function readCatalog(db: Kysely<unknown>, dialect: PlantDialect): Promise<Catalog> {
  const { rows } = await catalogQuery(dialect).execute(db);
  const catalog: Catalog = new Map();
  for (const row of rows) {
    const key = row.table_name.toLowerCase();
    let table = catalog.get(key);
    if (table === undefined) {
      table = { name: row.table_name, columns: new Map() };
      catalog.set(key, table);
    }
    table.columns.set(row.column_name.toLowerCase(), { name: row.column_name, type: String(row.data_type).toLowerCase() });
  }
  return catalog;
}

export function findTable(catalog: Catalog, name: string): CatalogTable | undefined {
  const table = catalog.get(name.toLowerCase());
  return table !== undefined && PLAIN_IDENTIFIER.test(table.name) ? table : undefined;
}

/** The logical columns of `wanted` the table has, by their real names. */
export function resolveColumns(table: CatalogTable, wanted: readonly string[]): Record<string, string> {
  const columns: Record<string, string> = {};
  for (const logical of wanted) {
    const column = table.columns.get(logical);
    if (column !== undefined && PLAIN_IDENTIFIER.test(column.name)) columns[logical] = column.name;
  }
  return columns;
}

/** The core tables with every required column, or undefined when one is missing or incomplete. */
export function resolveStructure(catalog: Catalog): ResolvedStructure | undefined {
  const resolved: Partial<ResolvedStructure> = {};
  for (const [key, spec] of Object.entries(CORE_TABLES) as [CoreTable, (typeof CORE_TABLES)[CoreTable]][]) {
    const table = findTable(catalog, spec.table);
    if (table === undefined) return undefined;
    const columns = resolveColumns(table, [...spec.required, ...spec.optional]);
    if (spec.required.some((column) => columns[column] === undefined)) return undefined;
    resolved[key] = { name: table.name, columns };
  }
  return resolved as ResolvedStructure;
}

/** Each core table: found or not, the required columns it lacks, and how many rows it has. */
export async function verifyStructure(db: Kysely<unknown>, catalog: Catalog): Promise<VerifiedTable[]> {
  const tables: VerifiedTable[] = [];
  for (const spec of Object.values(CORE_TABLES)) {
    const table = findTable(catalog, spec.table);
    if (table === undefined) {
      tables.push({ name: spec.table, ok: false, rows: null, missing_columns: [...spec.required] });
      continue;
    }
    const columns = resolveColumns(table, spec.required);
    const missing = spec.required.filter((column) => columns[column] === undefined);
    const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table.name)}`.execute(db);
    tables.push({ name: table.name, ok: missing.length === 0, rows: Number(rows[0]?.n ?? 0), missing_columns: missing });
  }
  return tables;
}
