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
export function createPlantTenants(deps: {
  platform: Kysely<PlatformDatabase>;
  dataDir: string;
  resolveSource(tenantId: string): Promise<PlantSource>;
}): PlantTenants {
  return async () => {
    const tenants = await deps.platform.selectFrom('tenants').select('id').where('is_active', '=', 1).orderBy('id').execute();
    const found: PlantTenant[] = [];
    for (const { id } of tenants) {
      const source = await deps.resolveSource(id);
      if (source.mode === 'external' || existsSync(embeddedPlantFile(deps.dataDir, id))) found.push({ tenantId: id, mode: source.mode });
    }
    return found;
  };
}
