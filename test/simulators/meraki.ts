import type { ServerResponse } from 'node:http';
import { sendJson, startSimulator, type SimRequest, type Simulator } from './base.ts';

/*
 * Cisco Meraki Dashboard API v1 simulator (served under /api/v1): API-key auth (either header),
 * organizations, device statuses and assurance alerts with perPage/startingAfter/endingBefore and
 * RFC 5988 Link headers (absolute URLs back to this simulator), perPage bounds, and the
 * per-organization token-bucket rate limit (429 + Retry-After).
 */

export interface MerakiOrganization {
  id: string;
  name: string;
  url: string;
  api: { enabled: boolean };
  licensing: { model: string };
  cloud: { region: { name: string } };
  management: { details: { name: string; value: string }[] };
}

export interface MerakiDeviceStatus {
  name: string | null;
  serial: string;
  mac: string;
  publicIp: string | null;
  networkId: string;
  status: 'online' | 'alerting' | 'offline' | 'dormant';
  lastReportedAt: string | null;
  lanIp: string | null;
  gateway: string | null;
  ipType: string | null;
  primaryDns: string | null;
  secondaryDns: string | null;
  productType: string;
  model: string;
  tags: string[];
}

export interface MerakiAlert {
  id: string;
  categoryType: string;
  network: { id: string; name: string };
  startedAt: string;
  resolvedAt: string | null;
  dismissedAt: string | null;
  deviceType: string | null;
  type: string;
  title: string;
  description: string;
  severity: string;
  scope: {
    devices: { url: string; name: string; productType: string; serial: string; mac: string; order: number; imei: string | null; lldp: { port: string } | null }[];
    applications: unknown[];
    peers: unknown[];
  };
}

export interface MerakiSimData {
  organization: MerakiOrganization;
  devices: MerakiDeviceStatus[];
  alerts: MerakiAlert[];
}

export interface MerakiRateLimit {
  /** Sustained requests per second per organization (Meraki: 10). */
  perSecond: number;
  /** Extra requests allowed in a burst (Meraki: 10). */
  burst: number;
}

export interface MerakiSimulator extends Simulator {
  data: MerakiSimData;
  apiKey: string;
  organizationId: string;
  /** Base URL to configure the provider with (…/api/v1). */
  apiUrl: string;
  rateLimit: MerakiRateLimit;
  /** How many requests the token bucket refused. */
  throttled: number;
  /**
   * Which auth headers are accepted: `both` (the OpenAPI spec's two schemes), `bearer` (only
   * `Authorization: Bearer`, what the v1 Authorization page documents), or `header` (only
   * `X-Cisco-Meraki-API-Key`). A request without an accepted one gets 401 "Missing API key".
   */
  authSchemes: 'both' | 'bearer' | 'header';
}

const PRODUCTS: { productType: string; models: string[]; prefix: string }[] = [
  { productType: 'wireless', models: ['MR36', 'MR46', 'MR57', 'CW9166I'], prefix: 'Q3AB' },
  { productType: 'switch', models: ['MS120-8LP', 'MS250-48FP', 'MS390-24UX'], prefix: 'Q2MS' },
  { productType: 'appliance', models: ['MX67', 'MX85', 'MX250'], prefix: 'Q2PN' },
  { productType: 'camera', models: ['MV12W', 'MV22', 'MV72'], prefix: 'Q2FV' },
  { productType: 'sensor', models: ['MT10', 'MT12', 'MT20'], prefix: 'Q3CA' },
  { productType: 'cellularGateway', models: ['MG21', 'MG41'], prefix: 'Q2ZZ' },
];

const hex4 = (n: number) => (n & 0xffff).toString(16).toUpperCase().padStart(4, '0');

export const NETWORKS = Array.from({ length: 12 }, (_, i) => ({ id: `N_${(24_329_156 + i * 7_919).toString()}`, name: ['HQ', 'Branch Lyon', 'Branch Berlin', 'Warehouse', 'DC East', 'DC West', 'Retail 01', 'Retail 02', 'Retail 03', 'Lab', 'Guest', 'Factory'][i]! }));

/** A device status as Meraki returns it (serial derived from the index, so data is deterministic). */
export function merakiDevice(i: number, status: MerakiDeviceStatus['status'], now = Date.now()): MerakiDeviceStatus {
  const product = PRODUCTS[i % PRODUCTS.length]!;
  const model = product.models[i % product.models.length]!;
  const network = NETWORKS[i % NETWORKS.length]!;
  const serial = `${product.prefix}-${hex4(i)}-${hex4((i * 40_503 + 12_345) >>> 0)}`;
  const reported = status === 'online' || status === 'alerting' ? now - ((i * 13) % 300) * 1000 : status === 'offline' ? now - (3_600 + ((i * 37) % 86_400)) * 1000 : now - 90 * 86_400_000;
  return {
    // Every 25th device has no name: the provider falls back on the serial.
    name: i % 25 === 7 ? null : `${network.name} ${model} ${i}`,
    serial,
    mac: `e0:55:3d:${hex4(i).slice(0, 2).toLowerCase()}:${hex4(i).slice(2).toLowerCase()}:${(i % 256).toString(16).padStart(2, '0')}`,
    publicIp: product.productType === 'appliance' || product.productType === 'cellularGateway' ? `198.51.100.${i % 250}` : null,
    networkId: network.id,
    status,
    lastReportedAt: new Date(reported).toISOString().replace('Z', '000Z'),
    lanIp: product.productType === 'appliance' ? null : `10.${(i >> 8) & 255}.${i & 255}.${10 + (i % 200)}`,
    gateway: product.productType === 'appliance' ? null : `10.${(i >> 8) & 255}.${i & 255}.1`,
    ipType: product.productType === 'appliance' ? null : 'dhcp',
    primaryDns: '8.8.8.8',
    secondaryDns: '8.8.4.4',
    productType: product.productType,
    model,
    tags: i % 3 === 0 ? ['critical-site'] : [],
  };
}

let alertCounter = 0;
/** An assurance alert as Meraki returns it. */
export function merakiAlert(fields: Partial<MerakiAlert> & { severity: string; device?: MerakiDeviceStatus | null; startedAt?: string }): MerakiAlert {
  alertCounter++;
  const device = fields.device;
  const network = NETWORKS.find((n) => n.id === device?.networkId) ?? NETWORKS[0]!;
  const { device: _device, ...rest } = fields;
  return {
    id: `${(566_935_867_834_000_000n + BigInt(alertCounter) * 7_919n).toString()}`,
    categoryType: 'connectivity',
    network,
    startedAt: new Date().toISOString(),
    resolvedAt: null,
    dismissedAt: null,
    deviceType: device?.productType ?? null,
    type: 'device_offline',
    title: 'Device went offline',
    description: 'The device has not checked in with the Meraki cloud.',
    scope: {
      devices: device
        ? [{ url: `https://n149.meraki.com/o/VjjsAd/manage/nodes/new_list/${device.serial}`, name: device.name ?? '', productType: device.productType, serial: device.serial, mac: device.mac, order: 0, imei: null, lldp: null }]
        : [],
      applications: [],
      peers: [],
    },
    ...rest,
  };
}

/**
 * Realistic default data: `deviceCount` devices in every status (mostly online; ~4% offline, ~2%
 * alerting, ~1% dormant), and assurance alerts of every severity, some resolved or dismissed.
 */
export function defaultMerakiData(options: { deviceCount?: number; organizationId?: string; now?: number } = {}): MerakiSimData {
  const now = options.now ?? Date.now();
  const count = options.deviceCount ?? 2_500;
  const devices: MerakiDeviceStatus[] = [];
  for (let i = 0; i < count; i++) {
    const status = i % 97 === 3 ? 'dormant' : i % 23 === 5 ? 'offline' : i % 50 === 11 ? 'alerting' : 'online';
    devices.push(merakiDevice(i, status, now));
  }
  const d = (status: MerakiDeviceStatus['status'], nth = 0) => devices.filter((x) => x.status === status)[nth] ?? devices[0] ?? null;
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const alerts: MerakiAlert[] = [
    merakiAlert({ severity: 'critical', device: d('offline'), startedAt: at(95), categoryType: 'connectivity', type: 'appliance_unreachable', title: 'Appliance is unreachable', description: 'The security appliance has not contacted the Meraki cloud for more than 5 minutes.' }),
    merakiAlert({ severity: 'critical', device: d('offline', 1), startedAt: at(40), categoryType: 'connectivity', type: 'device_offline', title: 'Device went offline', description: 'The device has not checked in with the Meraki cloud.' }),
    merakiAlert({ severity: 'warning', device: d('alerting'), startedAt: at(30), categoryType: 'device_health', type: 'port_errors', title: 'Port errors detected', description: 'CRC errors on port 12 exceed the threshold.' }),
    merakiAlert({ severity: 'warning', device: d('alerting', 1), startedAt: at(12), categoryType: 'device_health', type: 'high_temperature', title: 'High temperature', description: 'The sensor reports a temperature above 40 °C.' }),
    merakiAlert({ severity: 'informational', device: d('online'), startedAt: at(8), categoryType: 'configuration', type: 'firmware_upgrade_available', title: 'Firmware upgrade available', description: 'A newer stable firmware is available for this device.' }),
    merakiAlert({ severity: 'informational', device: null, startedAt: at(5), categoryType: 'insights', type: 'wan_usage_spike', title: 'WAN usage spike', description: 'WAN usage is 3× the weekly baseline.' }),
    // Closed ones: the active/dismissed/resolved filters leave them out.
    merakiAlert({ severity: 'critical', device: d('online', 1), startedAt: at(300), resolvedAt: at(200), categoryType: 'connectivity', type: 'device_offline', title: 'Device went offline', description: 'Recovered.' }),
    merakiAlert({ severity: 'warning', device: d('online', 2), startedAt: at(250), dismissedAt: at(100), categoryType: 'experience_metrics', type: 'poor_wireless_experience', title: 'Poor wireless experience', description: 'Dismissed by an operator.' }),
  ];
  const id = options.organizationId ?? '549236';
  return {
    organization: {
      id,
      name: 'Acme Corp',
      url: `https://n149.meraki.com/o/VjjsAd/manage/organization/overview`,
      api: { enabled: true },
      licensing: { model: 'co-term' },
      cloud: { region: { name: 'Europe' } },
      management: { details: [{ name: 'MSP ID', value: '123456' }] },
    },
    devices,
    alerts,
  };
}

/* ---------------------------------------------------------------- pagination */

interface Page<T> {
  items: T[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/** A page of `sorted` (presentation order) by the Meraki tokens: items strictly after / before a key. */
function paginate<T>(sorted: T[], key: (item: T) => string, cmp: (a: string, b: string) => number, perPage: number, startingAfter: string | null, endingBefore: string | null): Page<T> {
  let start = 0;
  let end: number;
  if (startingAfter !== null) {
    start = sorted.findIndex((item) => cmp(key(item), startingAfter) > 0);
    if (start === -1) start = sorted.length;
    end = Math.min(sorted.length, start + perPage);
  } else if (endingBefore !== null) {
    end = sorted.filter((item) => cmp(key(item), endingBefore) < 0).length;
    start = Math.max(0, end - perPage);
  } else {
    end = Math.min(sorted.length, perPage);
  }
  return { items: sorted.slice(start, end), hasBefore: start > 0, hasAfter: end < sorted.length };
}

const ascending = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

function linkHeader(req: SimRequest, pathname: string, perPage: number, links: { rel: string; param: 'startingAfter' | 'endingBefore' | null; token?: string }[]): string {
  const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
  return links
    .map(({ rel, param, token }) => {
      const q = new URLSearchParams();
      for (const [k, v] of req.query) if (k !== 'startingAfter' && k !== 'endingBefore' && k !== 'perPage') q.append(k, v);
      q.set('perPage', String(perPage));
      if (param !== null && token !== undefined) q.set(param, token);
      return `<${origin}${pathname}?${q.toString()}>; rel=${rel}`;
    })
    .join(', ');
}

function perPageOf(req: SimRequest, min: number, max: number, fallback: number): number | string {
  const raw = req.query.get('perPage');
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) return `'perPage' must be an integer between ${min} and ${max}`;
  return Number(raw);
}

/* ---------------------------------------------------------------- server */

export async function startMerakiSimulator(options: { apiKey?: string; data?: MerakiSimData; rateLimit?: Partial<MerakiRateLimit>; deviceCount?: number } = {}): Promise<MerakiSimulator> {
  const apiKey = options.apiKey ?? '093b24e85df15a3e66f1fc359f4c48493eaa1b73';
  const data = options.data ?? defaultMerakiData({ deviceCount: options.deviceCount });
  const holder: { sim?: MerakiSimulator } = {};
  const buckets = new Map<string, { tokens: number; at: number }>();

  /** Token bucket per organization: capacity perSecond + burst, refilled at perSecond. */
  function take(orgId: string): number | undefined {
    const { perSecond, burst } = holder.sim!.rateLimit;
    const capacity = perSecond + burst;
    const now = performance.now();
    const bucket = buckets.get(orgId) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    buckets.set(orgId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  const error = (res: ServerResponse, status: number, ...errors: string[]) => sendJson(res, status, { errors });

  const base = await startSimulator(
    (req, res) => {
      const sim = holder.sim!;
      const bearer = sim.authSchemes === 'header' ? undefined : /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const header = sim.authSchemes === 'bearer' ? undefined : req.headers['x-cisco-meraki-api-key'];
      const key = header ?? bearer;
      if (key === undefined) return error(res, 401, 'Missing API key');
      if (key !== apiKey) return error(res, 401, 'Invalid API key');
      if (!req.path.startsWith('/api/v1/')) return error(res, 404, 'Not found');
      const path = req.path.slice('/api/v1'.length);

      const orgMatch = /^\/organizations\/([^/]+)(\/.*)?$/.exec(path);
      if (orgMatch) {
        const orgId = decodeURIComponent(orgMatch[1]!);
        const wait = take(orgId);
        if (wait !== undefined) {
          sim.throttled++;
          return sendJson(res, 429, { errors: ['API rate limit exceeded for organization'] }, { 'retry-after': String(wait) });
        }
        if (orgId !== sim.data.organization.id) return error(res, 404, 'Not found');
        const rest = orgMatch[2] ?? '';
        if (req.method === 'GET' && rest === '') return sendJson(res, 200, sim.data.organization);
        if (req.method === 'GET' && rest === '/devices/statuses') return deviceStatuses(sim, req, res, req.path);
        if (req.method === 'GET' && rest === '/assurance/alerts') return assuranceAlerts(sim, req, res, req.path);
        if (req.method === 'POST' && rest === '/assurance/alerts/dismiss') {
          let ids: unknown;
          try {
            ids = (JSON.parse(req.body) as { alertIds?: unknown }).alertIds;
          } catch {
            return error(res, 400, 'Invalid JSON body');
          }
          if (!Array.isArray(ids) || ids.length === 0) return error(res, 400, "'alertIds' must be a non-empty array");
          const now = new Date().toISOString();
          for (const alert of sim.data.alerts) if (ids.includes(alert.id) && alert.dismissedAt === null) alert.dismissedAt = now;
          res.writeHead(204);
          res.end();
          return;
        }
        return error(res, 404, 'Not found');
      }
      if (req.method === 'GET' && path === '/organizations') {
        const perPage = perPageOf(req, 3, 9000, 9000);
        if (typeof perPage === 'string') return error(res, 400, perPage);
        return sendJson(res, 200, [sim.data.organization]);
      }
      return error(res, 404, 'Not found');
    },
    {
      rateLimitBody: { text: JSON.stringify({ errors: ['API rate limit exceeded for organization'] }), contentType: 'application/json; charset=utf-8' },
      errorBody: (status) => ({ text: JSON.stringify({ errors: [status >= 500 ? 'Internal server error' : `HTTP ${status}`] }), contentType: 'application/json; charset=utf-8' }),
    },
  );

  holder.sim = Object.assign(base, {
    data,
    apiKey,
    organizationId: data.organization.id,
    apiUrl: `${base.url}/api/v1`,
    rateLimit: { perSecond: 10, burst: 10, ...options.rateLimit },
    throttled: 0,
    authSchemes: 'both' as MerakiSimulator['authSchemes'],
  });
  return holder.sim;
}

function deviceStatuses(sim: MerakiSimulator, req: SimRequest, res: ServerResponse, pathname: string): void {
  const perPage = perPageOf(req, 3, 1000, 1000);
  if (typeof perPage === 'string') return sendJson(res, 400, { errors: [perPage] });
  const statuses = req.query.getAll('statuses[]');
  const productTypes = req.query.getAll('productTypes[]');
  const serials = req.query.getAll('serials[]');
  const networkIds = req.query.getAll('networkIds[]');
  const models = req.query.getAll('models[]');
  const bad = statuses.find((s) => !['online', 'alerting', 'offline', 'dormant'].includes(s));
  if (bad !== undefined) return sendJson(res, 400, { errors: [`'statuses' has an invalid value: '${bad}'`] });
  const filtered = sim.data.devices
    .filter((d) => (statuses.length === 0 || statuses.includes(d.status)) && (productTypes.length === 0 || productTypes.includes(d.productType)) && (serials.length === 0 || serials.includes(d.serial)) && (networkIds.length === 0 || networkIds.includes(d.networkId)) && (models.length === 0 || models.includes(d.model)))
    .sort((a, b) => ascending(a.serial, b.serial));
  const page = paginate(filtered, (d) => d.serial, ascending, perPage, req.query.get('startingAfter'), req.query.get('endingBefore'));
  const links: Parameters<typeof linkHeader>[3] = [{ rel: 'first', param: 'startingAfter', token: '0000-0000-0000' }];
  if (page.hasBefore && page.items.length > 0) links.push({ rel: 'prev', param: 'endingBefore', token: page.items[0]!.serial });
  if (page.hasAfter && page.items.length > 0) links.push({ rel: 'next', param: 'startingAfter', token: page.items.at(-1)!.serial });
  links.push({ rel: 'last', param: 'endingBefore', token: 'ZZZZ-ZZZZ-ZZZZ' });
  sendJson(res, 200, page.items, { link: linkHeader(req, pathname, perPage, links) });
}

function assuranceAlerts(sim: MerakiSimulator, req: SimRequest, res: ServerResponse, pathname: string): void {
  const perPage = perPageOf(req, 4, 300, 30);
  if (typeof perPage === 'string') return sendJson(res, 400, { errors: [perPage] });
  const bool = (name: string, fallback: boolean): boolean | string => {
    const v = req.query.get(name);
    if (v === null) return fallback;
    if (v === 'true' || v === 'false') return v === 'true';
    return `'${name}' must be a boolean`;
  };
  const active = bool('active', true);
  const dismissed = bool('dismissed', false);
  const resolved = bool('resolved', false);
  for (const v of [active, dismissed, resolved]) if (typeof v === 'string') return sendJson(res, 400, { errors: [v] });
  const sortOrder = req.query.get('sortOrder') ?? 'ascending';
  if (sortOrder !== 'ascending' && sortOrder !== 'descending') return sendJson(res, 400, { errors: ["'sortOrder' must be one of: 'ascending', 'descending'"] });
  const severity = req.query.get('severity');
  const category = req.query.get('category');
  const networkId = req.query.get('networkId');
  const serials = req.query.getAll('serials[]');
  const tsStart = req.query.get('tsStart');
  const tsEnd = req.query.get('tsEnd');

  const filtered = sim.data.alerts.filter((a) => {
    const isResolved = a.resolvedAt !== null;
    const isDismissed = a.dismissedAt !== null;
    const isActive = !isResolved && !isDismissed;
    // Each flag includes the matching alerts; an alert shows when one included group holds it.
    const include = (active === true && isActive) || (dismissed === true && isDismissed) || (resolved === true && isResolved);
    if (!include) return false;
    if (severity !== null && a.severity !== severity) return false;
    if (category !== null && a.categoryType !== category) return false;
    if (networkId !== null && a.network.id !== networkId) return false;
    if (serials.length > 0 && !a.scope.devices.some((d) => serials.includes(d.serial))) return false;
    if (tsStart !== null && Date.parse(a.startedAt) < Date.parse(tsStart)) return false;
    if (tsEnd !== null && Date.parse(a.startedAt) > Date.parse(tsEnd)) return false;
    return true;
  });
  const keyOf = (a: MerakiAlert) => `${a.startedAt}|${a.id.padStart(24, '0')}`;
  const cmp = sortOrder === 'ascending' ? ascending : (a: string, b: string) => ascending(b, a);
  filtered.sort((a, b) => cmp(keyOf(a), keyOf(b)));
  let startingAfter: string | null = null;
  let endingBefore: string | null = null;
  try {
    const sa = req.query.get('startingAfter');
    const eb = req.query.get('endingBefore');
    if (sa !== null) startingAfter = unb64(sa);
    if (eb !== null) endingBefore = unb64(eb);
  } catch {
    return sendJson(res, 400, { errors: ['Invalid pagination token'] });
  }
  const page = paginate(filtered, keyOf, cmp, perPage, startingAfter, endingBefore);
  // Sentinels before the first / after the last key in presentation order.
  const low = sortOrder === 'ascending' ? '!' : '~';
  const high = sortOrder === 'ascending' ? '~' : '!';
  const links: Parameters<typeof linkHeader>[3] = [{ rel: 'first', param: 'startingAfter', token: b64(low) }];
  if (page.hasBefore && page.items.length > 0) links.push({ rel: 'prev', param: 'endingBefore', token: b64(keyOf(page.items[0]!)) });
  if (page.hasAfter && page.items.length > 0) links.push({ rel: 'next', param: 'startingAfter', token: b64(keyOf(page.items.at(-1)!)) });
  links.push({ rel: 'last', param: 'endingBefore', token: b64(high) });
  sendJson(res, 200, page.items, { link: linkHeader(req, pathname, perPage, links) });
}
