import { sql, type Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { OPEN_ALERT_STATUSES, OPEN_VULNERABILITY_STATUSES, SEVERITIES } from '../security-domain/vocabulary.ts';

/** A severity column's place in SEVERITIES (most severe first); anything else ranks with the least severe. */
const severityRank = (column: string) =>
  sql<number>`CASE ${sql.ref(column)} ${sql.join(SEVERITIES.slice(0, -1).map((severity, rank) => sql`WHEN ${sql.lit(severity)} THEN ${sql.lit(rank)}`), sql` `)} ELSE ${sql.lit(SEVERITIES.length - 1)} END`;

export function createContextRepo(db: Kysely<PlatformDatabase>) {
  return {
    tenantName: async (tenantId: string) => (await db.selectFrom('tenants').select('name').where('id', '=', tenantId).executeTakeFirst())?.name ?? null,

    systemsNeedingAttention: (tenantId: string, limit: number) =>
      db.selectFrom('systems').select(['id', 'name', 'status', 'status_summary']).where('tenant_id', '=', tenantId).where('status', '!=', 'online').orderBy('status').orderBy('name').limit(limit).execute(),

    openAlertCounts: (tenantId: string) =>
      db.selectFrom('alerts').select(['severity', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).where('status', 'in', OPEN_ALERT_STATUSES).groupBy('severity').execute(),

    topOpenAlerts: (tenantId: string, limit: number) =>
      db
        .selectFrom('alerts')
        .leftJoin('systems', 'systems.id', 'alerts.system_id')
        .select(['alerts.id', 'alerts.title', 'alerts.severity', 'alerts.source', 'alerts.status', 'alerts.last_seen', 'alerts.asset', 'alerts.system_id', 'systems.name as system_name'])
        .where('alerts.tenant_id', '=', tenantId)
        .where('alerts.status', 'in', OPEN_ALERT_STATUSES)
        .orderBy(severityRank('alerts.severity'))
        .orderBy('alerts.last_seen', 'desc')
        .limit(limit)
        .execute(),

    openVulnerabilityCounts: (tenantId: string) =>
      db.selectFrom('vulnerabilities').select(['severity', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).where('status', 'in', OPEN_VULNERABILITY_STATUSES).groupBy('severity').execute(),

    topCriticalVulnerabilities: (tenantId: string, limit: number) =>
      db
        .selectFrom('vulnerabilities')
        .select(['id', 'cve', 'asset', 'package', 'cvss_score', 'status'])
        .where('tenant_id', '=', tenantId)
        .where('status', 'in', OPEN_VULNERABILITY_STATUSES)
        .where('severity', '=', 'critical')
        .orderBy('cvss_score', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),

    resolvedSince: async (tenantId: string, sinceMs: number) =>
      Number((await db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('resolved_at', '>=', sinceMs).executeTakeFirstOrThrow()).n),
  };
}

export type ContextRepo = ReturnType<typeof createContextRepo>;
