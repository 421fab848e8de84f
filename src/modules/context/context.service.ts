import { toIso } from '../../platform/ids.ts';
import type { AnalyticsService } from '../analytics/analytics.service.ts';
import { isSeverity, zeroSeverityCounts, type AlertStatus, type Severity, type SystemStatus, type VulnerabilityStatus } from '../security-domain/vocabulary.ts';
import type { SystemsService } from '../systems/systems.service.ts';
import type { ContextRepo } from './context.repo.ts';

const TOP = 10;

function severityCounts(rows: { severity: string; n: number }[]): Record<Severity, number> {
  const counts = zeroSeverityCounts();
  for (const { severity, n } of rows) if (isSeverity(severity)) counts[severity] = Number(n);
  return counts;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * One compact document with what an assistant needs to talk about a tenant's security posture:
 * status counts and the systems needing attention, the most important open alerts, open critical
 * vulnerabilities, and the last 24 hours' trend. Bounded in size whatever the tenant holds.
 */
export function createContextService(deps: { repo: ContextRepo; systems: SystemsService; analytics: AnalyticsService }) {
  const { repo, systems, analytics } = deps;
  return {
    async securitySummary(tenantId: string, now = Date.now()) {
      const [tenant, status, attention, alertCounts, topAlerts, vulnCounts, criticalVulns, last24h, resolved24h] = await Promise.all([
        repo.tenantName(tenantId),
        systems.statusCounts(tenantId),
        repo.systemsNeedingAttention(tenantId, TOP),
        repo.openAlertCounts(tenantId),
        repo.topOpenAlerts(tenantId, TOP),
        repo.openVulnerabilityCounts(tenantId),
        repo.topCriticalVulnerabilities(tenantId, TOP),
        analytics.incidents(tenantId, 24, now),
        repo.resolvedSince(tenantId, now - 24 * 3_600_000),
      ]);
      const openAlerts = severityCounts(alertCounts);
      const openVulns = severityCounts(vulnCounts);
      return {
        generated_at: toIso(now),
        tenant: { id: tenantId, name: tenant },
        systems: { ...status, needing_attention: attention.map((s) => ({ id: s.id, system: s.name, status: s.status as SystemStatus, status_summary: s.status_summary })) },
        alerts: {
          open: sum(openAlerts),
          open_by_severity: openAlerts,
          most_important: topAlerts.map((a) => ({ id: a.id, title: a.title, severity: a.severity as Severity, status: a.status as AlertStatus, source: a.source, system_id: a.system_id, system_name: a.system_name, asset: a.asset, last_seen: toIso(a.last_seen) })),
        },
        vulnerabilities: {
          open: sum(openVulns),
          open_by_severity: openVulns,
          critical: criticalVulns.map((v) => ({ id: v.id, cve: v.cve, asset: v.asset, package: v.package, cvss_score: v.cvss_score, status: v.status as VulnerabilityStatus })),
        },
        trend_24h: { alerts_opened: last24h.total, alerts_opened_by_severity: last24h.by_severity, alerts_resolved: resolved24h },
      };
    },
  };
}

export type ContextService = ReturnType<typeof createContextService>;
