/**
 * The words the security features share: severities, the kinds of connected systems, and the
 * life cycles of systems, assets, alerts and vulnerabilities, including which states count as
 * "open" (still needing attention). Schemas, SQL filters, providers and views all take them from
 * here, so that a new state or severity is added in one place.
 */

/** Most severe first: the order an analyst (or an assistant) should look at things. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const isSeverity = (value: string): value is Severity => (SEVERITIES as readonly string[]).includes(value);

/** The vendors Sentinel integrates with; a system's `type` is its integration's. */
export const INTEGRATION_TYPES = ['grafana', 'prometheus', 'wazuh', 'splunk', 'meraki', 'paloalto'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** A connected system's status. */
export const SYSTEM_STATUSES = ['online', 'warning', 'alert'] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

/** An asset's (agent, device, host, target) own status. */
export const ASSET_STATUSES = ['online', 'warning', 'offline', 'unknown'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export const ALERT_STATUSES = ['active', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
/** Open alerts still need attention: new and acknowledged ones. */
export const OPEN_ALERT_STATUSES: readonly AlertStatus[] = ['active', 'acknowledged'];

/** `accepted_risk`: still reported, knowingly left unfixed (by whom, why, until when); the feed does not reopen it. */
export const VULNERABILITY_STATUSES = ['open', 'patching', 'accepted_risk', 'resolved'] as const;
export type VulnerabilityStatus = (typeof VULNERABILITY_STATUSES)[number];
/** Open vulnerabilities are not fixed yet: reported, or being patched. */
export const OPEN_VULNERABILITY_STATUSES: readonly VulnerabilityStatus[] = ['open', 'patching'];

/** pending → in_progress → succeeded | failed | cancelled (pending may also fail or be cancelled). */
export const PATCH_JOB_STATUSES = ['pending', 'in_progress', 'succeeded', 'failed', 'cancelled'] as const;
export type PatchJobStatus = (typeof PATCH_JOB_STATUSES)[number];
/** A job in one of these is still running: the vulnerability stays `patching`. */
export const ACTIVE_PATCH_JOB_STATUSES: readonly PatchJobStatus[] = ['pending', 'in_progress'];

/**
 * A CVSS base score's qualitative band (FIRST, CVSS v3.x and v4): 0 none, 0.1–3.9 low, 4.0–6.9
 * medium, 7.0–8.9 high, 9.0–10 critical. A scored vulnerability's severity is its band (`none` is
 * `info`), so the distribution's severity and CVSS counts agree; the vendor's word stays in
 * `vendor_severity`.
 */
export function cvssBand(score: number | null): 'none' | 'low' | 'medium' | 'high' | 'critical' | 'unknown' {
  if (score === null || !Number.isFinite(score)) return 'unknown';
  if (score <= 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

export function severityFromCvss(score: number): Severity {
  const band = cvssBand(score);
  return band === 'none' || band === 'unknown' ? 'info' : band;
}

export const isOpenAlert = (status: string): boolean => (OPEN_ALERT_STATUSES as readonly string[]).includes(status);
export const isOpenVulnerability = (status: string): boolean => (OPEN_VULNERABILITY_STATUSES as readonly string[]).includes(status);

/** A count per severity, every severity present (most severe first). */
export const zeroSeverityCounts = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

/**
 * Severities and statuses as Spanish messages name them (reports, notifications, problems), in
 * the feminine of the words they describe (alerta, vulnerabilidad, tarea); the English names are
 * the values themselves.
 */
const SPANISH_NAMES: Readonly<Record<Severity | AlertStatus | SystemStatus | VulnerabilityStatus | PatchJobStatus, string>> = {
  critical: 'crítica', high: 'alta', medium: 'media', low: 'baja', info: 'info',
  active: 'activa', acknowledged: 'reconocida', resolved: 'resuelta',
  online: 'en línea', warning: 'con aviso', alert: 'en alerta',
  open: 'abierta', patching: 'en parcheo', accepted_risk: 'aceptada como riesgo',
  pending: 'pendiente', in_progress: 'en curso', succeeded: 'completada', failed: 'fallida', cancelled: 'cancelada',
};

/** A severity or status in a language: Spanish by its name, English (and anything unknown) as it is. */
export const nameIn = (language: 'en' | 'es', value: string): string =>
  (language === 'es' ? (SPANISH_NAMES as Record<string, string | undefined>)[value] ?? value : value);
