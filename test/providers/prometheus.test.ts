import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definition } from '../../src/modules/integrations/providers/prometheus/index.ts';
import { alertSeverity, labelsHash } from '../../src/modules/integrations/providers/prometheus/labels.ts';
import type { ProviderContext } from '../../src/modules/integrations/providers/types.ts';
import { prometheusUnavailable, startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.ts';
import { sendJson, startSimulator, type Simulator } from '../simulators/base.ts';
import { providerContext, rejectsWithKind } from '../helpers/providers.ts';

const provider = definition.provider;


const ctxFor = (url: string, secret?: string, options: { timeoutMs?: number; maxRetries?: number } = {}) => providerContext(url, secret, options);
const rejects = rejectsWithKind;

const skipReason = prometheusUnavailable();
if (skipReason !== undefined) console.warn(`SKIPPING the real Prometheus tests: ${skipReason}`);

describe('Prometheus provider against a real Prometheus server', () => {
  if (skipReason !== undefined) {
    it('needs the prometheus binary', { skip: skipReason }, () => undefined);
    return;
  }
  let prom: PrometheusServer;
  let ctx: ProviderContext;

  before(async () => {
    prom = await startPrometheus();
    ctx = ctxFor(prom.url);
  });
  after(async () => {
    await prom?.stop();
  });

  it('check() reaches the server and runs a query', async () => {
    const result = await provider.check(ctx);
    assert.equal(result.ok, true, result.detail);
    assert.match(result.detail, /^Prometheus 2\.\d+\.\d+.* reachable; the query API answered \(2 series for "up"\)$/);
    assert.ok(result.latency_ms >= 0);
  });

  it('fetchStatus(): one target up, one down → warning, with uptime and latency', async () => {
    const report = await provider.fetchStatus(ctx);
    assert.equal(report.status, 'warning');
    assert.equal(report.summary, `1 of 2 scrape targets down (broken (127.0.0.1:${prom.brokenPort}))`);
    const byJob = new Map(report.assets.map((a) => [a.detail?.job, a]));
    const self = byJob.get('prometheus')!;
    const broken = byJob.get('broken')!;
    assert.deepEqual({ id: self.external_id, name: self.name, kind: self.kind, status: self.status },
      { id: `http://127.0.0.1:${prom.port}/metrics`, name: `prometheus (127.0.0.1:${prom.port})`, kind: 'target', status: 'online' });
    assert.deepEqual({ id: broken.external_id, name: broken.name, status: broken.status },
      { id: `http://127.0.0.1:${prom.brokenPort}/metrics`, name: `broken (127.0.0.1:${prom.brokenPort})`, status: 'offline' });
    assert.match(String(broken.detail?.last_error), /connection refused/);
    assert.equal(typeof report.metrics.uptime, 'number');
    assert.ok(report.metrics.uptime! >= 0 && report.metrics.uptime! < 120);
    assert.equal(typeof report.metrics.response_time_avg, 'number');
  });

  it('fetchAlerts(): only the firing alert, with mapped severity and a stable id', async () => {
    const alerts = await provider.fetchAlerts!(ctx, undefined);
    assert.equal(alerts.length, 1, 'the pending NeverFiresYet alert is left out');
    const [alert] = alerts;
    assert.equal(alert!.external_id, labelsHash({ alertname: 'AlwaysFiring', severity: 'critical', team: 'ops' }));
    assert.deepEqual({ ...alert, time: undefined, external_id: undefined }, {
      external_id: undefined,
      title: 'AlwaysFiring: The test alert is always firing',
      description: 'vector(1) is always 1',
      severity: 'critical',
      vendor_severity: 'critical',
      source: 'AlwaysFiring',
      time: undefined,
      asset: null,
    });
    assert.ok(alert!.time! > Date.now() - 120_000 && alert!.time! <= Date.now());
    const again = await provider.fetchAlerts!(ctx, Date.now());
    assert.equal(again[0]!.external_id, alert!.external_id);
    assert.equal(again[0]!.time, alert!.time);
  });

  it('query(): a range query of up returns one series per target with points in ms', async () => {
    const to = Date.now();
    const from = to - 60_000;
    const series = await provider.query!(ctx, 'up', from, to, 1);
    assert.equal(series.length, 2);
    const byJob = new Map(series.map((s) => [s.labels.job, s]));
    const self = byJob.get('prometheus')!;
    const broken = byJob.get('broken')!;
    assert.equal(self.name, 'up');
    assert.equal(self.refId, 'A');
    assert.deepEqual(self.labels, { instance: `127.0.0.1:${prom.port}`, job: 'prometheus' });
    assert.ok(self.points.length >= 2, `points: ${self.points.length}`);
    for (const [t, v] of self.points) {
      assert.ok(Number.isInteger(t) && t >= from - 1000 && t <= to + 1000, `time ${t}`);
      assert.equal(v, 1);
    }
    assert.ok(broken.points.every(([, v]) => v === 0));
  });

  it('query(): an expression without a metric name is named after the expression; NaN → null', async () => {
    const to = Date.now();
    const series = await provider.query!(ctx, 'sum(up) / 0 * 0', to - 5000, to, 1);
    assert.equal(series.length, 1);
    assert.equal(series[0]!.name, 'sum(up) / 0 * 0');
    assert.deepEqual(series[0]!.labels, {});
    assert.ok(series[0]!.points.length > 0);
    assert.ok(series[0]!.points.every(([, v]) => v === null), 'Inf * 0 = NaN → null');
  });

  it('query(): bad PromQL → ProviderError bad_response with the parser error', async () => {
    const error = await rejects(provider.query!(ctx, 'sum(rate(up[5m]', Date.now() - 60_000, Date.now(), 15), 'bad_response', /bad_data.*parse error/);
    assert.equal(error.status, 400);
  });

  it('query(): too many points → bad_response with Prometheus\'s reason', async () => {
    await rejects(provider.query!(ctx, 'up', Date.now() - 86_400_000, Date.now(), 1), 'bad_response', /exceeded maximum resolution/);
  });
});

/** A stand-in for a Prometheus behind an authenticating proxy (the real server has no bearer auth). */
async function startProxyLike(token: string): Promise<Simulator> {
  return startSimulator((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      return void res.end('Unauthorized\n');
    }
    if (req.path === '/api/v1/status/buildinfo') return sendJson(res, 200, { status: 'success', data: { version: '2.53.0', revision: 'x', branch: 'HEAD' } });
    if (req.path === '/api/v1/query') return sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'node', instance: 'a:9100' }, value: [1700000000, '1'] }] } });
    if (req.path === '/api/v1/status/runtimeinfo') return sendJson(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
    if (req.path === '/api/v1/targets') {
      return sendJson(res, 200, { status: 'success', data: { activeTargets: [
        { labels: { job: 'node', instance: 'a:9100' }, scrapePool: 'node', scrapeUrl: 'http://a:9100/metrics', health: 'down', lastError: 'timeout' },
        { labels: { job: 'node', instance: 'b:9100' }, scrapePool: 'node', scrapeUrl: 'http://b:9100/metrics', health: 'down', lastError: 'timeout' },
      ], droppedTargets: [] } });
    }
    if (req.path === '/api/v1/alerts') {
      return sendJson(res, 200, { status: 'success', data: { alerts: [
        { labels: { alertname: 'DiskFull', severity: 'warning', instance: 'a:9100' }, annotations: {}, state: 'firing', activeAt: '2024-05-01T10:00:00.123Z', value: '9.5e+01' },
        { labels: { severity: 'PAGE', alertname: 'Down', instance: 'b:9100' }, annotations: { summary: 'b is down', description: 'b has been down for 5m' }, state: 'firing', activeAt: '2024-05-01T11:00:00Z', value: '0e+00' },
        { labels: { alertname: 'NoSeverity' }, annotations: {}, state: 'firing', activeAt: '2024-05-01T12:00:00Z', value: '1e+00' },
        { labels: { alertname: 'Soon', severity: 'critical' }, annotations: {}, state: 'pending', activeAt: '2024-05-01T12:00:00Z', value: '1e+00' },
      ] } });
    }
    if (req.path === '/api/v1/query_range') {
      const start = Number(req.query.get('start'));
      return sendJson(res, 200, { status: 'success', data: { resultType: 'matrix', result: [
        { metric: { job: 'node' }, values: [[start, '1.5'], [start + 15, 'NaN'], [start + 30, '+Inf'], [start + 45, '-Inf'], [start + 60, '2e-3']] },
      ] } });
    }
    sendJson(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
  });
}

describe('Prometheus provider: auth, normalisation and failures (no server needed)', () => {
  const TOKEN = 'prom-secret-token';
  let sim: Simulator;

  before(async () => {
    sim = await startProxyLike(TOKEN);
  });
  after(async () => {
    await sim.close();
  });

  it('sends the configured bearer token', async () => {
    sim.requests.length = 0;
    const result = await provider.check(ctxFor(sim.url, TOKEN));
    assert.equal(result.ok, true, result.detail);
    assert.equal(result.detail, 'Prometheus 2.53.0 reachable; the query API answered (1 series for "up")');
    assert.deepEqual(sim.requests.map((r) => [r.path, r.headers.authorization]), [
      ['/api/v1/status/buildinfo', `Bearer ${TOKEN}`],
      ['/api/v1/query', `Bearer ${TOKEN}`],
    ]);
    assert.equal(sim.requests[1]!.query.get('query'), 'up');
  });

  it('check(): a wrong or missing token → ok:false "credentials rejected", without the token in the detail', async () => {
    const wrong = await provider.check(ctxFor(sim.url, 'nope'));
    assert.equal(wrong.ok, false);
    assert.match(wrong.detail, /^credentials rejected \(HTTP 401\)/);
    assert.doesNotMatch(wrong.detail, /nope/);
    const missing = await provider.check(ctxFor(sim.url));
    assert.equal(missing.ok, false);
    assert.match(missing.detail, /credentials rejected/);
    assert.equal(sim.requests.at(-1)!.headers.authorization, undefined);
  });

  it('fetchStatus()/fetchAlerts() with a wrong token → ProviderError auth', async () => {
    await rejects(provider.fetchStatus(ctxFor(sim.url, 'nope')), 'auth');
    await rejects(provider.fetchAlerts!(ctxFor(sim.url, 'nope'), undefined), 'auth');
  });

  it('check(): unreachable (closed port) → ok:false', async () => {
    const closed = await startSimulator(() => undefined);
    await closed.close();
    const result = await provider.check(ctxFor(closed.url, TOKEN, { maxRetries: 1 }));
    assert.equal(result.ok, false);
    assert.match(result.detail, /^cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('fetchStatus(): all targets down → alert; uptime null without runtimeinfo', async () => {
    const report = await provider.fetchStatus(ctxFor(sim.url, TOKEN));
    assert.equal(report.status, 'alert');
    assert.equal(report.summary, 'all 2 scrape targets down');
    assert.equal(report.metrics.uptime, null);
    assert.deepEqual(report.assets.map((a) => [a.external_id, a.name, a.status]), [
      ['http://a:9100/metrics', 'node (a:9100)', 'offline'],
      ['http://b:9100/metrics', 'node (b:9100)', 'offline'],
    ]);
  });

  it('fetchAlerts(): firing only, severity table, ids from sorted labels', async () => {
    const alerts = await provider.fetchAlerts!(ctxFor(sim.url, TOKEN), undefined);
    assert.deepEqual(alerts, [
      {
        external_id: labelsHash({ alertname: 'DiskFull', instance: 'a:9100', severity: 'warning' }), title: 'DiskFull', description: '',
        severity: 'medium', vendor_severity: 'warning', source: 'DiskFull', time: Date.parse('2024-05-01T10:00:00.123Z'), asset: 'a:9100',
      },
      {
        external_id: labelsHash({ instance: 'b:9100', alertname: 'Down', severity: 'PAGE' }), title: 'Down: b is down', description: 'b has been down for 5m',
        severity: 'critical', vendor_severity: 'PAGE', source: 'Down', time: Date.parse('2024-05-01T11:00:00Z'), asset: 'b:9100',
      },
      {
        external_id: labelsHash({ alertname: 'NoSeverity' }), title: 'NoSeverity', description: '',
        severity: 'medium', vendor_severity: '', source: 'NoSeverity', time: Date.parse('2024-05-01T12:00:00Z'), asset: null,
      },
    ]);
    assert.equal(labelsHash({ a: '1', b: '2' }), labelsHash({ b: '2', a: '1' }));
    assert.notEqual(labelsHash({ a: '1', b: '2' }), labelsHash({ a: '1', b: '3' }));
  });

  it('severity table', () => {
    const table: Record<string, string> = {
      critical: 'critical', CRITICAL: 'critical', page: 'critical', high: 'high', error: 'high', major: 'high',
      warning: 'medium', warn: 'medium', medium: 'medium', low: 'low', minor: 'low', ticket: 'low', info: 'info', none: 'info', bogus: 'medium',
    };
    for (const [raw, expected] of Object.entries(table)) assert.equal(alertSeverity(raw), expected, raw);
    assert.equal(alertSeverity(undefined), 'medium');
  });

  it('query(): seconds → ms, "NaN"/"+Inf"/"-Inf" → null, parameters in seconds', async () => {
    sim.requests.length = 0;
    const series = await provider.query!(ctxFor(sim.url, TOKEN), 'sum by (job) (rate(x[5m]))', 1_700_000_000_000, 1_700_000_060_500, 15);
    assert.deepEqual(series, [{
      refId: 'A', name: 'sum by (job) (rate(x[5m]))', labels: { job: 'node' },
      points: [[1_700_000_000_000, 1.5], [1_700_000_015_000, null], [1_700_000_030_000, null], [1_700_000_045_000, null], [1_700_000_060_000, 0.002]],
    }]);
    const q = sim.requests[0]!.query;
    assert.deepEqual([q.get('query'), q.get('start'), q.get('end'), q.get('step')], ['sum by (job) (rate(x[5m]))', '1700000000', '1700000060.5', '15']);
  });

  it('500 is retried then succeeds; persistent 500 → vendor_error', async () => {
    sim.faults.status = { code: 502, count: 2, body: 'Bad Gateway' };
    const report = await provider.fetchStatus(ctxFor(sim.url, TOKEN));
    assert.equal(report.status, 'alert');
    sim.faults.status = { code: 503, count: 100, body: '{"status":"error","errorType":"unavailable","error":"shutting down"}' };
    await rejects(provider.fetchAlerts!(ctxFor(sim.url, TOKEN, { maxRetries: 2 }), undefined), 'vendor_error', /HTTP 503/);
    sim.faults.status = { code: 500, count: 1, body: 'boom' };
    await rejects(provider.fetchAlerts!(ctxFor(sim.url, TOKEN), undefined), 'vendor_error', /HTTP 500/);
    sim.faults.status = undefined;
  });

  it('429 with Retry-After is retried', async () => {
    sim.faults.rateLimit = { count: 1, retryAfterSeconds: 0.2 };
    const started = Date.now();
    const alerts = await provider.fetchAlerts!(ctxFor(sim.url, TOKEN), undefined);
    assert.equal(alerts.length, 3);
    assert.ok(Date.now() - started >= 190);
  });

  it('bad JSON → bad_response; an answer that is not the API envelope → bad_response', async () => {
    sim.faults.badJson = { count: 1 };
    await rejects(provider.fetchAlerts!(ctxFor(sim.url, TOKEN), undefined), 'bad_response', /not JSON/);
    sim.faults.status = { code: 200, count: 1, body: '{"hello":"world"}' };
    await rejects(provider.fetchAlerts!(ctxFor(sim.url, TOKEN), undefined), 'bad_response', /not a Prometheus API answer/);
  });

  it('a slow server → timeout', async () => {
    sim.faults.latencyMs = 400;
    try {
      await rejects(provider.fetchStatus(ctxFor(sim.url, TOKEN, { timeoutMs: 100 })), 'timeout');
    } finally {
      sim.faults.latencyMs = 0;
    }
  });
});
