import type { Kysely } from 'kysely';
import type { DialectMigration } from '../../platform/db/migrator.ts';
import { runMigrations } from '../../platform/db/migrator.ts';
import { PLANT_MIGRATION_TABLES, type PlantDialect } from '../../platform/db/plant-registry.ts';
import * as plantMeta from './0001_plant_meta.ts';
import * as plantStructure from './0002_plant_structure.ts';
import * as productionState from './0003_production_state.ts';

/** Plant-database migrations in order; names are stored in each plant database, so never rename one. */
export const PLANT_MIGRATIONS: Record<string, DialectMigration<PlantDialect>> = {
  '0001_plant_meta': plantMeta,
  '0002_plant_structure': plantStructure,
  '0003_production_state': productionState,
};

/**
 * What Sentinel creates in a client's own plant database: only its `sentinel_`-prefixed tables,
 * never the plant structure, which is the client's.
 */
export const EXTERNAL_PLANT_MIGRATIONS: Record<string, DialectMigration<PlantDialect>> = {
  '0001_plant_meta': plantMeta,
  '0003_production_state': productionState,
};

/** Creates (once; later calls find them there) Sentinel's own tables in a client's plant database. */
export function migrateExternalPlant(kysely: Kysely<unknown>, dialect: PlantDialect): Promise<string[]> {
  return runMigrations(kysely, dialect, EXTERNAL_PLANT_MIGRATIONS, PLANT_MIGRATION_TABLES);
}
