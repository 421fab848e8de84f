import type { Config } from '../../config.ts';
import type { RetentionPolicy } from '../../platform/jobs/retention.ts';
import type { ProductionJobServices } from './production.jobs.ts';

/**
 * Raw detections past `SENTINEL_DETECTION_RETENTION_MONTHS` (whole months), in the detection
 * tables Sentinel created: monthly partitions dropped on PostgreSQL and MySQL, rows deleted on
 * SQLite. Rollups and downtime stay, so counts and OEE over those months remain. A client's own
 * tables are never touched.
 */
export function detectionsRetention(context: Pick<ProductionJobServices, 'production' | 'plantTenants'> & { config: Pick<Config, 'detectionRetentionMonths'> }): RetentionPolicy {
  return {
    name: 'production.detections',
    async purge({ tenantId }) {
      const months = context.config.detectionRetentionMonths;
      const removed = { rows: 0, partitions: 0 };
      if (months === 0) return removed;
      const tenants = (await context.plantTenants()).filter((tenant) => tenantId === undefined || tenant.tenantId === tenantId);
      const failed: string[] = [];
      for (const tenant of tenants) {
        try {
          for (const line of await context.production.maintainPartitions(tenant.tenantId, { retentionMonths: months })) {
            removed.rows += line.deleted_rows;
            removed.partitions += line.dropped.length;
          }
        } catch (error) {
          // One tenant's unreachable database does not hold up the others.
          failed.push(`${tenant.tenantId} (${error instanceof Error ? error.message : String(error)})`);
        }
      }
      if (failed.length > 0) throw new Error(`removed ${removed.rows} rows and ${removed.partitions} partitions; failed for ${failed.join(', ')}`);
      return removed;
    },
  };
}
