import { toIso } from '../../platform/ids.ts';
import { isSeverity, SEVERITIES, zeroSeverityCounts, type Severity } from '../security-domain/vocabulary.ts';
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
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const seconds = (ms: number) => Math.round(ms / 10) / 100;
  return { count: sorted.length, mean_seconds: seconds(mean), median_seconds: seconds(median) };
}

/** CVSS v3 qualitative bands (FIRST): none 0, low 0.1–3.9, medium 4–6.9, high 7–8.9, critical 9–10. */
function cvssBand(score: number | null): 'none' | 'low' | 'medium' | 'high' | 'critical' | 'unknown' {
  if (score === null) return 'unknown';
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

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

    /** Time from first seen to acknowledged and to resolved, overall and by severity, for alerts first seen in the window. */
    async responseTime(tenantId: string, days: number, now = Date.now()) {
      const rows = await repo.responseTimes(tenantId, now - days * DAY_MS);
      const collect = (filter: (severity: string) => boolean) => {
        const selected = rows.filter((r) => filter(r.severity));
        return {
          time_to_acknowledge: stats(selected.filter((r) => r.acknowledged_at !== null).map((r) => r.acknowledged_at! - r.first_seen)),
          time_to_resolve: stats(selected.filter((r) => r.resolved_at !== null).map((r) => r.resolved_at! - r.first_seen)),
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
      const rows = await repo.openVulnerabilities(tenantId);
      const bySeverity = zeroSeverityCounts();
      const byBand = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unknown: 0 };
      const bySystem = new Map<string | null, { system_id: string | null; system: string | null; count: number }>();
      for (const row of rows) {
        if (isSeverity(row.severity)) bySeverity[row.severity]++;
        byBand[cvssBand(row.cvss_score)]++;
        const entry = bySystem.get(row.system_id) ?? { system_id: row.system_id, system: row.system_name, count: 0 };
        entry.count++;
        bySystem.set(row.system_id, entry);
      }
      return {
        total: rows.length,
        by_severity: bySeverity,
        by_cvss_band: byBand,
        by_system: [...bySystem.values()].sort((a, b) => b.count - a.count || String(a.system).localeCompare(String(b.system))),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
