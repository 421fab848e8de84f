import type { AssetStatus, SystemStatus } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { mean } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { listAll, organizationId } from './client.ts';

export const DEVICES_PER_PAGE = 1000; // the maximum (3–1000)

/** Meraki device status → asset status. */
export const DEVICE_STATUS: Record<string, AssetStatus> = {
  online: 'online',
  alerting: 'warning',
  offline: 'offline',
  dormant: 'offline',
};

interface MerakiDeviceStatus {
  name?: string | null;
  serial?: string;
  mac?: string | null;
  publicIp?: string | null;
  networkId?: string | null;
  status?: string;
  lastReportedAt?: string | null;
  lanIp?: string | null;
  productType?: string | null;
  model?: string | null;
  tags?: string[];
}

export function normalizeDevice(device: MerakiDeviceStatus): NormalizedAsset {
  if (typeof device.serial !== 'string' || device.serial === '') throw new ProviderError('bad_response', 'Meraki device status without a serial');
  const raw = String(device.status ?? '');
  return {
    external_id: device.serial,
    name: device.name || device.serial,
    kind: device.productType || 'device',
    status: DEVICE_STATUS[raw] ?? 'unknown',
    detail: {
      model: device.model ?? null,
      networkId: device.networkId ?? null,
      lanIp: device.lanIp ?? null,
      lastReportedAt: device.lastReportedAt ?? null,
      meraki_status: raw,
    },
  };
}

/**
 * The organization's status from its devices: none → warning; more than half offline (offline or
 * dormant) → alert; any offline/dormant or alerting → warning; otherwise online.
 */
export function deriveStatus(assets: NormalizedAsset[]): SystemStatus {
  if (assets.length === 0) return 'warning';
  const offline = assets.filter((a) => a.status === 'offline').length;
  if (offline * 2 > assets.length) return 'alert';
  if (offline > 0 || assets.some((a) => a.status === 'warning')) return 'warning';
  return 'online';
}

export async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const orgId = organizationId(ctx);
  const latencies: number[] = [];
  const devices = await listAll<MerakiDeviceStatus>(ctx, `/organizations/${encodeURIComponent(orgId)}/devices/statuses`, { perPage: DEVICES_PER_PAGE }, latencies);
  const assets = devices.map(normalizeDevice);
  const status = deriveStatus(assets);

  const counts = new Map<string, number>();
  for (const a of assets) {
    const key = String(a.detail?.meraki_status || 'unknown');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const order = ['online', 'alerting', 'offline', 'dormant'];
  const parts = [...counts.entries()]
    .sort(([a], [b]) => (order.indexOf(a) === -1 ? 99 : order.indexOf(a)) - (order.indexOf(b) === -1 ? 99 : order.indexOf(b)))
    .map(([k, n]) => `${n} ${k}`);
  const summary = assets.length === 0 ? `no devices in Meraki organization ${orgId}` : `${assets.length} devices: ${parts.join(', ')}`;

  // Meraki reports no uptime for the organization or the cloud.
  return { status, metrics: { uptime: null, response_time_avg: mean(latencies) }, assets, summary };
}
