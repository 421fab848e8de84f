import type { Severity } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { listAll, organizationId } from './client.ts';

export const ALERTS_PER_PAGE = 300; // the maximum (4–300)

/** Meraki assurance alert severity → Sentinel severity (anything else → low). */
export const ALERT_SEVERITY: Record<string, Severity> = {
  critical: 'critical',
  warning: 'medium',
  informational: 'info',
};

interface MerakiAlert {
  id?: string;
  categoryType?: string | null;
  network?: { id?: string; name?: string } | null;
  startedAt?: string | null;
  resolvedAt?: string | null;
  dismissedAt?: string | null;
  deviceType?: string | null;
  type?: string | null;
  title?: string | null;
  description?: string | null;
  severity?: string | null;
  scope?: { devices?: { name?: string | null; serial?: string | null; productType?: string | null }[] | null } | null;
}

export function normalizeAlert(alert: MerakiAlert): NormalizedAlert {
  if (typeof alert.id !== 'string' || alert.id === '') throw new ProviderError('bad_response', 'Meraki assurance alert without an id');
  const time = Date.parse(alert.startedAt ?? '');
  if (Number.isNaN(time)) throw new ProviderError('bad_response', `Meraki assurance alert ${alert.id} without a usable startedAt`);
  const raw = alert.severity ?? '';
  const device = alert.scope?.devices?.find((d) => d && (d.name || d.serial));
  return {
    external_id: alert.id,
    title: alert.title || alert.type || 'Meraki alert',
    description: alert.description ?? '',
    severity: ALERT_SEVERITY[raw.toLowerCase()] ?? 'low',
    vendor_severity: raw,
    source: [alert.categoryType, alert.type].filter((s) => typeof s === 'string' && s !== '').join('/') || 'meraki',
    time,
    asset: device ? (device.name || device.serial || null) : null,
  };
}

/**
 * Every open alert (the API's active/dismissed/resolved filters), whatever `since`: an alert that
 * started before the last sync and is still open must stay in the list.
 */
export async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
  const orgId = organizationId(ctx);
  const alerts = await listAll<MerakiAlert>(
    ctx,
    `/organizations/${encodeURIComponent(orgId)}/assurance/alerts`,
    { perPage: ALERTS_PER_PAGE, active: true, dismissed: false, resolved: false },
    [],
  );
  // Duplicates across pages (an alert moving while paging) are merged by the sync on external_id.
  return alerts.map(normalizeAlert);
}
