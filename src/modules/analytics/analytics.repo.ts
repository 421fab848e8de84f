import { sql, type Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { OPEN_VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

const HOUR_MS = 3_600_000;

/**
 * Aggregates over alerts and vulnerabilities, by tenant. Hour buckets divide an exact multiple:
 * MySQL's `/` is decimal division, so `x / d` alone would make a bucket of every millisecond there.
 */
const HOUR_BUCKET = sql<number>`(first_seen - first_seen % ${sql.lit(HOUR_MS)}) / ${sql.lit(HOUR_MS)}`;

export function createAnalyticsRepo(db: Kysely<PlatformDatabase>) {
  return {
    /** Alerts first seen at or after `fromMs`, counted by hour bucket and severity. */
    incidentsByHour: (tenantId: string, fromMs: number) =>
      db
        .selectFrom('alerts')
        .select([HOUR_BUCKET.as('bucket'), 'severity', (eb) => eb.fn.countAll<number>().as('n')])
        .where('tenant_id', '=', tenantId)
        .where('first_seen', '>=', fromMs)
        .groupBy([HOUR_BUCKET, 'severity'])
        .execute(),

    /**
     * When the current occurrence of each alert opened (at or after `fromMs`), was acknowledged and
     * resolved, and whether the resolution was a clear at the source.
     */
    responseTimes: (tenantId: string, fromMs: number) =>
      db
        .selectFrom('alerts')
        .select(['severity', sql<number>`COALESCE(opened_at, first_seen)`.as('opened_at'), 'acknowledged_at', 'resolved_at', 'resolved_automatically'])
        .where('tenant_id', '=', tenantId)
        .where(sql<number>`COALESCE(opened_at, first_seen)`, '>=', fromMs)
        .where((eb) => eb.or([eb('acknowledged_at', 'is not', null), eb('resolved_at', 'is not', null)]))
        .execute(),

    /** Vulnerabilities still open (or being patched): severity and where it comes from, score and system. */
    openVulnerabilities: (tenantId: string) =>
      db
        .selectFrom('vulnerabilities')
        .leftJoin('systems', 'systems.id', 'vulnerabilities.system_id')
        .select(['vulnerabilities.severity', 'vulnerabilities.severity_basis', 'vulnerabilities.cvss_score', 'vulnerabilities.system_id', 'systems.name as system_name'])
        .where('vulnerabilities.tenant_id', '=', tenantId)
        .where('vulnerabilities.status', 'in', OPEN_VULNERABILITY_STATUSES)
        .execute(),

    acceptedRiskCount: async (tenantId: string) =>
      Number((await db.selectFrom('vulnerabilities').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('status', '=', 'accepted_risk').executeTakeFirstOrThrow()).n),
  };
}

export type AnalyticsRepo = ReturnType<typeof createAnalyticsRepo>;
