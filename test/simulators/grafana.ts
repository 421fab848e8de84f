import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { sendJson, startSimulator, type SimRequest, type Simulator } from './base.ts';

/**
 * A Grafana (10/11) HTTP API simulator: service-account tokens (Bearer glsa_…), /api/health,
 * /api/search with limit/page, /api/dashboards/uid/:uid, data sources and their health checks,
 * POST /api/ds/query producing data frames, and the Grafana Alertmanager's /api/v2/alerts.
 */

export type Role = 'Admin' | 'Editor' | 'Viewer';

export interface SimDatasource {
  id: number;
  uid: string;
  name: string;
  type: string;
  typeName: string;
  url: string;
  isDefault: boolean;
  /** What its health check answers. */
  health: { status: 'OK' | 'ERROR'; message: string } | 'not_implemented';
}

export interface SimDashboard {
  /** The dashboard JSON model as stored (uid, title, tags, panels, templating …). */
  dashboard: Record<string, any> & { id: number; uid: string; title: string; tags: string[] };
  folderUid: string | null;
  folderTitle: string | null;
  starred?: boolean;
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface GrafanaData {
  health: { database: 'ok' | 'failing'; version: string; commit: string };
  /** Valid service-account tokens and their role. */
  tokens: Map<string, Role>;
  dashboards: SimDashboard[];
  datasources: SimDatasource[];
  alerts: AmAlert[];
}

/** A token in Grafana's format: glsa_ + 32 alphanumerics + _ + CRC32 (8 hex) of what precedes. */
export function makeToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const secret = Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
  const payload = `glsa_${secret}`;
  return `${payload}_${crc32(payload).toString(16).padStart(8, '0')}`;
}

export const PROMETHEUS_UID = 'PBFA97CFB590B2093';
export const TESTDATA_UID = 'PD8C576611E62080A';
export const LOKI_UID = 'P8E80F9AEF21F6940';

const promDs = { type: 'prometheus', uid: PROMETHEUS_UID };
const testDs = { type: 'grafana-testdata-datasource', uid: TESTDATA_UID };
const grid = (x: number, y: number, w = 12, h = 8) => ({ x, y, w, h });

/** Realistic default data: three dashboards (one with collapsed/expanded rows, null and legacy data sources), three data sources, four alerts. */
export function defaultGrafanaData(): GrafanaData {
  const datasources: SimDatasource[] = [
    { id: 1, uid: PROMETHEUS_UID, name: 'Prometheus', type: 'prometheus', typeName: 'Prometheus', url: 'http://prometheus:9090', isDefault: true, health: { status: 'OK', message: 'Successfully queried the Prometheus API.' } },
    { id: 2, uid: TESTDATA_UID, name: 'TestData', type: 'grafana-testdata-datasource', typeName: 'TestData', url: '', isDefault: false, health: { status: 'OK', message: 'Data source is working' } },
    { id: 3, uid: LOKI_UID, name: 'Loki', type: 'loki', typeName: 'Loki', url: 'http://loki:3100', isDefault: false, health: { status: 'ERROR', message: 'Unable to connect with Loki. Please check the server logs for more details.' } },
  ];
  const overview: SimDashboard = {
    folderUid: 'fe1prod00', folderTitle: 'Production',
    dashboard: {
      id: 11, uid: 'prod-overview', title: 'Production Overview', tags: ['prod', 'web'], timezone: 'browser', schemaVersion: 39, version: 7,
      time: { from: 'now-6h', to: 'now' },
      panels: [
        { id: 1, type: 'timeseries', title: 'Request rate', gridPos: grid(0, 0), datasource: promDs,
          targets: [{ refId: 'A', datasource: promDs, expr: 'sum by (instance) (rate(http_requests_total[5m]))', legendFormat: '{{instance}}', range: true }] },
        // A panel whose own datasource is null: its targets carry theirs (what Grafana ≥ 8.3 saves).
        { id: 2, type: 'stat', title: 'Targets up', gridPos: grid(12, 0), datasource: null,
          targets: [{ refId: 'A', datasource: promDs, expr: 'up', instant: false }] },
        // No data source at all.
        { id: 3, type: 'text', title: 'Runbook', gridPos: grid(0, 8, 24, 3), datasource: null, options: { mode: 'markdown', content: '# On call' } },
        { id: 4, type: 'row', title: 'Details', collapsed: true, gridPos: grid(0, 11, 24, 1),
          panels: [
            { id: 5, type: 'timeseries', title: 'Latency p90', gridPos: grid(0, 12), datasource: promDs,
              targets: [
                { refId: 'A', datasource: promDs, expr: 'histogram_quantile(0.9, sum by (le, instance) (rate(http_request_duration_seconds_bucket[5m])))', legendFormat: 'p90 {{instance}}' },
                { refId: 'B', datasource: promDs, expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))' },
                { refId: 'C', datasource: promDs, expr: 'up', hide: true },
              ] },
            { id: 6, type: 'timeseries', title: 'Random walk', gridPos: grid(12, 12), datasource: testDs,
              targets: [{ refId: 'A', scenarioId: 'random_walk', alias: 'walk' }] },
          ] },
        { id: 7, type: 'row', title: 'Legacy', collapsed: false, gridPos: grid(0, 12, 24, 1), panels: [] },
        // Saved by Grafana < 8.3: the data source by name.
        { id: 8, type: 'graph', title: 'Load (legacy)', gridPos: grid(0, 13), datasource: 'Prometheus',
          targets: [{ refId: 'A', expr: 'node_load1', legendFormat: '{{instance}}' }] },
        { id: 9, type: 'timeseries', title: 'Deleted data source', gridPos: grid(12, 13), datasource: { type: 'prometheus', uid: 'deleted-ds' },
          targets: [{ refId: 'A', datasource: { type: 'prometheus', uid: 'deleted-ds' }, expr: 'up' }] },
        { id: 10, type: 'timeseries', title: 'Everything broken', gridPos: grid(0, 21), datasource: promDs,
          targets: [{ refId: 'A', datasource: promDs, expr: 'rate(x[5m]' }, { refId: 'B', datasource: promDs, expr: 'sum(' }] },
        { id: 11, type: 'timeseries', title: 'Mixed', gridPos: grid(12, 21), datasource: { type: 'datasource', uid: '-- Mixed --' },
          targets: [{ refId: 'A', datasource: promDs, expr: 'up', legendFormat: '{{instance}}' }, { refId: 'B', datasource: testDs, scenarioId: 'random_walk' }] },
        { id: 12, type: 'timeseries', title: 'Mixed with a deleted data source', gridPos: grid(0, 29), datasource: { type: 'datasource', uid: '-- Mixed --' },
          targets: [{ refId: 'A', datasource: promDs, expr: 'up', legendFormat: '{{instance}}' }, { refId: 'B', datasource: { type: 'loki', uid: 'gone-loki' }, expr: '{job="x"}' }] },
      ],
    },
  };
  const infra: SimDashboard = {
    folderUid: null, folderTitle: null,
    dashboard: {
      id: 12, uid: 'infra-nodes', title: 'Infrastructure Nodes', tags: ['infra', 'linux'], schemaVersion: 39, version: 2,
      templating: { list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', current: { text: 'Prometheus', value: 'Prometheus' } },
        { name: 'job', type: 'query', current: { text: 'node', value: 'node' } },
        { name: 'instance', type: 'query', includeAll: true, current: { text: ['web-1:9100', 'web-2:9100'], value: ['web-1:9100', 'web-2:9100'] } },
      ] },
      panels: [
        { id: 1, type: 'timeseries', title: 'Load', gridPos: grid(0, 0), datasource: { type: 'prometheus', uid: '${datasource}' },
          targets: [{ refId: 'A', datasource: { type: 'prometheus', uid: '${datasource}' }, expr: 'node_load1{job="$job", instance=~"${instance:regex}"}', legendFormat: '{{instance}}', interval: '$__interval' }] },
      ],
    },
  };
  const security: SimDashboard = {
    folderUid: 'fe1sec000', folderTitle: 'Security',
    dashboard: { id: 13, uid: 'sec-events', title: 'Security Events', tags: ['security'], schemaVersion: 39, version: 1, panels: [] },
  };
  const at = (iso: string) => iso;
  const alert = (fingerprint: string, labels: Record<string, string>, annotations: Record<string, string>, startsAt: string, state: AmAlert['status'] = { state: 'active', silencedBy: [], inhibitedBy: [] }): AmAlert => ({
    labels, annotations, startsAt, endsAt: '2099-01-01T00:00:00Z', updatedAt: startsAt, fingerprint, receivers: [{ name: 'oncall' }], status: state,
    generatorURL: `http://grafana.local/alerting/grafana/${labels.__alert_rule_uid__ ?? 'x'}/view`,
  });
  const alerts: AmAlert[] = [
    alert('6f1c2b9a0d3e4f58', { alertname: 'HighCPU', severity: 'critical', grafana_folder: 'Production', instance: 'web-1:9100', __alert_rule_uid__: 'ddlr5x0a' },
      { summary: 'CPU above 90% for 5 minutes', description: 'web-1 CPU is at 97%' }, at('2024-05-01T10:00:00.000Z')),
    alert('0b7e1d44c2a9f310', { alertname: 'DiskFilling', severity: 'warning', grafana_folder: 'Infrastructure', host: 'db-1' },
      { summary: 'Disk 85% full' }, at('2024-05-01T11:30:00Z')),
    alert('91aa03cc7e5d2b64', { alertname: 'BackupLate', severity: 'low' }, {}, at('2024-05-02T02:00:00Z')),
    alert('5d0c93e1b7f2a8c6', { alertname: 'NoSeverityLabel', grafana_folder: 'Misc' }, { description: 'fires without a severity label' }, at('2024-05-03T08:00:00Z')),
    // Silenced: only an `active=true&silenced=true` query returns it.
    alert('c3e8f0a1b2d4e6f7', { alertname: 'CertExpiry', severity: 'high', grafana_folder: 'Security' }, { summary: 'Certificate expires in 7 days' },
      at('2024-05-01T09:00:00Z'), { state: 'suppressed', silencedBy: ['6a1d-silence'], inhibitedBy: [] }),
  ];
  return {
    health: { database: 'ok', version: '11.2.0', commit: '2a88694fd3' },
    tokens: new Map(),
    dashboards: [overview, infra, security],
    datasources,
    alerts,
  };
}

/** `count` generated dashboards (for paging), titled "Generated 0001" …, in folder "Generated". */
export function generatedDashboards(count: number, startId = 1000): SimDashboard[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return { folderUid: 'fe1gen000', folderTitle: 'Generated', dashboard: { id: startId + i, uid: `gen-${n}`, title: `Generated ${n}`, tags: i % 2 === 0 ? ['even'] : [], panels: [] } };
  });
}

const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function grafanaError(status: number, message: string, messageId?: string): Record<string, unknown> {
  return messageId ? { message, messageId, statusCode: status, traceID: '' } : { message, traceID: '' };
}

/** The values the simulator returns, so tests can compute the expected points. */
export const simValues = {
  /** Prometheus-type series k (0-based, sorted by instance) at point i. */
  prometheus: (k: number, i: number) => k * 100 + i,
  /** TestData random walk at point i: i × 10, every fifth point null. */
  testdata: (i: number) => (i % 5 === 4 ? null : i * 10),
};

/** The point times for a query: aligned to the step, from..to inclusive, at most maxDataPoints. */
export function pointTimes(from: number, to: number, intervalMs: number, maxDataPoints: number): number[] {
  const step = Math.max(intervalMs, Math.ceil((to - from) / maxDataPoints));
  const times: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to && times.length < maxDataPoints; t += step) times.push(t);
  return times;
}

const INSTANCES = ['web-1:9100', 'web-2:9100'];

/** A tiny PromQL "parser": unbalanced brackets are a parse error, like Prometheus's. */
function promParseError(expr: string): string | undefined {
  let depth = 0;
  for (const [i, ch] of [...expr].entries()) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (depth < 0) return `1:${i + 1}: parse error: unexpected right parenthesis ')'`;
  }
  if (expr.trim() === '') return '1:1: parse error: no expression found in input';
  if (depth > 0) return `1:${expr.length + 1}: parse error: unclosed left parenthesis`;
  return undefined;
}

function legend(format: string | undefined, labels: Record<string, string>): string | undefined {
  if (format === undefined || format === '' || format === '__auto') return undefined;
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

function runQuery(query: any, ds: SimDatasource | 'grafana', from: number, to: number): { frames: unknown[] } | { error: string; status: number; errorSource: string } {
  const intervalMs = typeof query.intervalMs === 'number' ? query.intervalMs : 1000;
  const maxDataPoints = typeof query.maxDataPoints === 'number' ? query.maxDataPoints : 100;
  const times = pointTimes(from, to, intervalMs, maxDataPoints);
  const refId = query.refId ?? 'A';
  const type = ds === 'grafana' ? 'grafana' : ds.type;
  if (type === 'prometheus') {
    const expr = String(query.expr ?? '');
    const parseError = promParseError(expr);
    if (parseError) return { error: `bad_data: invalid parameter "query": ${parseError}`, status: 400, errorSource: 'downstream' };
    const bare = /^[a-zA-Z_:][\w:]*$/.test(expr);
    const frames = INSTANCES.map((instance, k) => {
      const labels: Record<string, string> = { ...(bare ? { __name__: expr } : {}), instance, job: 'node' };
      const display = legend(query.legendFormat, labels);
      return {
        schema: {
          refId, name: '',
          meta: { type: 'timeseries-multi', typeVersion: [0, 1], custom: { resultType: 'matrix' }, executedQueryString: `Expr: ${expr}\nStep: ${Math.round(times.length > 1 ? (times[1]! - times[0]!) / 1000 : 1)}s` },
          fields: [
            { name: 'Time', type: 'time', typeInfo: { frame: 'time.Time' }, config: { interval: intervalMs } },
            { name: 'Value', type: 'number', typeInfo: { frame: 'float64' }, labels, config: display !== undefined ? { displayNameFromDS: display } : {} },
          ],
        },
        data: { values: [times, times.map((_, i) => simValues.prometheus(k, i))] },
      };
    });
    return { frames };
  }
  if (type === 'grafana-testdata-datasource' || type === 'grafana') {
    return { frames: [{
      schema: { refId, name: query.alias || `${refId}-series`, fields: [
        { name: 'time', type: 'time', typeInfo: { frame: 'time.Time' } },
        { name: `${refId}-series`, type: 'number', typeInfo: { frame: 'float64', nullable: true } },
      ] },
      data: { values: [times, times.map((_, i) => simValues.testdata(i))] },
    }] };
  }
  // A data source whose backend is down (Loki in the default data).
  return { error: `Get "${ds === 'grafana' ? '' : ds.url}/loki/api/v1/query_range": dial tcp 10.0.0.7:3100: connect: connection refused`, status: 500, errorSource: 'downstream' };
}

/** from/to of /api/ds/query: epoch ms as a string, or now[-Nunit]. */
function parseTime(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const relative = /^now(?:-(\d+)([smhd]))?$/.exec(value);
  if (!relative) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'] ?? 0;
  return now - Number(relative[1] ?? 0) * unit;
}

function boolParam(req: SimRequest, name: string): boolean {
  const value = req.query.get(name);
  return value === null ? true : value !== 'false';
}

export interface GrafanaSimulator extends Simulator {
  data: GrafanaData;
  /** A valid Admin token (datasources:read). */
  token: string;
  /** A valid Viewer token (no datasources:read). */
  viewerToken: string;
}

export async function startGrafanaSimulator(options: { data?: GrafanaData } = {}): Promise<GrafanaSimulator> {
  const data = options.data ?? defaultGrafanaData();
  const token = makeToken();
  const viewerToken = makeToken();
  data.tokens.set(token, 'Admin');
  data.tokens.set(viewerToken, 'Viewer');

  const handler = (req: SimRequest, res: ServerResponse) => {
    if (req.method === 'GET' && req.path === '/api/health') {
      const { database, version, commit } = data.health;
      return database === 'ok' ? sendJson(res, 200, { commit, database, version }) : sendJson(res, 503, { database: 'failing' });
    }
    if (!req.path.startsWith('/api/')) return sendJson(res, 404, grafanaError(404, 'Not found'));

    // Service-account tokens (Bearer). No header → Unauthorized; an unknown token → api-key.invalid.
    const auth = req.headers.authorization;
    if (auth === undefined) return sendJson(res, 401, { extra: null, message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401, traceID: '' });
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    const role = match ? data.tokens.get(match[1]!) : undefined;
    if (role === undefined) return sendJson(res, 401, grafanaError(401, 'Invalid API key', 'api-key.invalid'));

    if (req.method === 'GET' && req.path === '/api/search') return search(req, res);

    let m = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const found = data.dashboards.find((d) => d.dashboard.uid === decodeURIComponent(m![1]!));
      if (!found) return sendJson(res, 404, grafanaError(404, 'Dashboard not found', 'dashboards.dashboard-not-found'));
      const { dashboard } = found;
      return sendJson(res, 200, {
        dashboard,
        meta: {
          type: 'db', canSave: role !== 'Viewer', canEdit: role !== 'Viewer', canAdmin: role === 'Admin', canStar: true, canDelete: role !== 'Viewer', slug: slug(dashboard.title),
          url: `/d/${dashboard.uid}/${slug(dashboard.title)}`, expires: '0001-01-01T00:00:00Z', created: '2024-01-10T09:00:00Z', updated: '2024-04-20T12:00:00Z',
          updatedBy: 'admin', createdBy: 'admin', version: dashboard.version ?? 1, hasAcl: false, isFolder: false, folderId: found.folderUid ? 2 : 0,
          folderUid: found.folderUid ?? '', folderTitle: found.folderTitle ?? 'General', folderUrl: found.folderUid ? `/dashboards/f/${found.folderUid}/` : '',
          provisioned: false, provisionedExternalId: '', isStarred: found.starred === true,
        },
      });
    }

    if (req.method === 'GET' && req.path === '/api/datasources') {
      if (role !== 'Admin') {
        return sendJson(res, 403, { accessErrorId: 'ACE0123456789', message: 'You\'ll need additional permissions to perform this action. Permissions needed: datasources:read', title: 'Access denied' });
      }
      return sendJson(res, 200, data.datasources.map(({ health: _health, ...ds }) => ({
        ...ds, orgId: 1, typeLogoUrl: `public/app/plugins/datasource/${ds.type}/img/logo.svg`, access: 'proxy', user: '', database: '', basicAuth: false, readOnly: false, jsonData: {},
      })));
    }
    m = /^\/api\/datasources\/name\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const ds = data.datasources.find((d) => d.name === decodeURIComponent(m![1]!));
      if (!ds) return sendJson(res, 404, grafanaError(404, 'Data source not found'));
      const { health: _health, ...rest } = ds;
      return sendJson(res, 200, { ...rest, orgId: 1, access: 'proxy', basicAuth: false, withCredentials: false, jsonData: {}, secureJsonFields: {}, version: 1, readOnly: false });
    }
    m = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const ds = data.datasources.find((d) => d.uid === decodeURIComponent(m![1]!));
      if (!ds) return sendJson(res, 404, grafanaError(404, 'Data source not found'));
      if (ds.health === 'not_implemented') return sendJson(res, 404, grafanaError(404, 'Health check not implemented'));
      return sendJson(res, ds.health.status === 'OK' ? 200 : 400, { message: ds.health.message, status: ds.health.status });
    }

    if (req.method === 'POST' && req.path === '/api/ds/query') return dsQuery(req, res);

    if (req.method === 'GET' && req.path === '/api/alertmanager/grafana/api/v2/alerts') {
      const active = boolParam(req, 'active');
      const silenced = boolParam(req, 'silenced');
      const inhibited = boolParam(req, 'inhibited');
      const unprocessed = boolParam(req, 'unprocessed');
      const matchers = req.query.getAll('filter').map((f) => /^(\w+)(=|!=)"?([^"]*)"?$/.exec(f)).filter((x) => x !== null);
      return sendJson(res, 200, data.alerts.filter((a) => {
        const s = a.status;
        if (s.state === 'active' && !active) return false;
        if (s.state === 'unprocessed' && !unprocessed) return false;
        if (s.state === 'suppressed' && s.silencedBy.length > 0 && !silenced) return false;
        if (s.state === 'suppressed' && s.inhibitedBy.length > 0 && !inhibited) return false;
        return matchers.every(([, name, op, value]) => (op === '=' ? a.labels[name!] === value : a.labels[name!] !== value));
      }));
    }

    return sendJson(res, 404, grafanaError(404, 'Not found'));
  };

  function search(req: SimRequest, res: ServerResponse) {
    const limitRaw = req.query.get('limit');
    const pageRaw = req.query.get('page');
    const limit = limitRaw === null ? 1000 : Number(limitRaw);
    const page = pageRaw === null ? 1 : Number(pageRaw);
    if (!Number.isInteger(limit) || !Number.isInteger(page)) return sendJson(res, 400, grafanaError(400, 'bad request data'));
    if (limit > 5000) return sendJson(res, 422, grafanaError(422, 'Limit is above maximum allowed (5000), use page param to fetch more results'));
    const effectiveLimit = limit <= 0 ? 1000 : limit;
    const effectivePage = page <= 0 ? 1 : page;
    const type = req.query.get('type');
    const text = (req.query.get('query') ?? '').toLowerCase();
    const tags = req.query.getAll('tag');
    const uids = req.query.getAll('dashboardUIDs');
    const folders = req.query.getAll('folderUIDs');
    const starred = req.query.get('starred') === 'true';

    const dashboardHits = data.dashboards
      .filter((d) => d.dashboard.title.toLowerCase().includes(text))
      .filter((d) => tags.every((t) => d.dashboard.tags.includes(t)))
      .filter((d) => uids.length === 0 || uids.includes(d.dashboard.uid))
      .filter((d) => folders.length === 0 || folders.includes(d.folderUid ?? 'general'))
      .filter((d) => !starred || d.starred === true)
      .map((d) => ({
        id: d.dashboard.id, uid: d.dashboard.uid, title: d.dashboard.title, uri: `db/${slug(d.dashboard.title)}`, url: `/d/${d.dashboard.uid}/${slug(d.dashboard.title)}`,
        slug: '', type: 'dash-db', tags: d.dashboard.tags, isStarred: d.starred === true, sortMeta: 0,
        ...(d.folderUid ? { folderId: 2, folderUid: d.folderUid, folderTitle: d.folderTitle, folderUrl: `/dashboards/f/${d.folderUid}/` } : {}),
      }));
    const folderHits = [...new Map(data.dashboards.filter((d) => d.folderUid).map((d) => [d.folderUid!, d.folderTitle!])).entries()]
      .filter(([, title]) => title.toLowerCase().includes(text) && tags.length === 0)
      .map(([uid, title], i) => ({ id: 100 + i, uid, title, uri: `db/${slug(title)}`, url: `/dashboards/f/${uid}/${slug(title)}`, slug: '', type: 'dash-folder', tags: [], isStarred: false, sortMeta: 0 }));
    const byTitle = (a: { title: string; uid: string }, b: { title: string; uid: string }) => a.title.localeCompare(b.title) || a.uid.localeCompare(b.uid);
    const hits = type === 'dash-db' ? dashboardHits.sort(byTitle)
      : type === 'dash-folder' ? folderHits.sort(byTitle)
        : [...folderHits.sort(byTitle), ...dashboardHits.sort(byTitle)];
    const start = (effectivePage - 1) * effectiveLimit;
    return sendJson(res, 200, hits.slice(start, start + effectiveLimit));
  }

  function dsQuery(req: SimRequest, res: ServerResponse) {
    let body: any;
    try {
      body = JSON.parse(req.body);
    } catch {
      return sendJson(res, 400, grafanaError(400, 'bad request data'));
    }
    const now = Date.now();
    const from = parseTime(body?.from, now);
    const to = parseTime(body?.to, now);
    if (!Array.isArray(body?.queries) || body.queries.length === 0) return sendJson(res, 400, grafanaError(400, 'No queries found', 'query.noQueries'));
    if (from === undefined || to === undefined) return sendJson(res, 400, grafanaError(400, 'bad request data'));
    // Every query's data source must exist, or the whole request fails (Grafana: 404 Data source not found).
    const resolved: (SimDatasource | 'grafana')[] = [];
    for (const query of body.queries) {
      const uid = typeof query?.datasource === 'string' ? query.datasource : query?.datasource?.uid;
      if (typeof uid !== 'string' || uid === '') return sendJson(res, 400, grafanaError(400, 'Query missing data source info', 'query.invalidDatasourceId'));
      if (uid === 'grafana') {
        resolved.push('grafana');
        continue;
      }
      const ds = data.datasources.find((d) => d.uid === uid);
      if (!ds) return sendJson(res, 404, grafanaError(404, 'Data source not found'));
      resolved.push(ds);
    }
    const results: Record<string, unknown> = {};
    let failed = false;
    body.queries.forEach((query: any, index: number) => {
      const refId = query.refId ?? 'A';
      const outcome = runQuery(query, resolved[index]!, from, to);
      if ('error' in outcome) {
        failed = true;
        results[refId] = { error: outcome.error, errorSource: outcome.errorSource, status: outcome.status };
      } else {
        results[refId] = { status: 200, frames: outcome.frames };
      }
    });
    return sendJson(res, failed ? 400 : 200, { results });
  }

  const sim = await startSimulator(handler, {
    rateLimitBody: { text: JSON.stringify(grafanaError(429, 'Too Many Requests')), contentType: 'application/json' },
    errorBody: (status) => ({ text: JSON.stringify(grafanaError(status, status >= 500 ? 'Internal Server Error' : (STATUS_CODES[status] ?? 'Error'), status >= 500 ? 'internal.error' : undefined)), contentType: 'application/json' }),
  });
  return Object.assign(sim, { data, token, viewerToken });
}
