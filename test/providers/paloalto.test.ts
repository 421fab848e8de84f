import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatPanTime, mapSeverity, parsePanTime } from '../../src/modules/integrations/providers/paloalto/alerts.ts';
import { parseResponse, type PaloAltoOptions } from '../../src/modules/integrations/providers/paloalto/client.ts';
import { createPaloAltoProvider, definition } from '../../src/modules/integrations/providers/paloalto/index.ts';
import { parseUptime } from '../../src/modules/integrations/providers/paloalto/status.ts';
import type { SecretValue } from '../../src/modules/integrations/providers/types.ts';
import type { ProviderError } from '../../src/modules/integrations/vendor-http.ts';
import { buildPaloAltoData, panTime, startPaloAltoSimulator, UNAUTH_XML, type PaloAltoSimulator } from '../simulators/paloalto.ts';
import { providerContext, rejectsWithKind } from '../helpers/providers.ts';

const FAST: Partial<PaloAltoOptions> = { jobPollIntervalMs: 10, serverErrorBackoffMs: 10 };


const ctxFor = (url: string, secret: SecretValue | undefined, options: { timeoutMs?: number; config?: Record<string, unknown> } = {}) =>
  providerContext(url, secret, { timeoutMs: options.timeoutMs ?? 3000, ...(options.config ? { config: options.config } : {}) });
const rejects = rejectsWithKind;

const errorXml = (code: number, msg: string) => `<response status="error" code="${code}"><result><msg><line>${msg}</line></msg></result></response>`;

describe('paloalto provider', () => {
  let sim: PaloAltoSimulator;
  const provider = createPaloAltoProvider(FAST);
  const userCtx = () => ctxFor(sim.url, { ...sim.credentials });
  const keyCtx = () => ctxFor(sim.url, sim.apiKey);

  before(async () => {
    sim = await startPaloAltoSimulator();
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.data = buildPaloAltoData();
    sim.settings.authErrorHttpStatus = 403;
    sim.settings.jobPollsBeforeFin = 1;
    for (const key of Object.keys(sim.faults)) delete (sim.faults as Record<string, unknown>)[key];
    sim.requests.length = 0;
    sim.stats.keygen = sim.stats.enqueued = sim.stats.polls = sim.stats.finished = 0;
  });

  it('keeps the definition the contract expects', () => {
    assert.equal(definition.type, 'paloalto');
    assert.deepEqual(definition.capabilities, ['ALERTING', 'STATUS']);
    assert.equal(definition.secretRequired, true);
    assert.equal(typeof definition.provider.fetchAlerts, 'function');
  });

  describe('check', () => {
    it('is ok with username/password: keygen by POST form, then X-PAN-KEY (never key= in the URL)', async () => {
      const result = await provider.check(userCtx());
      assert.equal(result.ok, true, result.detail);
      assert.equal(result.detail, 'fw01: PA-VM, PAN-OS 10.2.9');
      assert.ok(result.latency_ms >= 0);
      assert.equal(sim.stats.keygen, 1);
      const [keygen, op] = sim.requests;
      assert.equal(keygen?.method, 'POST');
      assert.equal(keygen?.query.get('type'), 'keygen');
      assert.equal(keygen?.query.get('password'), null);
      assert.equal(new URLSearchParams(keygen?.body).get('user'), sim.credentials.username);
      assert.equal(op?.method, 'GET');
      assert.equal(op?.path, '/api/');
      assert.equal(op?.query.get('type'), 'op');
      assert.equal(op?.query.get('cmd'), '<show><system><info></info></system></show>');
      assert.ok(sim.keys.has(String(op?.headers['x-pan-key'])));
      for (const r of sim.requests) assert.equal(r.query.get('key'), null);
    });

    for (const httpStatus of [403, 200] as const) {
      it(`reports bad credentials (Invalid Credential with HTTP ${httpStatus}) without leaking the password`, async () => {
        sim.settings.authErrorHttpStatus = httpStatus;
        const result = await provider.check(ctxFor(sim.url, { username: sim.credentials.username, password: 'wrong-password-123' }));
        assert.equal(result.ok, false);
        assert.match(result.detail, /^auth: /);
        assert.match(result.detail, /Invalid Credential/);
        assert.doesNotMatch(result.detail, /wrong-password-123/);
        assert.equal(sim.stats.keygen, 1);
      });

      it(`reports a wrong API key (HTTP ${httpStatus}) as auth, without keygen`, async () => {
        sim.settings.authErrorHttpStatus = httpStatus;
        const result = await provider.check(ctxFor(sim.url, 'LUFRPT1-not-a-valid-key=='));
        assert.equal(result.ok, false);
        assert.match(result.detail, /^auth: PAN-OS forbidden \(code 403\): Invalid Credential/);
        assert.doesNotMatch(result.detail, /not-a-valid-key/);
        assert.equal(sim.stats.keygen, 0);
      });
    }

    it('reports an unreachable firewall (closed port)', async () => {
      const closed = await startPaloAltoSimulator();
      const url = closed.url;
      await closed.close();
      const result = await provider.check(ctxFor(url, 'some-key'));
      assert.equal(result.ok, false);
      assert.match(result.detail, /^unreachable: /);
    });

    it('reports a missing secret as a config problem', async () => {
      const result = await provider.check(ctxFor(sim.url, undefined));
      assert.equal(result.ok, false);
      assert.match(result.detail, /^config: /);
    });
  });

  describe('keys', () => {
    it('generates the key once and reuses it from ctx.state', async () => {
      const ctx = userCtx();
      await provider.fetchStatus(ctx);
      await provider.fetchStatus(ctx);
      await provider.fetchAlerts!(ctx, undefined);
      assert.ok(await provider.check(ctx));
      assert.equal(sim.stats.keygen, 1);
      const keys = new Set(sim.requests.filter((r) => r.query.get('type') !== 'keygen').map((r) => r.headers['x-pan-key']));
      assert.equal(keys.size, 1);
    });

    it('uses an API-key secret as is (no keygen)', async () => {
      const ctx = keyCtx();
      await provider.fetchStatus(ctx);
      await provider.fetchAlerts!(ctx, undefined);
      assert.equal(sim.stats.keygen, 0);
      for (const r of sim.requests) assert.equal(r.headers['x-pan-key'], sim.apiKey);
    });

    for (const code of [403, 22, 16] as const) {
      it(`re-keys once when the cached key is refused (code ${code}) and retries`, async () => {
        const ctx = userCtx();
        await provider.fetchStatus(ctx);
        sim.expireKeys(code);
        const report = await provider.fetchStatus(ctx);
        assert.equal(report.status, 'online');
        assert.equal(sim.stats.keygen, 2);
        await provider.fetchStatus(ctx);
        assert.equal(sim.stats.keygen, 2);
      });
    }

    it('re-keys only once: a password changed at the firewall ends as auth', async () => {
      const ctx = userCtx();
      await provider.fetchStatus(ctx);
      sim.expireKeys(403);
      const original = sim.credentials.password;
      sim.credentials.password = 'rotated-elsewhere';
      try {
        await rejects(provider.fetchStatus(ctx), 'auth', /Invalid Credential/);
        assert.equal(sim.stats.keygen, 2);
      } finally {
        sim.credentials.password = original;
      }
    });

    it('status="unauth" (code 16, HTTP 200) with an API key is auth with PAN-OS\'s words, not a malformed answer', async () => {
      sim.faults.status = { code: 200, count: 1, body: UNAUTH_XML };
      await rejects(provider.fetchStatus(keyCtx()), 'auth', /^PAN-OS unauthorized \(code 16\): Unauthorized request$/);
      assert.equal(sim.stats.keygen, 0);
    });

    it('an API key the firewall times out (code 22) is auth (nothing to regenerate)', async () => {
      sim.faults.status = { code: 200, count: 1, body: errorXml(22, 'Session timed out') };
      await rejects(provider.fetchStatus(keyCtx()), 'auth', /session timed out \(code 22\)/);
      assert.equal(sim.stats.keygen, 0);
    });
  });

  describe('errors inside HTTP 200 answers', () => {
    const cases: [number, string, string][] = [
      [403, 'Invalid Credential', 'auth'],
      [400, 'Missing parameter', 'bad_response'],
      [1, 'show foo is unexpected', 'bad_response'],
      [6, 'Bad Xpath', 'bad_response'],
      [7, 'Object not present', 'bad_response'],
      [2, 'Internal error', 'vendor_error'],
      [5, 'Internal error', 'vendor_error'],
    ];
    for (const [code, msg, kind] of cases) {
      it(`code ${code} → ${kind}`, async () => {
        sim.faults.status = { code: 200, count: 1, body: errorXml(code, msg) };
        const error = await rejects(provider.fetchStatus(keyCtx()), kind);
        assert.match(error.message, new RegExp(`code ${code}\\): ${msg}`));
      });
    }

    it('maps the vendor message even without a code, and never echoes the key', () => {
      assert.throws(() => parseResponse('<response status="error"><msg><line>Invalid Credential</line></msg></response>', 200), (e: ProviderError) => e.kind === 'auth');
      assert.throws(
        () => parseResponse('<response status="error" code="3"><msg>bad key SECRETKEY123</msg></response>', 200, (s) => s.replace('SECRETKEY123', '***')),
        (e: ProviderError) => e.kind === 'vendor_error' && e.message === 'PAN-OS internal error (code 3): bad key ***',
      );
      assert.throws(() => parseResponse('<html>oops</html>', 200), (e: ProviderError) => e.kind === 'bad_response');
    });

    it('a simulator answers an unknown command with code 1 and an unknown job with code 7, HTTP 200', async () => {
      const unknown = await fetch(`${sim.url}/api/?type=op&cmd=${encodeURIComponent('<show><foo/></show>')}`, { headers: { 'X-PAN-KEY': sim.apiKey } });
      assert.equal(unknown.status, 200);
      assert.match(await unknown.text(), /status="error" code="1"/);
      const job = await fetch(`${sim.url}/api/?type=log&action=get&job-id=999`, { headers: { 'X-PAN-KEY': sim.apiKey } });
      assert.equal(job.status, 200);
      assert.match(await job.text(), /status="error" code="7"/);
    });
  });

  describe('fetchStatus', () => {
    it('reports the firewall as one asset with uptime and latency', async () => {
      const report = await provider.fetchStatus(keyCtx());
      assert.equal(report.status, 'online');
      assert.equal(report.metrics.uptime, 3 * 86_400 + 5 * 3600 + 35 * 60 + 41);
      assert.equal(typeof report.metrics.response_time_avg, 'number');
      assert.deepEqual(report.assets, [
        {
          external_id: '013201001234',
          name: 'fw01',
          kind: 'firewall',
          status: 'online',
          detail: { model: 'PA-VM', 'sw-version': '10.2.9', 'ip-address': '10.0.0.1', 'threat-version': '8496-7089', 'app-version': '8496-7089', 'operational-mode': 'normal', uptime: '3 days, 5:35:41' },
        },
      ]);
      assert.match(report.summary, /fw01 \(PA-VM 10\.2\.9\) reachable/);
    });

    it('is warning when the operational mode is not normal, and follows data changes', async () => {
      sim.data.system['operational-mode'] = 'maintenance';
      sim.data.system.uptime = '0 days, 0:05:00';
      const report = await provider.fetchStatus(keyCtx());
      assert.equal(report.status, 'warning');
      assert.equal(report.assets[0]?.status, 'warning');
      assert.equal(report.metrics.uptime, 300);
      assert.match(report.summary, /maintenance/);
    });

    it('counts FIPS-CC mode as healthy', async () => {
      sim.data.system['operational-mode'] = 'fips-cc';
      const report = await provider.fetchStatus(keyCtx());
      assert.equal(report.status, 'online');
      assert.match(report.summary, /operational mode fips-cc/);
    });

    it('has a null uptime when the firewall says something unparsable', async () => {
      sim.data.system.uptime = 'unknown';
      assert.equal((await provider.fetchStatus(keyCtx())).metrics.uptime, null);
    });

    it('parses uptime strings', () => {
      assert.equal(parseUptime('3 days, 5:35:41'), 279_341);
      assert.equal(parseUptime('0 days, 0:05:00'), 300);
      assert.equal(parseUptime('1 day, 0:00:01'), 86_401);
      assert.equal(parseUptime('5:35:41'), 20_141);
      assert.equal(parseUptime('120 days, 23:59:59'), 120 * 86_400 + 86_399);
      assert.equal(parseUptime(''), null);
      assert.equal(parseUptime('soon'), null);
      assert.equal(parseUptime(undefined), null);
    });
  });

  describe('fetchAlerts', () => {
    it('normalises threat logs (exact shape) and skips those older than the look-back', async () => {
      const alerts = await provider.fetchAlerts!(keyCtx(), undefined);
      assert.equal(alerts.length, 12);
      const ssh = sim.data.threats[1]!;
      assert.deepEqual(alerts.find((a) => a.external_id === `013201001234:${ssh.seqno}`), {
        external_id: `013201001234:${ssh.seqno}`,
        title: 'SSH User Authentication Brute Force Attempt (vulnerability)',
        description: '91.92.40.29 → 10.0.0.15:22, app ssh, action reset-both, rule "allow-ssh"',
        severity: 'high',
        vendor_severity: 'high',
        source: 'brute-force',
        time: Date.parse(ssh.receive_time.replace(/\//g, '-').replace(' ', 'T') + 'Z'),
        asset: '10.0.0.15',
      });
      const smb = alerts.find((a) => a.title.startsWith('Microsoft Windows SMB'));
      assert.match(smb!.description, /repeated 12 times$/);
      assert.ok(!alerts.some((a) => a.title.startsWith('OpenSSL Heartbleed')));
      // newest first
      assert.deepEqual(alerts.map((a) => a.time), [...alerts.map((a) => a.time!)].sort((a, b) => b - a));
    });

    it('maps every PAN-OS severity exactly', async () => {
      const alerts = await provider.fetchAlerts!(keyCtx(), undefined);
      const pairs = new Set(alerts.map((a) => `${a.vendor_severity}→${a.severity}`));
      assert.deepEqual([...pairs].sort(), ['critical→critical', 'high→high', 'informational→info', 'low→low', 'medium→medium']);
      assert.equal(mapSeverity('Informational'), 'info');
      assert.equal(mapSeverity('CRITICAL'), 'critical');
      assert.equal(mapSeverity('something-new'), 'info');
    });

    it('queries receive_time from `since` in PAN-OS format and returns only newer logs', async () => {
      const since = Date.now() - 30 * 60_000;
      const alerts = await provider.fetchAlerts!(keyCtx(), since);
      assert.equal(alerts.length, 5);
      const enqueue = sim.requests.find((r) => r.query.get('log-type') === 'threat');
      // since minus the 2-minute overlap for logs that reach the log database late
      assert.equal(enqueue?.query.get('query'), `(receive_time geq '${panTime(since - 120_000)}')`);
      assert.equal(enqueue?.query.get('dir'), 'backward');
    });

    it('follows data changes and keeps external ids stable', async () => {
      const ctx = keyCtx();
      const first = await provider.fetchAlerts!(ctx, undefined);
      const added = sim.addThreat({ severity: 'critical', threatid: 'Cobalt Strike Beacon', subtype: 'spyware', thr_category: 'command-and-control', dst: '10.0.0.99' });
      const second = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(second.length, first.length + 1);
      const fresh = second.find((a) => a.external_id === `${added.serial}:${added.seqno}`);
      assert.equal(fresh?.title, 'Cobalt Strike Beacon (spyware)');
      assert.equal(fresh?.source, 'command-and-control');
      for (const alert of first) assert.deepEqual(second.find((a) => a.external_id === alert.external_id), alert);
    });

    it('polls a job through ACT until FIN', async () => {
      sim.settings.jobPollsBeforeFin = 3;
      const alerts = await provider.fetchAlerts!(keyCtx(), undefined);
      assert.equal(alerts.length, 12);
      assert.equal(sim.stats.enqueued, 1);
      assert.equal(sim.stats.polls, 4);
      assert.equal(sim.jobs.size, 0);
    });

    it('cancels a job that never finishes and throws timeout within bounds', async () => {
      sim.settings.jobPollsBeforeFin = Number.POSITIVE_INFINITY;
      const slow = createPaloAltoProvider({ ...FAST, jobPollIntervalMs: 20, maxJobWaitMs: 300 });
      const started = Date.now();
      await rejects(slow.fetchAlerts!(keyCtx(), undefined), 'timeout', /did not finish/);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      assert.ok(sim.stats.polls >= 5 && sim.stats.polls <= 20, `polls ${sim.stats.polls}`);
      assert.equal(sim.stats.finished, 1);
      assert.equal(sim.jobs.size, 0);
      const finish = sim.requests.find((r) => r.query.get('action') === 'finish');
      assert.ok(finish?.query.get('job-id'));
    });

    it('bounds polling by count too', async () => {
      sim.settings.jobPollsBeforeFin = Number.POSITIVE_INFINITY;
      const few = createPaloAltoProvider({ ...FAST, maxJobPolls: 3 });
      await rejects(few.fetchAlerts!(keyCtx(), undefined), 'timeout');
      assert.equal(sim.stats.polls, 3);
    });

    it('pages with skip while a job returns nlogs entries', async () => {
      const paged = createPaloAltoProvider({ ...FAST, pageSize: 5 });
      const alerts = await paged.fetchAlerts!(keyCtx(), undefined);
      assert.equal(alerts.length, 12);
      assert.equal(new Set(alerts.map((a) => a.external_id)).size, 12);
      const enqueues = sim.requests.filter((r) => r.query.get('log-type') === 'threat');
      assert.deepEqual(enqueues.map((r) => r.query.get('skip')), ['0', '5', '10']);
      assert.deepEqual(enqueues.map((r) => r.query.get('nlogs')), ['5', '5', '5']);
    });

    it('stops paging at maxPages', async () => {
      const bounded = createPaloAltoProvider({ ...FAST, pageSize: 2, maxPages: 3 });
      const alerts = await bounded.fetchAlerts!(keyCtx(), undefined);
      assert.equal(alerts.length, 6);
      assert.equal(sim.stats.enqueued, 3);
    });

    it('handles a FIN job with a single entry and with none', async () => {
      sim.data.threats = sim.data.threats.slice(0, 1);
      assert.equal((await provider.fetchAlerts!(keyCtx(), undefined)).length, 1);
      sim.data.threats = [];
      assert.deepEqual(await provider.fetchAlerts!(keyCtx(), undefined), []);
    });

    it('reads firewall-local times in a configured time zone (UTC by default)', async () => {
      assert.equal(parsePanTime('2024/05/14 13:49:47'), Date.UTC(2024, 4, 14, 13, 49, 47));
      assert.equal(parsePanTime('2024/05/14 13:49:47', 'Europe/Berlin'), Date.UTC(2024, 4, 14, 11, 49, 47));
      assert.equal(parsePanTime('2024/01/14 13:49:47', 'America/New_York'), Date.UTC(2024, 0, 14, 18, 49, 47));
      assert.equal(formatPanTime(Date.UTC(2024, 4, 14, 11, 49, 47, 900), 'Europe/Berlin'), '2024/05/14 13:49:47');
      assert.equal(formatPanTime(Date.UTC(2024, 4, 14, 11, 49, 47)), '2024/05/14 11:49:47');
      assert.ok(Number.isNaN(parsePanTime('14/05/2024')));
      const alerts = await provider.fetchAlerts!(ctxFor(sim.url, sim.apiKey, { config: { timezone: 'Etc/GMT-2' } }), Date.now() - 10 * 24 * 3600_000);
      const heartbleed = sim.data.threats.at(-1)!;
      const alert = alerts.find((a) => a.external_id.endsWith(`:${heartbleed.seqno}`));
      assert.equal(alert?.time, parsePanTime(heartbleed.receive_time) - 2 * 3600_000);
    });
  });

  describe('transport', () => {
    it('retries 429 with Retry-After and succeeds', async () => {
      sim.faults.rateLimit = { count: 1, retryAfterSeconds: 1 };
      const started = Date.now();
      const report = await provider.fetchStatus(keyCtx());
      assert.equal(report.status, 'online');
      assert.ok(Date.now() - started >= 900);
    });

    it('retries 503 and 500, then succeeds', async () => {
      sim.faults.status = { code: 503, count: 2 };
      assert.equal((await provider.fetchStatus(keyCtx())).status, 'online');
      sim.faults.status = { code: 500, count: 2 };
      assert.equal((await provider.fetchStatus(keyCtx())).status, 'online');
    });

    it('a persistent 500 is vendor_error', async () => {
      sim.faults.status = { code: 500, count: 10 };
      await rejects(provider.fetchStatus(keyCtx()), 'vendor_error', /HTTP 500/);
    });

    it('an answer that is not XML is bad_response', async () => {
      sim.faults.badJson = { count: 1 };
      await rejects(provider.fetchStatus(keyCtx()), 'bad_response', /not XML/);
    });

    it('a URL that is not a PAN-OS management interface (HTML 404) is not_found', async () => {
      await rejects(provider.fetchStatus(ctxFor(`${sim.url}/not-a-firewall`, sim.apiKey)), 'not_found');
    });

    it('times out when the firewall is slower than the timeout', async () => {
      sim.faults.latencyMs = 400;
      await rejects(provider.fetchStatus(ctxFor(sim.url, sim.apiKey, { timeoutMs: 150 })), 'timeout');
    });
  });
});
