import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definition } from '../../src/modules/integrations/providers/grafana/index.ts';
import type { ProviderContext } from '../../src/modules/integrations/providers/types.ts';
import { startSimulator } from '../simulators/base.ts';
import {
  defaultGrafanaData, generatedDashboards, LOKI_UID, makeToken, PROMETHEUS_UID, startGrafanaSimulator, TESTDATA_UID, type GrafanaSimulator,
} from '../simulators/grafana.ts';
import { providerContext, rejectsWithKind } from '../helpers/providers.ts';

const provider = definition.provider;


const ctxFor = providerContext;
const rejects = rejectsWithKind;

const FROM = 1_700_000_000_000;
const TO = FROM + 5000;
const TIMES = [0, 1, 2, 3, 4, 5].map((i) => FROM + i * 1000);
const promPoints = (k: number) => TIMES.map((t, i) => [t, k * 100 + i]);

describe('Grafana provider', () => {
  let sim: GrafanaSimulator;
  let ctx: ProviderContext;

  before(async () => {
    sim = await startGrafanaSimulator();
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    // Fresh data and no faults for every test.
    const fresh = defaultGrafanaData();
    Object.assign(sim.data, { ...fresh, tokens: sim.data.tokens });
    for (const key of Object.keys(sim.faults)) delete (sim.faults as Record<string, unknown>)[key];
    sim.requests.length = 0;
    ctx = ctxFor(sim.url, sim.token);
  });

  describe('check()', () => {
    it('health plus an authenticated call → ok', async () => {
      const result = await provider.check(ctx);
      assert.deepEqual({ ok: result.ok, detail: result.detail }, { ok: true, detail: 'Grafana 11.2.0 reachable, token accepted' });
      assert.deepEqual(sim.requests.map((r) => [r.path, r.headers.authorization ?? null]), [
        ['/api/health', null],
        ['/api/search', `Bearer ${sim.token}`],
      ]);
      assert.match(sim.token, /^glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}$/);
    });

    it('a bad token → ok:false "credentials rejected" with Grafana\'s message, never the token', async () => {
      const bad = makeToken();
      const result = await provider.check(ctxFor(sim.url, bad));
      assert.equal(result.ok, false);
      assert.match(result.detail, /^credentials rejected \(HTTP 401\): .*Invalid API key/);
      assert.equal(result.reason, 'auth');
      assert.ok(!result.detail.includes(bad));
    });

    it('no token → ok:false', async () => {
      const result = await provider.check(ctxFor(sim.url, undefined));
      assert.deepEqual({ ok: result.ok, detail: result.detail, reason: result.reason }, { ok: false, detail: 'no Grafana service-account token is configured', reason: 'config' });
    });

    it('unreachable (closed port) → ok:false', async () => {
      const closed = await startSimulator(() => undefined);
      await closed.close();
      const result = await provider.check(ctxFor(closed.url, sim.token, { maxRetries: 1 }));
      assert.equal(result.ok, false);
      assert.match(result.detail, /^cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      assert.equal(result.reason, 'unreachable');
    });

    it('a failing database still passes the check, with a note', async () => {
      sim.data.health.database = 'failing';
      const result = await provider.check(ctx);
      assert.deepEqual({ ok: result.ok, detail: result.detail }, { ok: true, detail: 'Grafana reachable, token accepted (but its database health check is failing)' });
    });
  });

  describe('fetchStatus()', () => {
    it('database ok, one data source failing → warning; data sources as assets', async () => {
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, 'Grafana 11.2.0: database ok; 1 of 3 data sources failing their health check (Loki)');
      assert.deepEqual(report.assets.map((a) => [a.external_id, a.name, a.kind, a.status, a.detail?.type, a.detail?.health_message]), [
        [PROMETHEUS_UID, 'Prometheus', 'datasource', 'online', 'prometheus', 'Successfully queried the Prometheus API.'],
        [TESTDATA_UID, 'TestData', 'datasource', 'online', 'grafana-testdata-datasource', 'Data source is working'],
        [LOKI_UID, 'Loki', 'datasource', 'offline', 'loki', 'Unable to connect with Loki. Please check the server logs for more details.'],
      ]);
      assert.equal(report.metrics.uptime, null);
      assert.equal(typeof report.metrics.response_time_avg, 'number');
      assert.equal(sim.requests.length, 5);
    });

    it('all healthy → online; a plugin without a health check → unknown, not failing', async () => {
      sim.data.datasources[2]!.health = { status: 'OK', message: 'Data source successfully connected.' };
      sim.data.datasources[1]!.health = 'not_implemented';
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'online');
      assert.equal(report.summary, 'Grafana 11.2.0: database ok; 3 data sources healthy or unchecked');
      assert.deepEqual(report.assets.map((a) => a.status), ['online', 'unknown', 'online']);
    });

    it('database failing (503) → alert', async () => {
      sim.data.health.database = 'failing';
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'alert');
      assert.equal(report.summary, 'Grafana: database health check failing');
    });

    it('a Viewer token (no datasources:read) → online without assets', async () => {
      const report = await provider.fetchStatus(ctxFor(sim.url, sim.viewerToken));
      assert.equal(report.status, 'online');
      assert.deepEqual(report.assets, []);
      assert.equal(report.summary, 'Grafana 11.2.0: database ok (data sources not listed: the token lacks datasources:read)');
    });

    it('a wrong token → ProviderError auth', async () => {
      await rejects(provider.fetchStatus(ctxFor(sim.url, makeToken())), 'auth', /Invalid API key/);
    });
  });

  describe('fetchAlerts()', () => {
    it('firing Grafana-managed alerts, normalised, silenced ones left out', async () => {
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      assert.deepEqual(alerts, [
        {
          external_id: '6f1c2b9a0d3e4f58', title: 'HighCPU: CPU above 90% for 5 minutes', description: 'web-1 CPU is at 97%', severity: 'critical',
          vendor_severity: 'critical', source: 'Production', time: Date.parse('2024-05-01T10:00:00.000Z'), asset: 'web-1:9100',
        },
        {
          external_id: '0b7e1d44c2a9f310', title: 'DiskFilling: Disk 85% full', description: 'Disk 85% full', severity: 'medium',
          vendor_severity: 'warning', source: 'Infrastructure', time: Date.parse('2024-05-01T11:30:00Z'), asset: 'db-1',
        },
        {
          external_id: '91aa03cc7e5d2b64', title: 'BackupLate', description: '', severity: 'low',
          vendor_severity: 'low', source: 'BackupLate', time: Date.parse('2024-05-02T02:00:00Z'), asset: null,
        },
        {
          external_id: '5d0c93e1b7f2a8c6', title: 'NoSeverityLabel', description: 'fires without a severity label', severity: 'medium',
          vendor_severity: '', source: 'Misc', time: Date.parse('2024-05-03T08:00:00Z'), asset: null,
        },
      ]);
      const q = sim.requests[0]!.query;
      assert.deepEqual([sim.requests[0]!.path, q.get('active'), q.get('silenced'), q.get('inhibited')], ['/api/alertmanager/grafana/api/v2/alerts', 'true', 'false', 'false']);
    });

    it('the same alert keeps its id; a resolved alert disappears; a new one appears', async () => {
      const first = await provider.fetchAlerts!(ctx, undefined);
      sim.data.alerts.splice(1, 1);
      sim.data.alerts.push({ ...sim.data.alerts[0]!, fingerprint: 'aaaabbbbccccdddd', labels: { alertname: 'Fresh', severity: 'high' }, annotations: {} });
      const second = await provider.fetchAlerts!(ctx, Date.now());
      assert.deepEqual(second.map((a) => a.external_id), ['6f1c2b9a0d3e4f58', '91aa03cc7e5d2b64', '5d0c93e1b7f2a8c6', 'aaaabbbbccccdddd']);
      assert.deepEqual(second[0], first[0]);
      assert.equal(second[3]!.severity, 'high');
    });

    it('a wrong token → ProviderError auth', async () => {
      await rejects(provider.fetchAlerts!(ctxFor(sim.url, makeToken()), undefined), 'auth');
    });
  });

  describe('listDashboards()', () => {
    it('dashboards with absolute URLs, folders and tags', async () => {
      const list = await provider.listDashboards!(ctx);
      assert.deepEqual(list, [
        { uid: 'infra-nodes', title: 'Infrastructure Nodes', url: `${sim.url}/d/infra-nodes/infrastructure-nodes`, folder: null, tags: ['infra', 'linux'] },
        { uid: 'prod-overview', title: 'Production Overview', url: `${sim.url}/d/prod-overview/production-overview`, folder: 'Production', tags: ['prod', 'web'] },
        { uid: 'sec-events', title: 'Security Events', url: `${sim.url}/d/sec-events/security-events`, folder: 'Security', tags: ['security'] },
      ]);
      const q = sim.requests[0]!.query;
      assert.deepEqual([q.get('type'), q.get('limit'), q.get('page')], ['dash-db', '1000', '1']);
    });

    it('pages until a short page (2 348 dashboards → pages 1, 2, 3)', async () => {
      sim.data.dashboards.push(...generatedDashboards(2345));
      const list = await provider.listDashboards!(ctx);
      assert.equal(list.length, 2348);
      assert.equal(new Set(list.map((d) => d.uid)).size, 2348);
      assert.deepEqual(sim.requests.map((r) => r.query.get('page')), ['1', '2', '3']);
      assert.equal(list[0]!.uid, 'gen-0001');
      assert.equal(list.at(-1)!.uid, 'sec-events');
    });

    it('an exact multiple of the page size ends on an empty page', async () => {
      sim.data.dashboards = generatedDashboards(2000);
      const list = await provider.listDashboards!(ctx);
      assert.equal(list.length, 2000);
      assert.deepEqual(sim.requests.map((r) => r.query.get('page')), ['1', '2', '3']);
    });

    it('the simulator enforces Grafana\'s limit maximum (5000)', async () => {
      const response = await fetch(`${sim.url}/api/search?type=dash-db&limit=5001`, { headers: { authorization: `Bearer ${sim.token}` } });
      assert.equal(response.status, 422);
      assert.match((await response.json() as { message: string }).message, /Limit is above maximum allowed \(5000\)/);
    });

    it('429 with Retry-After is retried and succeeds', async () => {
      sim.faults.rateLimit = { count: 2, retryAfterSeconds: 0.1 };
      const started = Date.now();
      const list = await provider.listDashboards!(ctx);
      assert.equal(list.length, 3);
      assert.ok(Date.now() - started >= 190);
      assert.equal(sim.requests.length, 3);
    });

    it('502 is retried then succeeds; a persistent 500 → vendor_error', async () => {
      sim.faults.status = { code: 502, count: 2 };
      assert.equal((await provider.listDashboards!(ctx)).length, 3);
      sim.faults.status = { code: 500, count: 100 };
      await rejects(provider.listDashboards!(ctx), 'vendor_error', /HTTP 500.*Internal Server Error/);
      sim.faults.status = { code: 503, count: 100 };
      await rejects(provider.listDashboards!(ctxFor(sim.url, sim.token, { maxRetries: 2 })), 'vendor_error', /HTTP 503/);
    });

    it('bad JSON → bad_response', async () => {
      sim.faults.badJson = { count: 1 };
      await rejects(provider.listDashboards!(ctx), 'bad_response', /not JSON/);
    });

    it('a slow Grafana → timeout', async () => {
      sim.faults.latencyMs = 400;
      await rejects(provider.listDashboards!(ctxFor(sim.url, sim.token, { timeoutMs: 100, maxRetries: 0 })), 'timeout');
    });

    it('a wrong token → auth', async () => {
      await rejects(provider.listDashboards!(ctxFor(sim.url, makeToken())), 'auth');
    });
  });

  describe('getDashboard()', () => {
    it('flattens panels (collapsed rows\' children), maps null/legacy/object data sources', async () => {
      const detail = await provider.getDashboard!(ctx, 'prod-overview');
      assert.equal(detail.uid, 'prod-overview');
      assert.equal(detail.title, 'Production Overview');
      assert.deepEqual(detail.tags, ['prod', 'web']);
      assert.deepEqual(detail.panels.map((p) => [p.id, p.type, p.title]), [
        [1, 'timeseries', 'Request rate'], [2, 'stat', 'Targets up'], [3, 'text', 'Runbook'], [5, 'timeseries', 'Latency p90'], [6, 'timeseries', 'Random walk'],
        [8, 'graph', 'Load (legacy)'], [9, 'timeseries', 'Deleted data source'], [10, 'timeseries', 'Everything broken'], [11, 'timeseries', 'Mixed'],
        [12, 'timeseries', 'Mixed with a deleted data source'],
      ]);
      const byId = new Map(detail.panels.map((p) => [p.id, p]));
      assert.deepEqual(byId.get(1)!.datasource, { type: 'prometheus', uid: PROMETHEUS_UID });
      assert.equal(byId.get(2)!.datasource, null);
      assert.equal(byId.get(8)!.datasource, null, 'a legacy name is not a {type, uid}');
      assert.deepEqual(byId.get(3)!.targets, []);
      assert.equal(byId.get(5)!.targets.length, 3);
      assert.equal(byId.get(5)!.targets[0]!.expr, 'histogram_quantile(0.9, sum by (le, instance) (rate(http_request_duration_seconds_bucket[5m])))');
    });

    it('a pre-5.0 dashboard with `rows` is flattened too', async () => {
      sim.data.dashboards.push({ folderUid: null, folderTitle: null, dashboard: { id: 99, uid: 'old', title: 'Old', tags: [], rows: [{ title: 'r', panels: [{ id: 1, type: 'graph', title: 'g', datasource: null, targets: [] }] }] } });
      const detail = await provider.getDashboard!(ctx, 'old');
      assert.deepEqual(detail.panels, [{ id: 1, type: 'graph', title: 'g', datasource: null, targets: [] }]);
    });

    it('an unknown uid → not_found', async () => {
      await rejects(provider.getDashboard!(ctx, 'nope'), 'not_found', /no dashboard with uid "nope"/);
    });
  });

  describe('fetchPanelData()', () => {
    const lastQuery = () => JSON.parse(sim.requests.filter((r) => r.path === '/api/ds/query').at(-1)!.body);

    it('runs the panel\'s targets and turns frames into series (legend names, labels, exact points)', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 1, FROM, TO);
      assert.deepEqual(series, [
        { refId: 'A', name: 'web-1:9100', labels: { instance: 'web-1:9100', job: 'node' }, points: promPoints(0) },
        { refId: 'A', name: 'web-2:9100', labels: { instance: 'web-2:9100', job: 'node' }, points: promPoints(1) },
      ]);
      const body = lastQuery();
      assert.equal(body.from, String(FROM));
      assert.equal(body.to, String(TO));
      assert.deepEqual(body.queries, [{
        refId: 'A', datasource: { type: 'prometheus', uid: PROMETHEUS_UID }, expr: 'sum by (instance) (rate(http_requests_total[5m]))', legendFormat: '{{instance}}',
        range: true, maxDataPoints: 500, intervalMs: 1000,
      }]);
    });

    it('a panel with a null datasource uses its targets\' own; without a legend the name comes from the labels', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 2, FROM, TO);
      assert.deepEqual(series.map((s) => [s.name, s.labels]), [
        ['up{instance="web-1:9100", job="node"}', { __name__: 'up', instance: 'web-1:9100', job: 'node' }],
        ['up{instance="web-2:9100", job="node"}', { __name__: 'up', instance: 'web-2:9100', job: 'node' }],
      ]);
    });

    it('a panel inside a collapsed row: a failed refId is skipped, hidden targets are not run', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 5, FROM, TO);
      assert.deepEqual(series.map((s) => [s.refId, s.name]), [['A', 'p90 web-1:9100'], ['A', 'p90 web-2:9100']]);
      assert.deepEqual(lastQuery().queries.map((q: { refId: string }) => q.refId), ['A', 'B']);
      assert.equal(sim.requests.at(-1)!.path, '/api/ds/query');
    });

    it('a wide frame: the frame name, nulls kept as null', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 6, FROM, TO);
      assert.deepEqual(series, [{ refId: 'A', name: 'walk', labels: {}, points: TIMES.map((t, i) => [t, i === 4 ? null : i * 10]) }]);
      assert.deepEqual(lastQuery().queries[0].datasource, { type: 'grafana-testdata-datasource', uid: TESTDATA_UID });
    });

    it('a legacy data source name is resolved to its uid', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 8, FROM, TO);
      assert.deepEqual(series.map((s) => s.name), ['web-1:9100', 'web-2:9100']);
      assert.ok(sim.requests.some((r) => r.path === '/api/datasources/name/Prometheus'));
      assert.deepEqual(lastQuery().queries[0].datasource, { type: 'prometheus', uid: PROMETHEUS_UID });
    });

    it('dashboard variables are interpolated (data source variable by name, multi-value as a regex)', async () => {
      const series = await provider.fetchPanelData!(ctx, 'infra-nodes', 1, FROM, TO);
      assert.equal(series.length, 2);
      const query = lastQuery().queries[0];
      assert.deepEqual(query.datasource, { type: 'prometheus', uid: PROMETHEUS_UID });
      assert.equal(query.expr, 'node_load1{job="node", instance=~"(web-1:9100|web-2:9100)"}');
      assert.equal(query.interval, '$__interval', 'Grafana\'s own macros are left for Grafana');
    });

    it('a mixed panel runs each target on its data source', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 11, FROM, TO);
      assert.deepEqual(series.map((s) => [s.refId, s.name]), [['A', 'web-1:9100'], ['A', 'web-2:9100'], ['B', 'B-series']]);
    });

    it('a deleted data source in a mixed panel: the other data source still answers', async () => {
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 12, FROM, TO);
      assert.deepEqual(series.map((s) => [s.refId, s.name]), [['A', 'web-1:9100'], ['A', 'web-2:9100']]);
    });

    it('a panel whose only data source was deleted → bad_response', async () => {
      await rejects(provider.fetchPanelData!(ctx, 'prod-overview', 9, FROM, TO), 'bad_response', /uses a data source that Grafana does not have \("deleted-ds"\)/);
    });

    it('every refId failing (HTTP 400) → bad_response with the errors', async () => {
      const error = await rejects(provider.fetchPanelData!(ctx, 'prod-overview', 10, FROM, TO), 'bad_response',
        /^every query of panel 10 failed: A: bad_data: invalid parameter "query": .*unclosed left parenthesis; B: bad_data/);
      assert.equal(error.status, 400);
    });

    it('a panel without targets → no series and no query', async () => {
      assert.deepEqual(await provider.fetchPanelData!(ctx, 'prod-overview', 3, FROM, TO), []);
      assert.ok(!sim.requests.some((r) => r.path === '/api/ds/query'));
    });

    it('an unknown panel or dashboard → not_found', async () => {
      await rejects(provider.fetchPanelData!(ctx, 'prod-overview', 4, FROM, TO), 'not_found', /has no panel 4/);
      await rejects(provider.fetchPanelData!(ctx, 'prod-overview', 99, FROM, TO), 'not_found', /has no panel 99/);
      await rejects(provider.fetchPanelData!(ctx, 'nope', 1, FROM, TO), 'not_found');
    });

    it('the data follows the time range (values derived from from/to)', async () => {
      const from = FROM + 60_000;
      const series = await provider.fetchPanelData!(ctx, 'prod-overview', 1, from, from + 2000);
      assert.deepEqual(series[0]!.points, [[from, 0], [from + 1000, 1], [from + 2000, 2]]);
      const wide = await provider.fetchPanelData!(ctx, 'prod-overview', 1, FROM, FROM + 3_600_000);
      assert.equal(wide[0]!.points.length, 500, 'maxDataPoints bounds a long range');
      assert.equal(lastQuery().queries[0].intervalMs, 7200);
    });

    it('a 502 on /api/ds/query is retried (the POST is a read)', async () => {
      sim.faults.status = { code: 502, count: 1 };
      sim.faults.pathPrefix = '/api/ds/query';
      assert.equal((await provider.fetchPanelData!(ctx, 'prod-overview', 1, FROM, TO)).length, 2);
    });
  });
});
