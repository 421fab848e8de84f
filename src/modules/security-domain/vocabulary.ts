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

export const VULNERABILITY_STATUSES = ['open', 'patching', 'resolved'] as const;
export type VulnerabilityStatus = (typeof VULNERABILITY_STATUSES)[number];
/** Open vulnerabilities are not fixed yet: reported, or being patched. */
export const OPEN_VULNERABILITY_STATUSES: readonly VulnerabilityStatus[] = ['open', 'patching'];

export const isOpenAlert = (status: string): boolean => (OPEN_ALERT_STATUSES as readonly string[]).includes(status);
export const isOpenVulnerability = (status: string): boolean => (OPEN_VULNERABILITY_STATUSES as readonly string[]).includes(status);

/** A count per severity, every severity present (most severe first). */
export const zeroSeverityCounts = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
