import type { DialectMigration } from '../../platform/db/migrator.ts';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';
import * as plantMeta from './0001_plant_meta.ts';

/** Plant-database migrations in order; names are stored in each plant database, so never rename one. */
export const PLANT_MIGRATIONS: Record<string, DialectMigration<PlantDialect>> = {
  '0001_plant_meta': plantMeta,
};
