/**
 * A tenant's plant database as the production services see it: leased from the registry, its
 * catalog read (and cached briefly), its structure resolved, Sentinel's own tables made sure of in a
 * client's database, and each line with its settings merged in (app-side join).
 */
import type { Kysely } from 'kysely';
import { migrateExternalPlant } from '../../migrations/plant/index.ts';
import type { PlantDialect, PlantRegistry, PlantSource } from '../../platform/db/plant-registry.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { conflict, notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { DEFAULT_DOWNTIME_THRESHOLD_SECONDS } from './downtime.ts';
import { LINE_CODE_PATTERN, type LineTables, ensureLineTables } from './line-tables.ts';
import { type Catalog, type ResolvedStructure, readCatalog, resolveStructure } from './plant-catalog.ts';
import {
  type CoreLine, type LineSettings, type PlantRepo, type SettingsStore, createPlantRepo, embeddedSettings, platformSettings,
} from './plant.repo.ts';
import { type ProductionRepo, createProductionRepo } from './production.repo.ts';

export interface ProductionDeps {
  plants: PlantRegistry;
  /** The platform database, where a client database's settings overlay lives. */
  platform: Kysely<PlatformDatabase>;
  /** The tenant's time zone: the default of its lines. */
  tenantTimeZone(tenantId: string): Promise<string>;
  clock?: () => number;
  /** Told after a batch with output-area detections is committed (the live line watch). */
  onOutput?: (tenantId: string, lineId: number, at: number) => void;
}

/** A line with its settings applied. */
export interface Line {
  line_id: number;
  line_name: string;
  line_code: string;
  is_active: boolean;
  ideal_cycle_seconds: number | null;
  downtime_threshold_seconds: number;
  timezone: string;
}

export interface Plant {
  tenantId: string;
  db: Kysely<unknown>;
  dialect: PlantDialect;
  mode: PlantSource['mode'];
  catalog: Catalog;
  structure: ResolvedStructure;
  core: PlantRepo;
  settings: SettingsStore;
  store: ProductionRepo;
  tenantTimeZone: string;
}

/** A client's catalog changes rarely (and never through Sentinel but for its own tables, after which it is re-read). */
const CATALOG_TTL_MS = 60_000;
const catalogs = new WeakMap<object, { catalog: Catalog; readAt: number }>();
const externalMigrations = new WeakMap<object, Promise<unknown>>();

async function catalogOf(db: Kysely<unknown>, dialect: PlantDialect, fresh = false): Promise<Catalog> {
  const cached = catalogs.get(db);
  if (!fresh && cached !== undefined && Date.now() - cached.readAt < CATALOG_TTL_MS) return cached.catalog;
  const catalog = await readCatalog(db, dialect);
  catalogs.set(db, { catalog, readAt: Date.now() });
  return catalog;
}

/** Sentinel's `sentinel_` tables in a client's database, created once per open pool. */
function ensureExternalTables(db: Kysely<unknown>, dialect: PlantDialect): Promise<unknown> {
  let migration = externalMigrations.get(db);
  if (migration === undefined) {
    migration = migrateExternalPlant(db, dialect).then(() => catalogOf(db, dialect, true));
    migration.catch(() => externalMigrations.delete(db));
    externalMigrations.set(db, migration);
  }
  return migration;
}

export const structureMissing = () =>
  conflict(say(
    'The plant database lacks tables or columns Sentinel needs (PRODUCTION_LINE, AREA, PRODUCT, FILTER, SHIFT); the verify report lists them',
    'A la base de datos de planta le faltan tablas o columnas que Sentinel necesita (PRODUCTION_LINE, AREA, PRODUCT, FILTER, SHIFT); el informe de verificación las enumera',
  ));

export function createPlantAccess(deps: ProductionDeps) {
  const now = deps.clock ?? Date.now;

  /** Leases the tenant's plant database for `fn`; `raw` skips resolving the structure (for the verify report). */
  async function withDatabase<T>(tenantId: string, fn: (db: Kysely<unknown>, dialect: PlantDialect, mode: PlantSource['mode']) => Promise<T>): Promise<T> {
    return deps.plants.use(tenantId, (lease) => fn(lease.kysely as Kysely<unknown>, lease.dialect, lease.mode));
  }

  async function withPlant<T>(tenantId: string, fn: (plant: Plant) => Promise<T>): Promise<T> {
    return withDatabase(tenantId, async (db, dialect, mode) => {
      if (mode === 'external') await ensureExternalTables(db, dialect);
      const catalog = await catalogOf(db, dialect);
      const structure = resolveStructure(catalog);
      if (structure === undefined) throw structureMissing();
      return fn({
        tenantId, db, dialect, mode, catalog, structure,
        core: createPlantRepo(db, structure),
        settings: mode === 'embedded' ? embeddedSettings(db) : platformSettings(deps.platform, tenantId),
        store: createProductionRepo(db, dialect),
        tenantTimeZone: await deps.tenantTimeZone(tenantId),
      });
    });
  }

  return {
    now,
    withDatabase,
    withPlant,
    refreshCatalog: async (plant: Plant) => {
      plant.catalog = await catalogOf(plant.db, plant.dialect, true);
    },
  };
}

export type PlantAccess = ReturnType<typeof createPlantAccess>;

/** The client's own code when it is usable as a table-name part, else the id. */
export function defaultLineCode(core: CoreLine): string {
  const own = core.line_code?.trim().toLowerCase();
  return own !== undefined && LINE_CODE_PATTERN.test(own) ? own : String(core.line_id);
}

export function applySettings(core: CoreLine, settings: LineSettings | undefined, tenantTimeZone: string): Line {
  return {
    line_id: core.line_id,
    line_name: core.line_name,
    line_code: settings?.line_code ?? defaultLineCode(core),
    is_active: core.is_active,
    ideal_cycle_seconds: settings?.ideal_cycle_seconds ?? null,
    downtime_threshold_seconds: settings?.downtime_threshold_seconds ?? DEFAULT_DOWNTIME_THRESHOLD_SECONDS,
    timezone: settings?.timezone ?? tenantTimeZone,
  };
}

export async function allLines(plant: Plant): Promise<Line[]> {
  const [cores, settings] = await Promise.all([plant.core.lines(), plant.settings.lines()]);
  return cores.map((core) => applySettings(core, settings.get(core.line_id), plant.tenantTimeZone));
}

export async function getLine(plant: Plant, lineId: number): Promise<Line> {
  const core = await plant.core.line(lineId);
  if (core === undefined) throw notFound(say('Production line not found', 'No se ha encontrado la línea'));
  return applySettings(core, (await plant.settings.lines()).get(lineId), plant.tenantTimeZone);
}

/** The line's detection and downtime tables, created on first use. */
export async function lineTables(plant: Plant, line: Line, now: number): Promise<LineTables> {
  let ensured;
  try {
    ensured = await ensureLineTables(plant.db, plant.dialect, plant.catalog, line.line_code, now);
  } catch (error) {
    // Another request created them since the catalog was read: read it again and find them.
    plant.catalog = await catalogOf(plant.db, plant.dialect, true);
    ensured = await ensureLineTables(plant.db, plant.dialect, plant.catalog, line.line_code, now).catch(() => Promise.reject(error));
  }
  if ('problems' in ensured) {
    throw conflict(say(
      `The tables of line ${line.line_id} cannot be used as they are (${ensured.problems.join('; ')}); Sentinel does not alter existing tables`,
      `Las tablas de la línea ${line.line_id} no se pueden usar tal como están (${ensured.problems.join('; ')}); Sentinel no modifica tablas existentes`,
    ));
  }
  if (ensured.created) plant.catalog = await catalogOf(plant.db, plant.dialect, true);
  return ensured.tables;
}

/** Whether the line's tables exist yet (its code can change only before). */
export function lineTablesExist(plant: Plant, lineCode: string): boolean {
  return ['detection_line_', 'downtime_events_'].some((prefix) => plant.catalog.has(`${prefix}${lineCode}`));
}
