/**
 * The widgets module's services: the metadata cache (fed by the structure service), the query log
 * and the engine. The structure and plant-database services are handed back with their writes
 * dropping the tenant's cached metadata, so every write through the API is seen at once.
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import type { PlantDatabasesService } from '../production/plant-databases.service.ts';
import type { StructureService } from '../production/structure.service.ts';
import { createMetadataCache, invalidatingWrites } from './metadata-cache.ts';
import type { WidgetSourceServices } from './sources/types.ts';
import { createUserQueryLog } from './user-query-log.ts';
import { createWidgetsRepo } from './widgets.repo.ts';
import { createWidgetsService } from './widgets.service.ts';

export interface WidgetsWiring {
  config: Config;
  db: Db;
  sources: WidgetSourceServices;
  structure: StructureService;
  plantDatabases: PlantDatabasesService;
  tenantTimeZone(tenantId: string): Promise<string>;
}

export function createWidgetsServices(deps: WidgetsWiring) {
  const { structure } = deps;
  const metadata = createMetadataCache(async (tenantId) => {
    const [lines, areas, products, shifts, filters] = await Promise.all([
      structure.listLines(tenantId), structure.listAreas(tenantId), structure.listProducts(tenantId), structure.listShifts(tenantId), structure.listFilters(tenantId),
    ]);
    return { lines, areas, products, shifts, filters };
  });
  const repo = createWidgetsRepo(deps.db.kysely);
  const userQueries = createUserQueryLog(repo.insertUserQueries, (error) => console.error(`widgets: could not record user queries: ${String(error)}`));
  const widgets = createWidgetsService({ repo, services: deps.sources, metadata, tenantTimeZone: deps.tenantTimeZone, queries: userQueries });
  return {
    widgets, metadata, userQueries,
    userQueryRetentionDays: deps.config.userQueryRetentionDays,
    structure: invalidatingWrites(structure, metadata),
    plantDatabases: invalidatingWrites(deps.plantDatabases, metadata),
  };
}
