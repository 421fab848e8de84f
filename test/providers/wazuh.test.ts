import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVendorHttp, ProviderError } from '../../src/modules/integrations/vendor-http.ts';
import type { NormalizedAlert, ProviderContext } from '../../src/modules/integrations/providers/types.ts';
import { levelSeverity } from '../../src/modules/integrations/providers/wazuh/alerts.ts';
import { INDEXER_HTTP_STATE_KEY, parseTime, tokenExpiry, type IndexerHttpEntry } from '../../src/modules/integrations/providers/wazuh/client.ts';
import { definition } from '../../src/modules/integrations/providers/wazuh/index.ts';
import { deriveStatus, parseSummary } from '../../src/modules/integrations/providers/wazuh/status.ts';
import { vulnerabilitySeverity } from '../../src/modules/integrations/providers/wazuh/vulnerabilities.ts';
import { buildWazuhData, makeAgent, makeAlert, makeManager, makeVulnerability, startWazuhSimulator, type WazuhSimOptions, type WazuhSimulator } from '../simulators/wazuh.ts';
import { rejectsWithKind } from '../helpers/providers.ts';

const provider = definition.provider;
const fetchAlerts = provider.fetchAlerts!;
const fetchVulnerabilities = provider.fetchVulnerabilities!;

interface CtxOptions {
  url?: string;
  indexerUrl?: string;
  password?: string;
  indexerPassword?: string;
  timeoutMs?: number;
  maxRetries?: number;
}

/** A ProviderContext against the simulator, with fast retries; the indexer client is put in state with the same settings. */
function ctxFor(sim: WazuhSimulator, options: CtxOptions = {}): ProviderContext {
  const url = options.url ?? sim.url;
  const indexerUrl = options.indexerUrl ?? sim.indexerUrl;
  const http = (baseUrl: string) => createVendorHttp({ baseUrl, verifyTls: false, timeoutMs: options.timeoutMs ?? 3000, maxRetries: options.maxRetries ?? 3, backoffMs: 10 });
  const state = new Map<string, unknown>();
  state.set(INDEXER_HTTP_STATE_KEY, { url: indexerUrl, verifyTls: false, http: http(indexerUrl) } satisfies IndexerHttpEntry);
  return {
    config: { url, verify_tls: false, poll_interval_seconds: 60, username: sim.credentials.username, indexer_url: indexerUrl, indexer_username: sim.credentials.indexer_username },
    secret: { password: options.password ?? sim.credentials.password, indexer_password: options.indexerPassword ?? sim.credentials.indexer_password },
    http: http(url),
    state,
  };
}

async function withSim(options: WazuhSimOptions, fn: (sim: WazuhSimulator) => Promise<void>): Promise<void> {
  const sim = await startWazuhSimulator(options);
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

const rejectsWith = rejectsWithKind;

const serverCalls = (sim: WazuhSimulator, path: string) => sim.requests.filter((r) => r.path === path);
const searches = (sim: WazuhSimulator, index: string) => sim.indexer.requests.filter((r) => r.path === `/${index}/_search`).map((r) => JSON.parse(r.body) as Record<string, any>);

describe('Wazuh provider: pure helpers', () => {
  test('rule.level → severity table', () => {
    const table = Array.from({ length: 16 }, (_, level) => levelSeverity(level));
    assert.deepEqual(table, ['info', 'info', 'info', 'info', 'low', 'low', 'low', 'medium', 'medium', 'medium', 'high', 'high', 'critical', 'critical', 'critical', 'critical']);
  });

  test('vulnerability.severity → severity table', () => {
    assert.equal(vulnerabilitySeverity('Critical', 9.8), 'critical');
    assert.equal(vulnerabilitySeverity('High', 7.5), 'high');
    assert.equal(vulnerabilitySeverity('Medium', 5.9), 'medium');
    assert.equal(vulnerabilitySeverity('Low', 3.1), 'low');
    assert.equal(vulnerabilitySeverity('Untriaged', null), 'medium');
    assert.equal(vulnerabilitySeverity('-', 9.1), 'critical');
    assert.equal(vulnerabilitySeverity('-', 7.0), 'high');
    assert.equal(vulnerabilitySeverity('-', 4.4), 'medium');
    assert.equal(vulnerabilitySeverity('-', 2.0), 'low');
    assert.equal(vulnerabilitySeverity('-', null), 'info');
    assert.equal(vulnerabilitySeverity(undefined, null), 'info');
  });

  test('summary shapes: nested (4.4+) and flat (4.0-4.3); garbage is bad_response', () => {
    const counts = { active: 8, disconnected: 1, never_connected: 2, pending: 0, total: 11 };
    assert.deepEqual(parseSummary({ connection: counts, configuration: { synced: 8, not_synced: 3, total: 11 } }), counts);
    assert.deepEqual(parseSummary(counts), counts);
    assert.throws(() => parseSummary({ affected_items: [] }), (e: unknown) => e instanceof ProviderError && e.kind === 'bad_response');
    assert.throws(() => parseSummary({ connection: { active: 'x' } }), (e: unknown) => e instanceof ProviderError && e.kind === 'bad_response');
  });

  test('status rule', () => {
    const c = (active: number, disconnected: number, pending = 0, never = 0) => ({ active, disconnected, pending, never_connected: never, total: active + disconnected + pending + never });
    assert.equal(deriveStatus(c(10, 0), []).status, 'online');
    assert.equal(deriveStatus(c(9, 1), []).status, 'warning');
    assert.equal(deriveStatus(c(5, 5), []).status, 'warning'); // exactly half is not "more than half"
    assert.equal(deriveStatus(c(4, 6), []).status, 'alert');
    assert.equal(deriveStatus(c(0, 0), []).status, 'alert');
    assert.equal(deriveStatus(c(8, 0, 1, 1), []).status, 'online'); // pending / never connected do not degrade
    const down = deriveStatus(c(10, 0), [{ name: 'wazuh-analysisd', state: 'stopped' }]);
    assert.deepEqual(down, { status: 'alert', summary: 'manager daemon not running: wazuh-analysisd (stopped); 10 of 10 agents active' });
  });

  test('times: Wazuh "+0000", zone-less and epoch ms', () => {
    assert.equal(parseTime('2024-05-14T10:21:33.123+0000'), Date.UTC(2024, 4, 14, 10, 21, 33, 123));
    assert.equal(parseTime('2024-05-14 10:21:33'), Date.UTC(2024, 4, 14, 10, 21, 33));
    assert.equal(parseTime('2021-05-26T12:40:40Z'), Date.UTC(2021, 4, 26, 12, 40, 40));
    assert.equal(parseTime(1715682093123), 1715682093123);
    assert.equal(parseTime('nope'), undefined);
  });

  test('token expiry from the JWT (exp - nbf), else 900 s, refreshed early', () => {
    const jwt = (payload: object) => `x.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.y`;
    const now = 1_000_000;
    assert.equal(tokenExpiry(jwt({ nbf: 100, exp: 1000 }), now), now + 900_000 - 60_000);
    assert.equal(tokenExpiry(jwt({ nbf: 100, exp: 110 }), now), now + 10_000 - 1_000);
    assert.equal(tokenExpiry('opaque-token', now), now + 900_000 - 60_000);
  });
});

describe('Wazuh provider against the simulator', () => {
  let sim: WazuhSimulator;
  before(async () => {
    sim = await startWazuhSimulator();
  });
  after(async () => {
    await sim.close();
  });

  test('check: both parts reachable with good credentials', async () => {
    const result = await provider.check(ctxFor(sim));
    assert.equal(result.ok, true, result.detail);
    assert.match(result.detail, /^server API ok \(13 agents registered, the manager included\); indexer ok \(cluster wazuh-cluster, version 7\.10\.2\)$/);
    assert.ok(result.latency_ms >= 0);
  });

  test('check: a bad server password fails the server part only, without leaking the password', async () => {
    const result = await provider.check(ctxFor(sim, { password: 'wrong-Passw0rd' }));
    assert.equal(result.ok, false);
    assert.match(result.detail, /server API failed: Wazuh server API rejected the credentials of user "wazuh-wui" \(HTTP 401\): Unauthorized: Invalid credentials/);
    assert.match(result.detail, /indexer ok/);
    assert.equal(result.reason, 'auth');
    assert.ok(!result.detail.includes('wrong-Passw0rd'));
  });

  test('check: a bad indexer password fails the indexer part only', async () => {
    const result = await provider.check(ctxFor(sim, { indexerPassword: 'bad-indexer-pw' }));
    assert.equal(result.ok, false);
    assert.match(result.detail, /^server API ok/);
    assert.match(result.detail, /indexer failed: Wazuh indexer rejected the credentials of user "admin" \(HTTP 401\)/);
    assert.equal(result.reason, 'auth');
    assert.ok(!result.detail.includes('bad-indexer-pw'));
  });

  test('check: a missing secret is reported, not thrown', async () => {
    const ctx = ctxFor(sim);
    ctx.secret = 'just-a-string';
    const result = await provider.check(ctx);
    assert.equal(result.ok, false);
    assert.match(result.detail, /password and indexer_password/);
  });

  test('fetchStatus: default data (manager + 12 agents in all four states)', async () => {
    const report = await provider.fetchStatus(ctxFor(sim));
    assert.equal(report.status, 'warning');
    assert.equal(report.summary, '8 of 12 agents active, 2 disconnected, 1 pending, 1 never connected');
    assert.equal(report.assets.length, 13);
    const byId = new Map(report.assets.map((a) => [a.external_id, a]));
    const manager = byId.get('000')!;
    assert.equal(manager.kind, 'manager');
    assert.equal(manager.status, 'online');
    assert.equal(manager.detail?.lastKeepAlive, null);
    assert.equal((manager.detail?.daemons as Record<string, string>)['wazuh-analysisd'], 'running');
    assert.deepEqual(
      ['001', '008', '011', '012'].map((id) => [byId.get(id)?.kind, byId.get(id)?.status]),
      [['agent', 'online'], ['agent', 'offline'], ['agent', 'warning'], ['agent', 'unknown']],
    );
    const web01 = byId.get('001')!;
    assert.equal(web01.name, 'web-01');
    assert.deepEqual({ ...web01.detail, lastKeepAlive: typeof web01.detail?.lastKeepAlive, dateAdd: typeof web01.detail?.dateAdd }, {
      wazuh_status: 'active', ip: '10.0.1.11', os: 'Ubuntu 22.04.4 LTS', platform: 'ubuntu', version: 'Wazuh v4.9.2',
      lastKeepAlive: 'string', dateAdd: 'string', groups: ['default'], node: 'node01',
    });
    const never = byId.get('012')!;
    assert.deepEqual([never.detail?.os, never.detail?.version, never.detail?.lastKeepAlive], [null, null, null]);
    // analysisd started 3 days 5 hours ago
    assert.ok(report.metrics.uptime !== null && Math.abs(report.metrics.uptime - (3 * 86_400 + 5 * 3600)) < 10, String(report.metrics.uptime));
    assert.equal(typeof report.metrics.response_time_avg, 'number');
  });

  test('fetchStatus: the flat v4.0-4.3 summary gives the same report', async () => {
    sim.settings.summaryFormat = 'flat';
    try {
      const report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, '8 of 12 agents active, 2 disconnected, 1 pending, 1 never connected');
    } finally {
      sim.settings.summaryFormat = 'nested';
    }
  });

  test('token reuse: two syncs authenticate once; concurrent calls share one authentication', async () => {
    const ctx = ctxFor(sim);
    const before = sim.counters.authenticate;
    await provider.fetchStatus(ctx);
    await provider.fetchStatus(ctx);
    assert.equal(sim.counters.authenticate - before, 1);
    const other = ctxFor(sim);
    await Promise.all([provider.fetchStatus(other), provider.fetchStatus(other), provider.fetchStatus(other)]);
    assert.equal(sim.counters.authenticate - before, 2);
    const authz = serverCalls(sim, '/agents').map((r) => r.headers.authorization);
    assert.ok(authz.length > 0 && authz.every((h) => typeof h === 'string' && h.startsWith('Bearer ')));
  });

  test('a revoked token (401) re-authenticates once and retries', async () => {
    const ctx = ctxFor(sim);
    await provider.fetchStatus(ctx);
    const auth = sim.counters.authenticate;
    const rejected = sim.counters.tokenRejected;
    sim.revokeTokens();
    const report = await provider.fetchStatus(ctx);
    assert.equal(report.status, 'warning');
    assert.equal(sim.counters.authenticate - auth, 1);
    assert.equal(sim.counters.tokenRejected - rejected, 1);
  });

  test('alerts: level >= 7 in the last 24 h, newest first, exact normalisation', async () => {
    const ctx = ctxFor(sim);
    const alerts = await fetchAlerts(ctx, undefined);
    assert.deepEqual(alerts.map((a) => [a.source.split(' ')[1], a.severity, a.vendor_severity]), [
      ['5712', 'high', 'level 10'],
      ['31151', 'high', 'level 10'],
      ['100100', 'medium', 'level 8'],
      ['550', 'medium', 'level 7'],
      ['87105', 'critical', 'level 12'],
      ['23506', 'critical', 'level 13'],
      ['60204', 'high', 'level 10'],
      ['92213', 'critical', 'level 15'],
      ['510', 'medium', 'level 7'],
    ]);
    const source = sim.data.alerts[0] as Record<string, any>;
    assert.deepEqual(alerts[0], {
      external_id: source.id,
      title: 'sshd: brute force trying to get access to the system. Non existent user.',
      description: 'May 14 10:21:33 web-01 sshd[1234]: Invalid user admin from 203.0.113.7 port 51514',
      severity: 'high',
      vendor_severity: 'level 10',
      source: 'rule 5712 (syslog, sshd, authentication_failures)',
      time: Date.parse(source['@timestamp']),
      asset: 'web-01',
    } satisfies NormalizedAlert);
    const vd = alerts.find((a) => a.source.startsWith('rule 23506'))!;
    assert.equal(vd.description, 'CVE-2024-3094 affects xz-utils (vulnerability-detector)'); // no full_log
    const [body] = searches(sim, 'wazuh-alerts-4.x-*').slice(-1);
    assert.deepEqual(body!.query, { bool: { filter: [{ range: { timestamp: { gte: 'now-24h' } } }, { range: { 'rule.level': { gte: 7 } } }] } });
    assert.deepEqual(body!.sort[0], { timestamp: { order: 'desc' } });
    const request = sim.indexer.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.match(String(request.headers.authorization), /^Basic /);
    // the same alerts keep the same ids
    const again = await fetchAlerts(ctx, undefined);
    assert.deepEqual(again.map((a) => a.external_id), alerts.map((a) => a.external_id));
  });

  test('alerts: `since` narrows the window (minus 5 min of overlap), clamped to 7 days', async () => {
    const ctx = ctxFor(sim);
    const recent = await fetchAlerts(ctx, Date.now() - 35 * 60_000);
    assert.deepEqual(recent.map((a) => a.source.split(' ')[1]), ['5712', '31151']);
    const [body] = searches(sim, 'wazuh-alerts-4.x-*').slice(-1);
    const gte = body!.query.bool.filter[0].range.timestamp.gte as string;
    assert.ok(Math.abs(Date.parse(gte) - (Date.now() - 40 * 60_000)) < 5_000, gte);
    const old = await fetchAlerts(ctx, Date.now() - 30 * 86_400_000);
    assert.equal(old.length, 10); // the 30 h old level 10 alert comes in too
    const [oldBody] = searches(sim, 'wazuh-alerts-4.x-*').slice(-1);
    assert.ok(Math.abs(Date.parse(oldBody!.query.bool.filter[0].range.timestamp.gte) - (Date.now() - 7 * 86_400_000)) < 5_000);
  });

  test('vulnerabilities: exact normalisation and the severity table', async () => {
    const ctx = ctxFor(sim);
    const findings = await fetchVulnerabilities(ctx);
    assert.equal(findings.length, 10);
    const byId = new Map(findings.map((f) => [f.external_id, f]));
    const xz = sim.data.vulnerabilities.find((v: any) => v.vulnerability.id === 'CVE-2024-3094') as any;
    assert.deepEqual(byId.get('002:CVE-2024-3094:xz-utils'), {
      external_id: '002:CVE-2024-3094:xz-utils',
      cve: 'CVE-2024-3094',
      title: 'Malicious code was discovered in the upstream tarballs of xz, starting with version 5.6.0.',
      severity: 'critical',
      vendor_severity: xz.vulnerability.severity,
      cvss_score: 10,
      asset: 'web-02',
      package: 'xz-utils',
      version: '5.6.0-0.2',
      fixed_version: '5.6.1+really5.4.5-1',
      detected_at: Date.parse(xz.vulnerability.detected_at),
    });
    const summary = findings.map((f) => [f.external_id, f.severity, f.cvss_score, f.fixed_version]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(summary, [
      ['001:CVE-2023-38546:curl', 'low', 3.7, '7.81.0-1ubuntu1.15'],
      ['001:CVE-2024-2511:openssl', 'medium', 5.9, '3.0.2-0ubuntu1.16'],
      ['002:CVE-2024-2511:openssl', 'medium', 5.9, '3.0.2-0ubuntu1.16'],
      ['002:CVE-2024-3094:xz-utils', 'critical', 10, '5.6.1+really5.4.5-1'],
      ['003:CVE-2023-4911:glibc', 'high', 7.8, '2.34-83.el9_3.7'],
      ['003:CVE-2024-37891:python3-urllib3', 'medium', 4.4, null], // "-" scored 4.4 → from CVSS
      ['004:CVE-2024-21338:Microsoft Windows Server 2022 Datacenter', 'high', 7.8, '10.0.20348.2322'],
      ['005:CVE-2024-2883:Google Chrome', 'critical', 9.8, '123.0.6312.86'],
      ['006:CVE-2024-28757:libexpat1', 'info', null, null], // "-" unscored; "less than or equal" has no fix
      ['007:CVE-2024-21626:runc', 'medium', 8.6, null], // Untriaged → medium (the merge then takes the CVSS band, high); "Package default status"
    ]);
    assert.equal(byId.get('003:CVE-2024-37891:python3-urllib3')?.title, 'CVE-2024-37891 in python3-urllib3 1.26.5-3.el9');
    const runc = byId.get('007:CVE-2024-21626:runc')!;
    assert.ok(runc.title.length <= 200 && runc.title.endsWith('…'), runc.title);
  });

  test('vulnerabilities: a fixed finding disappears from the next sync', async () => {
    const ctx = ctxFor(sim);
    const index = sim.data.vulnerabilities.findIndex((v: any) => v.vulnerability.id === 'CVE-2024-3094');
    const [removed] = sim.data.vulnerabilities.splice(index, 1);
    try {
      const findings = await fetchVulnerabilities(ctx);
      assert.equal(findings.length, 9);
      assert.ok(!findings.some((f) => f.cve === 'CVE-2024-3094'));
    } finally {
      sim.data.vulnerabilities.splice(index, 0, removed!);
    }
  });

  test('the indexer denies the search (403) → auth', async () => {
    sim.settings.indexerForbidden = true;
    try {
      await rejectsWith(fetchVulnerabilities(ctxFor(sim)), 'auth', /user "admin" may not call POST \/wazuh-states-vulnerabilities-\*\/_search \(HTTP 403\): no permissions/);
    } finally {
      sim.settings.indexerForbidden = false;
    }
  });

  test('the server API denies /agents (RBAC 403) → auth', async () => {
    sim.settings.forbiddenPaths = ['/agents'];
    try {
      await rejectsWith(provider.fetchStatus(ctxFor(sim)), 'auth', /may not call GET \/agents \(HTTP 403\): Permission Denied/);
    } finally {
      sim.settings.forbiddenPaths = [];
    }
  });

  test('wrong credentials → auth, with no secret in the message', async () => {
    const error = await rejectsWith(provider.fetchStatus(ctxFor(sim, { password: 'Secr3t-Wrong' })), 'auth', /Invalid credentials/);
    assert.ok(!error.message.includes('Secr3t-Wrong'));
    const indexerError = await rejectsWith(fetchAlerts(ctxFor(sim, { indexerPassword: 'Idx-Wrong' }), undefined), 'auth', /Wazuh indexer rejected the credentials/);
    assert.ok(!indexerError.message.includes('Idx-Wrong'));
  });

  test('a missing secret → config', async () => {
    const ctx = ctxFor(sim);
    ctx.secret = { password: 'only-one' };
    await rejectsWith(provider.fetchStatus(ctx), 'config');
  });
});

describe('Wazuh provider: status rules, pagination and failures', () => {
  test('more than half disconnected → alert; no agents → alert; a stopped daemon → alert', async () => {
    const now = Date.now();
    await withSim({}, async (sim) => {
      sim.data.agents = [makeManager(now), ...Array.from({ length: 10 }, (_, i) => makeAgent(i + 1, i < 6 ? 'disconnected' : 'active', {}, now))];
      let report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'alert');
      assert.equal(report.summary, '4 of 10 agents active, 6 disconnected: more than half of the agents are disconnected');

      sim.data.agents = [makeManager(now), ...Array.from({ length: 4 }, (_, i) => makeAgent(i + 1, 'active', {}, now))];
      report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'online');
      assert.equal(report.summary, '4 of 4 agents active');

      sim.data.agents = [makeManager(now)];
      report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'alert');
      assert.equal(report.summary, 'no agents registered with the manager');
      assert.deepEqual(report.assets.map((a) => a.kind), ['manager']);

      sim.data.agents = buildWazuhData(now).agents;
      sim.data.daemons['wazuh-analysisd'] = 'stopped';
      report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'alert');
      assert.match(report.summary, /^manager daemon not running: wazuh-analysisd \(stopped\); 8 of 12 agents active/);
      assert.equal(report.assets.find((a) => a.kind === 'manager')?.status, 'warning');
    });
  });

  test('no permission on /manager/status and a pre-4.4 manager: still a report, uptime null', async () => {
    await withSim({ settings: { forbiddenPaths: ['/manager/status'], daemonStatsAvailable: false } }, async (sim) => {
      const report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, '8 of 12 agents active, 2 disconnected, 1 pending, 1 never connected (manager daemons not readable by this user)');
      assert.equal(report.metrics.uptime, null);
    });
  });

  test('agents pagination: 1200 agents over three pages of 500', async () => {
    const now = Date.now();
    const agents = [makeManager(now), ...Array.from({ length: 1200 }, (_, i) => makeAgent(i + 1, i % 100 === 0 ? 'disconnected' : 'active', {}, now))];
    await withSim({ data: { ...buildWazuhData(now), agents } }, async (sim) => {
      const report = await provider.fetchStatus(ctxFor(sim));
      assert.equal(report.assets.length, 1201);
      assert.equal(new Set(report.assets.map((a) => a.external_id)).size, 1201);
      const pages = serverCalls(sim, '/agents').map((r) => [r.query.get('offset'), r.query.get('limit')]);
      assert.deepEqual(pages, [['0', '500'], ['500', '500'], ['1000', '500']]);
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, '1188 of 1200 agents active, 12 disconnected');
    });
  });

  test('alerts pagination with search_after; vulnerabilities pagination', async () => {
    const now = Date.now();
    await withSim({}, async (sim) => {
      for (let i = 0; i < 1200; i++) {
        // many share a timestamp: the id tie-breaker keeps search_after exact
        sim.data.alerts.push(makeAlert({ at: now - 60_000 - Math.floor(i / 4) * 1000, level: 9, ruleId: '100200', description: `burst ${i}`, agent: { id: '001', name: 'web-01' } }));
      }
      const alerts = await fetchAlerts(ctxFor(sim), undefined);
      assert.equal(alerts.length, 1209);
      assert.equal(new Set(alerts.map((a) => a.external_id)).size, 1209);
      const bodies = searches(sim, 'wazuh-alerts-4.x-*');
      assert.equal(bodies.length, 3);
      assert.equal(bodies[0]!.search_after, undefined);
      assert.ok(Array.isArray(bodies[1]!.search_after) && Array.isArray(bodies[2]!.search_after));
      assert.ok(alerts.every((a, i) => i === 0 || alerts[i - 1]!.time! >= a.time!));

      for (let i = 0; i < 2500; i++) {
        sim.data.vulnerabilities.push(makeVulnerability({ agent: { id: String(100 + (i % 50)).padStart(3, '0'), name: `host-${i % 50}` }, cve: `CVE-2024-${String(10_000 + i)}`, severity: 'High', score: 7.5, pkg: `pkg-${i % 7}`, version: '1.0', detectedAt: now }));
      }
      const findings = await fetchVulnerabilities(ctxFor(sim));
      assert.equal(findings.length, 2510);
      assert.equal(searches(sim, 'wazuh-states-vulnerabilities-*').length, 3);
    });
  });

  test('the per-minute limit: 429 error 6001 without Retry-After, retried after backoff', async () => {
    await withSim({ settings: { maxRequestsPerMinute: 1 } }, async (sim) => {
      await fetch(`${sim.url}/`);
      const res = await fetch(`${sim.url}/`);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), null);
      assert.match(String(res.headers.get('content-type')), /^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.title, 'Too Many Requests');
      assert.equal(body.detail, 'Maximum number of requests per minute reached');
      assert.equal(body.error, 6001);
    });
    await withSim({ settings: { maxRequestsPerMinute: 3, rateWindowMs: 40 } }, async (sim) => {
      const report = await provider.fetchStatus(ctxFor(sim, { maxRetries: 6 }));
      assert.equal(report.status, 'warning');
      assert.ok(sim.counters.rateLimited > 0);
    });
    await withSim({ settings: { maxRequestsPerMinute: 2 } }, async (sim) => {
      await rejectsWith(provider.fetchStatus(ctxFor(sim, { maxRetries: 2 })), 'rate_limited', /^Wazuh server API: rate limited/);
    });
  });

  test('429 with Retry-After (indexer) is honoured and succeeds', async () => {
    await withSim({}, async (sim) => {
      sim.indexer.faults.rateLimit = { count: 1, retryAfterSeconds: 1 };
      const started = Date.now();
      const findings = await fetchVulnerabilities(ctxFor(sim));
      assert.equal(findings.length, 10);
      assert.ok(Date.now() - started >= 900);
    });
  });

  test('503 is retried then succeeds; a 500 → vendor_error; bad JSON → bad_response', async () => {
    await withSim({}, async (sim) => {
      sim.faults.pathPrefix = '/agents';
      sim.faults.status = { code: 503, count: 2 };
      assert.equal((await provider.fetchStatus(ctxFor(sim))).status, 'warning');

      sim.faults.status = { code: 500, count: 5 };
      await rejectsWith(provider.fetchStatus(ctxFor(sim)), 'vendor_error', /^Wazuh server API: vendor error \(HTTP 500\).*Wazuh Internal Error/);
      sim.faults.status = undefined;

      sim.faults.badJson = { count: 1 };
      await rejectsWith(provider.fetchStatus(ctxFor(sim)), 'bad_response');

      sim.indexer.faults.badJson = { count: 1 };
      await rejectsWith(fetchAlerts(ctxFor(sim), undefined), 'bad_response');
      sim.indexer.faults.status = { code: 500, count: 1 };
      await rejectsWith(fetchAlerts(ctxFor(sim), undefined), 'vendor_error', /^Wazuh indexer: vendor error \(HTTP 500\)/);
    });
  });

  test('timeouts on either side → timeout', async () => {
    await withSim({}, async (sim) => {
      sim.faults.latencyMs = 400;
      await rejectsWith(provider.fetchStatus(ctxFor(sim, { timeoutMs: 150 })), 'timeout');
      sim.faults.latencyMs = 0;
      sim.indexer.faults.latencyMs = 400;
      await rejectsWith(fetchVulnerabilities(ctxFor(sim, { timeoutMs: 150 })), 'timeout', /^Wazuh indexer: no answer within 150 ms/);
    });
  });

  test('unreachable (closed ports): check reports both parts, calls throw unreachable', async () => {
    const sim = await startWazuhSimulator();
    const ctx = ctxFor(sim, { maxRetries: 0 });
    await sim.close();
    const result = await provider.check(ctx);
    assert.equal(result.ok, false);
    assert.match(result.detail, /^server API failed: Wazuh server API: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED; indexer failed: Wazuh indexer: cannot reach/);
    await rejectsWith(provider.fetchStatus(ctx), 'unreachable');
    await rejectsWith(fetchAlerts(ctx, undefined), 'unreachable');
  });

  test('too many failed logins block the IP (403, error 6000) → auth, even with the right password', async () => {
    await withSim({ settings: { maxLoginAttempts: 2 } }, async (sim) => {
      await rejectsWith(provider.fetchStatus(ctxFor(sim, { password: 'nope-1' })), 'auth', /Invalid credentials/);
      await rejectsWith(provider.fetchStatus(ctxFor(sim, { password: 'nope-2' })), 'auth', /Invalid credentials/);
      await rejectsWith(provider.fetchStatus(ctxFor(sim)), 'auth', /\(HTTP 403\): Permission Denied: Limit of login attempts reached/);
      const result = await provider.check(ctxFor(sim));
      assert.equal(result.ok, false);
      assert.match(result.detail, /current IP has been blocked/);
    });
  });

  test('token expiry: a token past its lifetime is replaced before use', async () => {
    await withSim({ settings: { tokenTtlSeconds: 2 } }, async (sim) => {
      const ctx = ctxFor(sim);
      await provider.fetchStatus(ctx);
      assert.equal(sim.counters.authenticate, 1);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await provider.fetchStatus(ctx);
      assert.equal(sim.counters.authenticate, 2);
      assert.equal(sim.counters.tokenRejected, 0); // refreshed proactively, not after a 401
    });
  });
});
