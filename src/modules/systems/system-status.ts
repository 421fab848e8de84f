import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { isSeverity, OPEN_ALERT_STATUSES, zeroSeverityCounts, type Severity, type SystemStatus } from '../security-domain/vocabulary.ts';

/**
 * A system's status is the worse of what its vendor reports about its own health and what its open
 * alerts call for, by the tenant's rules: an open alert of an `alert_severities` severity makes it
 * `alert`, of a `warning_severities` one `warning`.
 */
export interface SystemSettings {
  alert_severities: Severity[];
  warning_severities: Severity[];
  /** The window `metrics.uptime` (availability %) is computed over. */
  uptime_window_days: number;
}

export const DEFAULT_SYSTEM_SETTINGS: SystemSettings = { alert_severities: ['critical', 'high'], warning_severities: ['medium'], uptime_window_days: 30 };

const RANK: Record<SystemStatus, number> = { online: 0, warning: 1, alert: 2 };
const worse = (a: SystemStatus, b: SystemStatus): SystemStatus => (RANK[b] > RANK[a] ? b : a);

export type StatusSetBy = 'vendor' | 'open_alerts';

export interface StatusDecision {
  status: SystemStatus;
  /** `open_alerts` when the alerts call for a worse status than the vendor's health, else `vendor`. */
  set_by: StatusSetBy;
  /** The status the open alerts alone call for. */
  from_alerts: SystemStatus;
}

export function decideStatus(vendorStatus: SystemStatus, openAlerts: Record<Severity, number>, settings: SystemSettings): StatusDecision {
  const any = (severities: Severity[]) => severities.some((s) => openAlerts[s] > 0);
  const fromAlerts: SystemStatus = any(settings.alert_severities) ? 'alert' : any(settings.warning_severities) ? 'warning' : 'online';
  const status = worse(vendorStatus, fromAlerts);
  return { status, set_by: RANK[fromAlerts] > RANK[vendorStatus] ? 'open_alerts' : 'vendor', from_alerts: fromAlerts };
}

/** The rule that set the status, in words ("an open critical or high alert makes a system alert"). */
export function describeDecision(decision: StatusDecision, vendorStatus: SystemStatus, settings: SystemSettings): string {
  const list = (severities: Severity[]) => (severities.length <= 1 ? severities.join('') : `${severities.slice(0, -1).join(', ')} or ${severities.at(-1)}`);
  if (decision.set_by === 'open_alerts') {
    const severities = decision.status === 'alert' ? settings.alert_severities : settings.warning_severities;
    return `open_alerts: an open ${list(severities)} alert makes a system ${decision.status} (the vendor reports ${vendorStatus})`;
  }
  return `vendor: the vendor reports ${vendorStatus}${decision.from_alerts === 'online' ? '' : ` (open alerts alone would make it ${decision.from_alerts})`}`;
}

export const asSystemStatus = (value: string | null): SystemStatus => (value === 'warning' || value === 'alert' ? value : 'online');

export function parseSettings(row: { alert_severities: string; warning_severities: string; uptime_window_days: number } | undefined): SystemSettings {
  if (row === undefined) return DEFAULT_SYSTEM_SETTINGS;
  const severities = (json: string) => (JSON.parse(json) as string[]).filter(isSeverity);
  return { alert_severities: severities(row.alert_severities), warning_severities: severities(row.warning_severities), uptime_window_days: Number(row.uptime_window_days) };
}

/** Reads shared by the systems repo (views) and merge (status refresh). */
export function createSystemStatusReads(db: Kysely<PlatformDatabase>) {
  return {
    async settings(tenantId: string): Promise<SystemSettings> {
      return parseSettings(await db.selectFrom('system_settings').select(['alert_severities', 'warning_severities', 'uptime_window_days']).where('tenant_id', '=', tenantId).executeTakeFirst());
    },

    /** Open alerts (active and acknowledged) per system and severity; every listed system is present. */
    async openAlertCounts(tenantId: string, systemIds: string[]): Promise<Map<string, Record<Severity, number>>> {
      const counts = new Map(systemIds.map((id) => [id, zeroSeverityCounts()]));
      if (systemIds.length === 0) return counts;
      const rows = await db
        .selectFrom('alerts')
        .select(['system_id', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
        .where('tenant_id', '=', tenantId)
        .where('system_id', 'in', systemIds)
        .where('status', 'in', OPEN_ALERT_STATUSES)
        .groupBy(['system_id', 'severity'])
        .execute();
      for (const row of rows) {
        const entry = counts.get(row.system_id!);
        if (entry !== undefined && isSeverity(row.severity)) entry[row.severity] = Number(row.n);
      }
      return counts;
    },
  };
}
