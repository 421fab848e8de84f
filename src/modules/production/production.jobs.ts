/**
 * Production work that runs without a request, in the background worker: rows a client's own
 * system wrote to the lines' detection tables are read past a watermark (external plants), stops
 * that no detection ended are settled as time passes, and the detection tables' monthly partitions
 * are kept ahead. One tenant's failure does not hold up the others.
 */
import type { Config } from '../../config.ts';
import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { PlantTenants } from './plant-tenants.ts';
import type { ProductionService } from './production.service.ts';

const SETTLE_EVERY_MS = 60_000;
const PARTITIONS_EVERY_MS = 24 * 60 * 60_000;
/** Partitions are checked hourly and maintained once a day: a worker restarted daily still gets to it. */
const PARTITIONS_CHECK_MS = 60 * 60_000;

export interface ProductionJobServices {
  production: Pick<ProductionService, 'syncDetections' | 'settleDowntime' | 'maintainPartitions'>;
  plantTenants: PlantTenants;
  /** How often rows a client's own system wrote are read (`SENTINEL_PLANT_POLL_SECONDS`). */
  plantPollMs: Config['plantPollMs'];
}

/** Runs `work` for each tenant; afterwards the tick fails (the driver logs it and backs off) naming every tenant that failed. */
async function forEachTenant(tenantIds: string[], work: (tenantId: string) => Promise<unknown>): Promise<void> {
  const failures: unknown[] = [];
  const failed: string[] = [];
  for (const tenantId of tenantIds) {
    try {
      await work(tenantId);
    } catch (error) {
      failures.push(error);
      failed.push(tenantId);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `failed for tenant(s) ${failed.join(', ')}`);
}

export function productionJobs(services: ProductionJobServices, driver: JobDriver): void {
  const { production, plantTenants } = services;
  const tenantIds = async (only?: 'external') => (await plantTenants()).filter((tenant) => only === undefined || tenant.mode === only).map((tenant) => tenant.tenantId);

  // Embedded plants are written only through Sentinel, which keeps them current as it stores.
  driver.every('production-sync-detections', services.plantPollMs, async () => {
    await forEachTenant(await tenantIds('external'), (tenantId) => production.syncDetections(tenantId));
  });
  driver.every('production-settle-downtime', SETTLE_EVERY_MS, async () => {
    await forEachTenant(await tenantIds(), (tenantId) => production.settleDowntime(tenantId));
  });
  let partitionsDoneAt = -Infinity;
  driver.every('production-partitions', PARTITIONS_CHECK_MS, async () => {
    if (Date.now() - partitionsDoneAt < PARTITIONS_EVERY_MS) return;
    await forEachTenant(await tenantIds(), (tenantId) => production.maintainPartitions(tenantId));
    partitionsDoneAt = Date.now();
  });
}
