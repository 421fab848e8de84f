import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { AssetStatus, Severity, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { CheckResult, NormalizedAlert, NormalizedAsset, Provider, ProviderContext, ProviderDefinition, StatusReport } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

/*
 * Cisco Meraki Dashboard API v1 (https://api.meraki.com/api/v1).
 *
 * - Auth: the dashboard API key in `X-Cisco-Meraki-API-Key`.
 * - Status: GET /organizations/{id}/devices/statuses, every page (RFC 5988 Link rel=next).
 * - Alerts: GET /organizations/{id}/assurance/alerts (active, not dismissed, not resolved), every page.
 * - Rate limit: 10 requests/s per organization; 429 + Retry-After is retried by VendorHttp.
 * See docs/providers/meraki.md.
 */

export const DEVICES_PER_PAGE = 1000; // the maximum (3–1000)
export const ALERTS_PER_PAGE = 300; // the maximum (4–300)
/** Pages followed per listing before giving up (50 × 1000 devices is far beyond real organizations). */
export const MAX_PAGES = 50;

/** Meraki device status → asset status. */
export const DEVICE_STATUS: Record<string, AssetStatus> = {
  online: 'online',
  alerting: 'warning',
  offline: 'offline',
  dormant: 'offline',
};

/** Meraki assurance alert severity → Sentinel severity (anything else → low). */
export const ALERT_SEVERITY: Record<string, Severity> = {
  critical: 'critical',
  warning: 'medium',
  informational: 'info',
};

interface MerakiOrganization {
  id?: string;
  name?: string;
  api?: { enabled?: boolean };
}

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

function apiKey(ctx: ProviderContext): string {
  if (typeof ctx.secret !== 'string' || ctx.secret.trim() === '') {
    throw new ProviderError('config', 'a Meraki dashboard API key is required');
  }
  return ctx.secret.trim();
}

function organizationId(ctx: ProviderContext): string {
  const id = ctx.config.organization_id;
  if (typeof id !== 'string' || id === '') throw new ProviderError('config', 'organization_id is required');
  return id;
}

function headers(ctx: ProviderContext): Record<string, string> {
  return { 'x-cisco-meraki-api-key': apiKey(ctx) };
}

/** The target of the `rel=next` link in an RFC 5988 Link header, if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!value) return undefined;
  for (const match of value.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return match[1];
  }
  return undefined;
}

/**
 * Every item of a paginated listing: the first page with `query`, then the `rel=next` links as the
 * API gives them (clients must not build tokens themselves), at most MAX_PAGES pages.
 */
async function listAll<T>(ctx: ProviderContext, path: string, query: Record<string, string | number | boolean>, latencies: number[]): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let url: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.http.request(url === undefined ? { path, query, headers: headers(ctx) } : { path: url, headers: headers(ctx) });
    latencies.push(res.latencyMs);
    const body = res.json<unknown>();
    if (!Array.isArray(body)) throw new ProviderError('bad_response', `Meraki ${path}: expected a JSON array`);
    items.push(...(body as T[]));
    const next = nextLink(res.headers.link);
    if (next === undefined) return items;
    // Links are absolute; a relative one is resolved against the configured base URL.
    const absolute = new URL(next, ctx.http.baseUrl.endsWith('/') ? ctx.http.baseUrl : `${ctx.http.baseUrl}/`).href;
    if (seen.has(absolute)) throw new ProviderError('bad_response', `Meraki ${path}: the pagination links loop`);
    seen.add(absolute);
    url = absolute;
  }
  throw new ProviderError('bad_response', `Meraki ${path}: more than ${MAX_PAGES} pages, giving up`);
}

const mean = (values: number[]) => (values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length));

/* ---------------------------------------------------------------- check */

async function check(ctx: ProviderContext): Promise<CheckResult> {
  const started = performance.now();
  let orgId = '';
  try {
    orgId = organizationId(ctx);
    const res = await ctx.http.request({ path: `/organizations/${encodeURIComponent(orgId)}`, headers: headers(ctx) });
    const org = res.json<MerakiOrganization>();
    if (org === null || typeof org !== 'object' || Array.isArray(org)) throw new ProviderError('bad_response', 'Meraki: the organization is not a JSON object');
    if (org.api?.enabled === false) {
      return { ok: false, latency_ms: res.latencyMs, detail: `API access is disabled for Meraki organization "${org.name ?? orgId}"` };
    }
    return { ok: true, latency_ms: res.latencyMs, detail: `Meraki organization "${org.name ?? orgId}" (${org.id ?? orgId})` };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const latency = Math.round(performance.now() - started);
    let detail: string;
    switch (error.kind) {
      case 'auth':
        detail = 'Meraki rejected the API key (invalid, revoked, or API access not enabled for it)';
        break;
      case 'not_found':
        detail = `Meraki organization ${orgId} not found, or this API key has no access to it`;
        break;
      case 'unreachable':
        detail = `Meraki is unreachable: ${error.message}`;
        break;
      case 'timeout':
        detail = `Meraki did not answer in time: ${error.message}`;
        break;
      default:
        detail = error.message;
    }
    return { ok: false, latency_ms: latency, detail };
  }
}

/* ---------------------------------------------------------------- status */

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

async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
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

/* ---------------------------------------------------------------- alerts */

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
async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
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

const provider: Provider = { check, fetchStatus, fetchAlerts };

export const definition: ProviderDefinition = {
  type: 'meraki',
  label: 'Cisco Meraki',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('meraki', {
    organization_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Meraki organization id (GET /organizations lists them)' }),
  }, { defaultUrl: 'https://api.meraki.com/api/v1' }),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Dashboard API key (sent as X-Cisco-Meraki-API-Key)' }),
  secretRequired: true,
  provider,
};
