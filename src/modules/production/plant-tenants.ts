import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { embeddedPlantFile, type PlantSource } from '../../platform/db/plant-registry.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';

export interface PlantTenant {
  tenantId: string;
  mode: PlantSource['mode'];
}

/** Active tenants that have a plant database, for the work that runs without a request. */
export type PlantTenants = () => Promise<PlantTenant[]>;

/**
 * A tenant has a plant database when it names an external one, or when its embedded one was
 * created (by its first production request): background work never creates one for a tenant that
 * does not use production.
 */
export function createPlantTenants(deps: { platform: Kysely<PlatformDatabase>; dataDir: string }): PlantTenants {
  // One query for every tenant (background jobs ask each minute, on every node): a row in
  // plant_databases is what makes a tenant's source external.
  return async () => {
    const tenants = await deps.platform.selectFrom('tenants')
      .leftJoin('plant_databases', 'plant_databases.tenant_id', 'tenants.id')
      .select(['tenants.id as id', 'plant_databases.tenant_id as externalOf'])
      .where('tenants.is_active', '=', 1)
      .orderBy('tenants.id')
      .execute();
    return tenants.flatMap(({ id, externalOf }): PlantTenant[] => {
      if (externalOf !== null) return [{ tenantId: id, mode: 'external' }];
      return existsSync(embeddedPlantFile(deps.dataDir, id)) ? [{ tenantId: id, mode: 'embedded' }] : [];
    });
  };
}
