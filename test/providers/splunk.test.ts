import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Value } from 'typebox/value';
import { ProviderError } from '../../src/modules/integrations/vendor-http.ts';
import { DEFAULT_SEARCH_OPTIONS, fetchAlerts, NOTABLE_SEARCH, normalizeNotable } from '../../src/modules/integrations/providers/splunk/alerts.ts';
import { definition } from '../../src/modules/integrations/providers/splunk/index.ts';
import type { ProviderContext } from '../../src/modules/integrations/providers/types.ts';
import {
  defaultSplunkData,
  MISSING_MACRO_TEXT,
  QUOTA_TEXT,
  resolveNotable,
  setFeatureHealth,
  splunkTime,
  startSplunkSimulator,
  type SplunkSimulator,
} from '../simulators/splunk.ts';
import { providerContext, rejectsWithKind } from '../helpers/providers.ts';

const provider = definition.provider;


const ctxFor = (url: string, secret: ProviderContext['secret'], timeoutMs = 2_000) => providerContext(url, secret, { timeoutMs });
const rejectsWith = rejectsWithKind;

describe('splunk provider', () => {
  let sim: SplunkSimulator;
  let ctx: ProviderContext;

  before(async () => {
    sim = await startSplunkSimulator();
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.data = defaultSplunkData();
    sim.control.quotaFailures = 0;
    sim.control.healthEndpoint = true;
    sim.control.esInstalled = true;
    delete sim.control.jobFatal;
    delete sim.control.resultsBody;
    sim.control.jobPolls = 2;
    sim.control.jobNeverFinishes = false;
    sim.control.searchApi = 'v2';
    sim.jobs.clear();
    sim.deletedJobs.length = 0;
    for (const key of Object.keys(sim.faults)) delete (sim.faults as Record<string, unknown>)[key];
    sim.requests.length = 0;
    sim.searches.length = 0;
    sim.sessions.clear();
    sim.control.sessionIdleMs = 3_600_000;
    ctx = ctxFor(sim.url, sim.token);
  });

  describe('check', () => {
    test('ok with a valid token, Bearer auth on server/info', async () => {
      const result = await provider.check(ctx);
      assert.equal(result.ok, true);
      assert.equal(result.detail, 'Splunk 9.2.1 on es-sh-01');
      assert.ok(result.latency_ms >= 0);
      const call = sim.requests.at(-1)!;
      assert.equal(call.path, '/services/server/info');
      assert.equal(call.query.get('output_mode'), 'json');
      assert.equal(call.headers.authorization, `Bearer ${sim.token}`);
    });

    test('bad token → ok:false, no secret in the detail', async () => {
      const result = await provider.check(ctxFor(sim.url, 'not-the-token'));
      assert.equal(result.ok, false);
      assert.match(result.detail, /rejected the authentication token/);
      assert.equal(result.reason, 'auth');
      assert.doesNotMatch(result.detail, /not-the-token/);
    });

    test('missing token → ok:false (config)', async () => {
      const result = await provider.check(ctxFor(sim.url, undefined));
      assert.equal(result.ok, false);
      assert.match(result.detail, /token is required/);
      assert.equal(result.reason, 'config');
    });

    test('unreachable (closed port) → ok:false', async () => {
      const other = await startSplunkSimulator();
      const url = other.url;
      await other.close();
      const result = await provider.check(ctxFor(url, 'x'));
      assert.equal(result.ok, false);
      assert.match(result.detail, /unreachable/);
      assert.equal(result.reason, 'unreachable');
    });
  });

  describe('fetchStatus', () => {
    test('green health → online, uptime from startup_time, the server as asset', async () => {
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'online');
      assert.ok(report.metrics.uptime !== null && Math.abs(report.metrics.uptime - 3 * 86_400) <= 5, String(report.metrics.uptime));
      assert.equal(typeof report.metrics.response_time_avg, 'number');
      assert.equal(report.assets.length, 1);
      assert.deepEqual(report.assets[0], {
        external_id: '6F4A2C1E-9B3D-4E8F-A1C2-3D4E5F6A7B8C',
        name: 'es-sh-01',
        kind: 'server',
        status: 'online',
        detail: {
          version: '9.2.1', build: 'd8ae995bf219', os_name: 'Linux', product_type: 'enterprise',
          server_roles: ['search_head', 'kv_store', 'license_master'], health: 'green', degraded_features: [],
        },
      });
      assert.equal(report.summary, 'splunkd health green on es-sh-01 (Splunk 9.2.1)');
      assert.deepEqual(sim.requests.map((r) => r.path), ['/services/server/info', '/services/server/health/splunkd']);
    });

    test('yellow feature → warning with the degraded feature named', async () => {
      setFeatureHealth(sim.data, ['Index Processor', 'Disk Space'], 'yellow');
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'warning');
      assert.equal(report.assets[0]!.status, 'warning');
      assert.equal(report.summary, 'splunkd health yellow on es-sh-01: Index Processor > Disk Space: yellow');
    });

    test('red feature → alert (the server asset stays reachable: warning)', async () => {
      setFeatureHealth(sim.data, ['Index Processor', 'Disk Space'], 'yellow');
      setFeatureHealth(sim.data, ['Search Scheduler', 'Searches Skipped in the last 24 hours'], 'red');
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'alert');
      assert.equal(report.assets[0]!.status, 'warning');
      assert.deepEqual(report.assets[0]!.detail!.degraded_features, [
        'Index Processor > Disk Space: yellow',
        'Search Scheduler > Searches Skipped in the last 24 hours: red',
      ]);
      assert.match(report.summary, /^splunkd health red on es-sh-01: /);
    });

    test('no health endpoint → falls back on server/info health_info', async () => {
      sim.control.healthEndpoint = false;
      sim.data.serverInfo.health_info = 'yellow';
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'warning');
      sim.data.serverInfo.health_info = undefined;
      sim.data.serverInfo.startup_time = undefined;
      const unknown = await provider.fetchStatus(ctx);
      assert.equal(unknown.status, 'online');
      assert.equal(unknown.metrics.uptime, null);
      assert.match(unknown.summary, /health not reported/);
    });

    test('wrong credentials → auth', async () => {
      await rejectsWith(provider.fetchStatus(ctxFor(sim.url, 'wrong')), 'auth', /call not properly authenticated/);
    });

    test('429 with Retry-After is retried and succeeds', async () => {
      sim.faults.rateLimit = { count: 1, retryAfterSeconds: 1 };
      const started = Date.now();
      const report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'online');
      assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    });

    test('502 is retried then succeeds; persistent 500 → vendor_error', async () => {
      sim.faults.status = { code: 502, count: 2 };
      assert.equal((await provider.fetchStatus(ctx)).status, 'online');
      sim.faults.status = { code: 500, count: 10 };
      await rejectsWith(provider.fetchStatus(ctx), 'vendor_error', /HTTP 500/);
    });

    test('bad JSON → bad_response', async () => {
      sim.faults.badJson = { count: 1 };
      await rejectsWith(provider.fetchStatus(ctx), 'bad_response');
    });

    test('latency beyond the timeout → timeout', async () => {
      sim.faults.latencyMs = 400;
      await rejectsWith(provider.fetchStatus(ctxFor(sim.url, sim.token, 150)), 'timeout');
    });
  });

  describe('fetchAlerts', () => {
    test('open notables of the last 30 days through a v2 search job (create, poll, results, delete), normalised', async () => {
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      const byId = (prefix: string) => alerts.find((a) => a.external_id.startsWith(prefix))!;
      assert.equal(alerts.length, 6);
      const rows = sim.data.notables;
      const time = (i: number) => Date.parse(rows[i]!._time as string);
      assert.deepEqual(byId('0C8E1F5A'), {
        external_id: rows[0]!.event_id,
        title: 'Brute force against vpn-gw-01 from 203.0.113.45',
        description: 'The system has detected brute force behavior: a large number of failed logins followed by a success.',
        severity: 'critical',
        vendor_severity: 'critical',
        source: 'Brute Force Access Behavior Detected',
        time: time(0),
        asset: 'vpn-gw-01',
      });
      // No rule_title → rule_name; multivalue src → the first value.
      assert.deepEqual(byId('1D9F2A6B'), {
        external_id: rows[1]!.event_id,
        title: 'Excessive Failed Logins',
        description: 'A source has failed to log in more than 6 times in 1 hour.',
        severity: 'high',
        vendor_severity: 'high',
        source: 'Excessive Failed Logins',
        time: time(1),
        asset: '10.20.1.15',
      });
      assert.equal(byId('2EA03B7C').severity, 'medium');
      assert.equal(byId('2EA03B7C').asset, 'ws-0442');
      assert.equal(byId('3FB14C8D').severity, 'low');
      assert.equal(byId('3FB14C8D').asset, 'fw-edge-02');
      assert.equal(byId('40C25D9E').severity, 'info');
      assert.equal(byId('40C25D9E').vendor_severity, 'informational');
      assert.equal(byId('40C25D9E').asset, 'db-prod-01');
      // The closed one is not there; the 3-day-old open one is.
      assert.equal(alerts.some((a) => a.external_id.startsWith('51D36EAF')), false);
      assert.equal(alerts.some((a) => a.external_id.startsWith('62E47FB0')), true);

      assert.deepEqual(sim.searches, [{ search: NOTABLE_SEARCH, earliest_time: '-30d', latest_time: 'now' }]);
      const create = sim.requests[0]!;
      assert.equal(create.method, 'POST');
      assert.equal(create.path, '/services/search/v2/jobs');
      assert.match(String(create.headers['content-type']), /application\/x-www-form-urlencoded/);
      assert.equal(new URLSearchParams(create.body).get('output_mode'), 'json');
      assert.equal(new URLSearchParams(create.body).get('exec_mode'), 'normal');
      const [sid] = sim.deletedJobs;
      const job = `/services/search/v2/jobs/${sid}`;
      // RUNNING twice, then DONE: three status polls before the results are read.
      assert.deepEqual(sim.requests.slice(1).map((r) => `${r.method} ${r.path}`), [`GET ${job}`, `GET ${job}`, `GET ${job}`, `GET ${job}/results`, `DELETE ${job}`]);
      const results = sim.requests[4]!;
      assert.deepEqual([results.query.get('output_mode'), results.query.get('count'), results.query.get('offset')], ['json', '1000', '0']);
      assert.equal(sim.requests.some((r) => r.path.startsWith('/services/search/jobs')), false, 'no v1 endpoint');
    });

    test('_time with an offset → epoch ms', async () => {
      const at = Math.floor((Date.now() - 3_600_000) / 1000) * 1000 + 250;
      sim.data.notables = [{ ...sim.data.notables[0]!, _time: splunkTime(at, 120), event_id: 'fixed-id' }];
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.time, at);
    });

    test('a fixed lookback whatever `since` is; ids stable; closed notables disappear', async () => {
      const since = Date.now() - 60 * 60_000;
      const firstRun = await provider.fetchAlerts!(ctx, since);
      assert.equal(sim.searches[0]!.earliest_time, '-30d', 'not narrowed to the last sync: the sync resolves what is absent');
      assert.ok(firstRun.length >= 2);
      const again = await provider.fetchAlerts!(ctx, since);
      assert.deepEqual(again, firstRun);
      const closed = firstRun[0]!.external_id;
      resolveNotable(sim.data, closed);
      const later = await provider.fetchAlerts!(ctx, since);
      assert.equal(later.length, firstRun.length - 1);
      assert.equal(later.some((a) => a.external_id === closed), false);
    });

    test('no open notables → empty list', async () => {
      sim.data.notables = [];
      assert.deepEqual(await provider.fetchAlerts!(ctx, undefined), []);
    });

    test('a new notable shows up on the next sync', async () => {
      sim.data.notables.push({
        ...sim.data.notables[0]!,
        _time: splunkTime(Date.now() - 1_000, 60),
        event_id: 'NEW-1@@notable@@abc',
        rule_title: '',
        rule_name: 'Detect New Local Admin account',
        urgency: 'bogus',
        severity: 'high',
        dest: [],
        src: [],
        host: 'dc-01',
      });
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      const added = alerts.find((a) => a.external_id === 'NEW-1@@notable@@abc')!;
      // Unknown urgency → the ES `severity` field; empty multivalue dest/src → host.
      assert.equal(added.severity, 'high');
      assert.equal(added.vendor_severity, 'bogus');
      assert.equal(added.title, 'Detect New Local Admin account');
      assert.equal(added.asset, 'dc-01');
    });

    test('search concurrency quota (503) is retried, then vendor_error', async () => {
      sim.control.quotaFailures = 2;
      assert.equal((await provider.fetchAlerts!(ctx, undefined)).length, 6);
      sim.control.quotaFailures = 10;
      const error = await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'vendor_error', /maximum number of concurrent historical searches/);
      assert.equal(error.status, 503);
    });

    test('a job creation whose answer was lost is not sent again (the job may exist); a refusal is', async () => {
      // A gateway in front of Splunk that loses Splunk's answer to the first job creation (502).
      let lost = 0;
      const gateway = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', async () => {
          const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'connection'));
          const upstream = await request(`${sim.url}${req.url}`, { method: req.method as 'GET', headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
          const text = await upstream.body.text();
          if (req.method === 'POST' && req.url?.split('?')[0] === '/services/search/v2/jobs' && lost++ === 0) {
            res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
            return;
          }
          res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') }).end(text);
        });
      });
      gateway.listen(0, '127.0.0.1');
      await once(gateway, 'listening');
      try {
        const throughGateway = ctxFor(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`, sim.token);
        await rejectsWith(provider.fetchAlerts!(throughGateway, undefined), 'vendor_error');
        assert.equal(sim.searches.length, 1, 'one search started, none repeated blindly');
        assert.equal((await provider.fetchAlerts!(throughGateway, undefined)).length, 6, 'the next sync creates its own job');
        sim.control.quotaFailures = 1;
        assert.equal((await provider.fetchAlerts!(throughGateway, undefined)).length, 6, 'the quota refusal (503) is tried again');
      } finally {
        gateway.close();
      }
    });

    test('400 FATAL (no ES: `notable` macro missing) → bad_response with Splunk\'s text', async () => {
      sim.control.esInstalled = false;
      const error = await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'bad_response');
      assert.equal(error.message, MISSING_MACRO_TEXT);
      assert.equal(error.status, 400);
    });

    test('400 unknown search command → bad_response with that text', async () => {
      sim.faults.status = { code: 400, count: 1, body: JSON.stringify({ messages: [{ type: 'FATAL', text: "Unknown search command 'notabel'." }] }) };
      await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'bad_response', /^Unknown search command 'notabel'\.$/);
    });

    test('a FAILED job → vendor_error with its FATAL message; the job is deleted', async () => {
      sim.control.jobFatal = 'Search process did not exit cleanly, exit_code=255';
      await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'vendor_error', /^Splunk search failed: Search process did not exit cleanly, exit_code=255$/);
      assert.equal(sim.deletedJobs.length, 1);
      assert.equal(sim.jobs.size, 0);
    });

    test('results are read page by page with count/offset (2,500 open notables → 3 pages)', async () => {
      const template = sim.data.notables[0]!;
      sim.data.notables = Array.from({ length: 2_500 }, (_, i) => ({ ...template, event_id: `bulk-${i}`, _time: splunkTime(Date.now() - (i + 1) * 1_000) }));
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(alerts.length, 2_500);
      assert.equal(new Set(alerts.map((a) => a.external_id)).size, 2_500);
      const pages = sim.requests.filter((r) => r.path.endsWith('/results'));
      assert.deepEqual(pages.map((r) => [r.query.get('count'), r.query.get('offset')]), [['1000', '0'], ['1000', '1000'], ['1000', '2000']]);
    });

    test('more open notables than pages allow → vendor_error, not a partial list', async () => {
      const template = sim.data.notables[0]!;
      sim.data.notables = Array.from({ length: 25 }, (_, i) => ({ ...template, event_id: `bulk-${i}` }));
      await rejectsWith(fetchAlerts(ctx, undefined, { ...DEFAULT_SEARCH_OPTIONS, pollIntervalMs: 5, pageSize: 10, maxPages: 2 }), 'vendor_error', /more than 20 open notables/);
      assert.equal(sim.deletedJobs.length, 1);
    });

    test('an empty or HTML 200 answer to the results is bad_response, not "no open notables"', async () => {
      sim.control.jobPolls = 0;
      for (const body of ['', '<html><body>Splunk is restarting</body></html>']) {
        sim.control.resultsBody = body;
        await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'bad_response', /not JSON/);
        assert.ok(sim.requests.some((r) => r.path.endsWith('/results')));
      }
    });

    test('a Splunk before 9.0.1 (no v2 endpoints): the v1 search jobs are used', async () => {
      sim.control.searchApi = 'v1';
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(alerts.length, 6);
      assert.deepEqual(sim.requests.slice(0, 2).map((r) => `${r.method} ${r.path} ${r.method === 'POST' ? '' : r.query.get('output_mode')}`.trim()), ['POST /services/search/v2/jobs', 'POST /services/search/jobs']);
      assert.ok(sim.requests.slice(2).every((r) => r.path.startsWith('/services/search/jobs/')));
    });

    test('a job that never finishes is cancelled (DELETE) and the sync fails as timeout within bounds', async () => {
      sim.control.jobNeverFinishes = true;
      const started = Date.now();
      await rejectsWith(fetchAlerts(ctx, undefined, { ...DEFAULT_SEARCH_OPTIONS, pollIntervalMs: 10, maxPollIntervalMs: 40, maxJobWaitMs: 300 }), 'timeout', /did not finish within 300 ms/);
      assert.ok(Date.now() - started < 1_500);
      assert.equal(sim.deletedJobs.length, 1);
      assert.equal(sim.jobs.size, 0);
    });

    test('wrong credentials → auth; timeout → timeout', async () => {
      await rejectsWith(provider.fetchAlerts!(ctxFor(sim.url, 'wrong'), undefined), 'auth');
      sim.faults.latencyMs = 400;
      await rejectsWith(provider.fetchAlerts!(ctxFor(sim.url, sim.token, 150), undefined), 'timeout');
    });
  });

  describe('username and password (session key from /services/auth/login)', () => {
    const user = { username: 'sentinel-svc', password: 'S3ntinel!pass' };
    const logins = () => sim.requests.filter((r) => r.path === '/services/auth/login');

    test('logs in once with a form, then sends `Authorization: Splunk <key>`', async () => {
      const userCtx = ctxFor(sim.url, user);
      const result = await provider.check(userCtx);
      assert.equal(result.ok, true, result.detail);
      await provider.fetchStatus(userCtx);
      assert.equal(logins().length, 1);
      const form = new URLSearchParams(logins()[0]!.body);
      assert.equal(logins()[0]!.method, 'POST');
      assert.deepEqual([form.get('username'), form.get('password'), form.get('output_mode')], [user.username, user.password, 'json']);
      const info = sim.requests.filter((r) => r.path === '/services/server/info');
      assert.ok(info.length >= 2);
      const [key] = [...sim.sessions.keys()];
      for (const call of info) assert.equal(call.headers.authorization, `Splunk ${key}`);
      assert.equal(Value.Check(definition.secretSchema, user), true);
    });

    test('a login answered in XML (Splunk\'s default format) works too', async () => {
      sim.control.loginAnswersXml = true;
      try {
        assert.equal((await provider.check(ctxFor(sim.url, user))).ok, true);
        assert.equal(logins().length, 1);
      } finally {
        delete sim.control.loginAnswersXml;
      }
    });

    test('a session that idled out (401) logs in again once and the call succeeds', async () => {
      const userCtx = ctxFor(sim.url, user);
      await provider.fetchStatus(userCtx);
      sim.sessions.clear(); // Splunk forgot the session (timed out or restarted)
      const report = await provider.fetchStatus(userCtx);
      assert.equal(report.status, 'online');
      assert.equal(logins().length, 2);
      assert.equal(sim.requests.filter((r) => r.headers.authorization !== undefined && r.path === '/services/server/info').length, 3);
      const alerts = await provider.fetchAlerts!(userCtx, undefined);
      assert.ok(alerts.length > 0);
      assert.equal(logins().length, 2);
    });

    test('a wrong password → auth naming the user, never the password; a fresh key refused → auth, no loop', async () => {
      const wrong = { username: user.username, password: 'not-the-password' };
      const result = await provider.check(ctxFor(sim.url, wrong));
      assert.equal(result.ok, false);
      assert.equal(result.reason, 'auth');
      assert.match(result.detail, /rejected the username or password of user "sentinel-svc"/);
      assert.doesNotMatch(result.detail, /not-the-password/);
      const error = await rejectsWith(provider.fetchStatus(ctxFor(sim.url, wrong)), 'auth');
      assert.doesNotMatch(error.message, /not-the-password/);

      sim.control.sessionIdleMs = -1; // every key is refused, even a fresh one
      sim.requests.length = 0;
      await rejectsWith(provider.fetchStatus(ctxFor(sim.url, user)), 'auth', /fresh session key/);
      assert.equal(logins().length, 1);
    });
  });

  describe('normalisation', () => {
    test('a notable without event_id gets a stable derived id', () => {
      const row = { _time: '2024-05-14T10:21:33.000+00:00', rule_name: 'R', dest: 'h1', urgency: 'medium' };
      assert.equal(normalizeNotable(row).external_id, normalizeNotable({ ...row }).external_id);
      assert.match(normalizeNotable(row).external_id, /^derived:[0-9a-f]{40}$/);
      assert.throws(() => normalizeNotable({ ...row, _time: 'yesterday' }), (e: unknown) => e instanceof ProviderError && e.kind === 'bad_response');
    });
  });

  describe('simulator', () => {
    test('v1 search endpoints are disabled; unknown commands answer 400; the quota answers 503', async () => {
      const headers = { authorization: `Bearer ${sim.token}`, 'content-type': 'application/x-www-form-urlencoded' };
      const v1 = await request(`${sim.url}/services/search/jobs`, { method: 'POST', headers, body: 'search=search%20index%3Dmain&output_mode=json' });
      assert.equal(v1.statusCode, 404);
      await v1.body.dump();
      const bad = await request(`${sim.url}/services/search/v2/jobs`, { method: 'POST', headers, body: 'search=xxx%20foo&output_mode=json' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(await bad.body.json(), { messages: [{ type: 'FATAL', text: "Unknown search command 'xxx'." }] });
      const noAuth = await request(`${sim.url}/services/server/info?output_mode=json`);
      assert.equal(noAuth.statusCode, 401);
      assert.deepEqual(await noAuth.body.json(), { messages: [{ type: 'WARN', text: 'call not properly authenticated' }] });
      const created = await request(`${sim.url}/services/search/v2/jobs`, { method: 'POST', headers, body: 'search=search%20%60notable%60&output_mode=json' });
      assert.equal(created.statusCode, 201);
      const { sid } = (await created.body.json()) as { sid: string };
      const running = await request(`${sim.url}/services/search/v2/jobs/${sid}/results?output_mode=json`, { headers });
      assert.equal(running.statusCode, 204, 'no results while the job runs');
      await running.body.dump();
      sim.control.quotaFailures = 1;
      const busy = await request(`${sim.url}/services/search/v2/jobs`, { method: 'POST', headers, body: 'search=search%20%60notable%60&output_mode=json' });
      assert.equal(busy.statusCode, 503);
      assert.deepEqual(await busy.body.json(), { messages: [{ type: 'ERROR', text: QUOTA_TEXT }] });
    });
  });
});
