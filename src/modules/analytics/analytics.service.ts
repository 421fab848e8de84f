import { toIso } from '../../platform/ids.ts';
import { cvssBand, isSeverity, SEVERITIES, zeroSeverityCounts, type Severity } from '../security-domain/vocabulary.ts';
import type { AnalyticsRepo } from './analytics.repo.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;


interface Stats {
  count: number;
  mean_seconds: number | null;
  median_seconds: number | null;
}

function stats(durationsMs: number[]): Stats {
  if (durationsMs.length === 0) return { count: 0, mean_seconds: null, median_seconds: null };
  // A typed array sorts numbers natively, several times faster than with a comparator (the overview's response-time widget sorts thousands on each render).
  const sorted = Float64Array.from(durationsMs).sort();
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const seconds = (ms: number) => Math.round(ms / 10) / 100;
  return { count: sorted.length, mean_seconds: seconds(mean), median_seconds: seconds(median) };
}

export const SEVERITY_BASIS_NOTE =
  'A scored vulnerability\'s severity is its CVSS band (9-10 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low, 0 info), so by_severity and by_cvss_band agree on scored findings; ' +
  'an unscored one (CVSS band unknown) keeps the vendor\'s severity.';

export function createAnalyticsService(repo: AnalyticsRepo) {
  return {
    /**
     * Alerts by the hour they were first seen: `hours` whole-hour buckets (UTC) ending with the current
     * one, and their totals by severity.
     */
    async incidents(tenantId: string, hours: number, now = Date.now()) {
      const currentBucket = Math.floor(now / HOUR_MS);
      const firstBucket = currentBucket - hours + 1;
      const series = Array.from({ length: hours }, (_, i) => ({ start: toIso((firstBucket + i) * HOUR_MS), total: 0, by_severity: zeroSeverityCounts() }));
      const bySeverity = zeroSeverityCounts();
      for (const { bucket, severity, n } of await repo.incidentsByHour(tenantId, firstBucket * HOUR_MS)) {
        const slot = series[Number(bucket) - firstBucket];
        if (slot === undefined || !isSeverity(severity)) continue;
        slot.by_severity[severity] += Number(n);
        slot.total += Number(n);
        bySeverity[severity] += Number(n);
      }
      const total = Object.values(bySeverity).reduce((a, b) => a + b, 0);
      return { hours, from: series[0]!.start, to: toIso(now), total, by_severity: bySeverity, series };
    },

    /**
     * Time from an alert's occurrence opening to its acknowledgement, to its resolution by a person,
     * and to its clearing at the source (no one acted: kept apart so it does not pass for a response),
     * overall and by severity, for occurrences opened in the window.
     */
    async responseTime(tenantId: string, days: number, now = Date.now()) {
      const rows = await repo.responseTimes(tenantId, now - days * DAY_MS);
      const collect = (filter: (severity: string) => boolean) => {
        const selected = rows.filter((r) => filter(r.severity));
        const resolved = selected.filter((r) => r.resolved_at !== null);
        const since = (at: number | null, opened: number) => Number(at) - Number(opened);
        return {
          time_to_acknowledge: stats(selected.filter((r) => r.acknowledged_at !== null).map((r) => since(r.acknowledged_at, r.opened_at))),
          time_to_resolve: stats(resolved.filter((r) => Number(r.resolved_automatically) !== 1).map((r) => since(r.resolved_at, r.opened_at))),
          time_to_clear_at_source: stats(resolved.filter((r) => Number(r.resolved_automatically) === 1).map((r) => since(r.resolved_at, r.opened_at))),
        };
      };
      return {
        days,
        from: toIso(now - days * DAY_MS),
        to: toIso(now),
        overall: collect(() => true),
        by_severity: Object.fromEntries(SEVERITIES.map((s) => [s, collect((severity) => severity === s)])) as Record<Severity, ReturnType<typeof collect>>,
      };
    },

    /** Open vulnerabilities by severity, by CVSS band, and by system. */
    async vulnerabilityDistribution(tenantId: string) {
      const [rows, acceptedRisk] = await Promise.all([repo.openVulnerabilities(tenantId), repo.acceptedRiskCount(tenantId)]);
      const bySeverityBasis = { cvss: 0, vendor: 0 };
      const bySeverity = zeroSeverityCounts();
      const byBand = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unknown: 0 };
      const bySystem = new Map<string | null, { system_id: string | null; system: string | null; count: number }>();
      for (const row of rows) {
        if (isSeverity(row.severity)) bySeverity[row.severity]++;
        byBand[cvssBand(row.cvss_score)]++;
        bySeverityBasis[row.severity_basis === 'cvss' ? 'cvss' : 'vendor']++;
        const entry = bySystem.get(row.system_id) ?? { system_id: row.system_id, system: row.system_name, count: 0 };
        entry.count++;
        bySystem.set(row.system_id, entry);
      }
      return {
        total: rows.length,
        by_severity: bySeverity,
        by_cvss_band: byBand,
        by_severity_basis: bySeverityBasis,
        severity_basis: SEVERITY_BASIS_NOTE,
        accepted_risk: acceptedRisk,
        by_system: [...bySystem.values()].sort((a, b) => b.count - a.count || String(a.system).localeCompare(String(b.system))),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
