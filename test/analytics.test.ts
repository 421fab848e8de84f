import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { makeAlert, makeSystem, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

const HOUR = 3_600_000;
const S = 1000;

forEachDialect('analytics', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Analytics', roles: ['ADMIN', 'VIEWER'] }, (ctx) => {
  const now = Date.now();
  const systems: Record<string, string> = {};
  const firstSeen: { severity: string; at: number }[] = [];

  const alert = (tenant: string, severity: string, at: number, ackAfterS: number | null, resolveAfterS: number | null) => makeAlert(ctx.server, tenant, {
    title: 't', severity, source: 's', first_seen: at,
    status: resolveAfterS !== null ? 'resolved' : ackAfterS !== null ? 'acknowledged' : 'active',
    acknowledged_at: ackAfterS === null ? null : at + ackAfterS * S, resolved_at: resolveAfterS === null ? null : at + resolveAfterS * S,
  });

  const vulnerability = (tenant: string, severity: string, score: number | null, status: string, systemId: string | null) => makeVulnerability(ctx.server, tenant, {
    title: 't', severity, cvss_score: score, status, system_id: systemId, resolved_at: status === 'resolved' ? now : null,
  });

  before(async () => {
    systems.alpha = (await makeSystem(ctx.server, ctx.a, { name: 'Alpha' })).id;
    systems.beta = (await makeSystem(ctx.server, ctx.a, { name: 'Beta' })).id;
    // Response times (seconds): critical ack 60/120/300, resolve 600/1200; high ack 30; info resolved after 100.
    const spec: [string, number, number | null, number | null][] = [
      ['critical', 2, 60, 600], ['critical', 3, 120, 1200], ['critical', 5, 300, null], ['high', 1, 30, null], ['info', 30, null, 100], ['medium', 50, null, null],
    ];
    for (const [severity, hoursAgo, ack, resolve] of spec) {
      const at = now - hoursAgo * HOUR;
      await alert(ctx.a.id, severity, at, ack, resolve);
      firstSeen.push({ severity, at });
    }
    // Older than 30 days: outside every default window.
    await alert(ctx.a.id, 'critical', now - 40 * 24 * HOUR, 5, 5);
    await alert(ctx.b.id, 'critical', now - HOUR, 1, 1);

    await vulnerability(ctx.a.id, 'critical', 9.8, 'open', systems.alpha);
    await vulnerability(ctx.a.id, 'high', 7.5, 'patching', systems.alpha);
    await vulnerability(ctx.a.id, 'medium', 5, 'open', systems.beta);
    await vulnerability(ctx.a.id, 'low', 0, 'open', systems.beta);
    await vulnerability(ctx.a.id, 'info', null, 'open', null);
    await vulnerability(ctx.a.id, 'critical', 9.9, 'resolved', systems.alpha);
    await vulnerability(ctx.b.id, 'critical', 10, 'open', null);
  });

  it('incidents: totals by severity and an hourly series that adds up', async () => {
    const response = await ctx.server.api.get('/api/v1/analytics/incidents?hours=24', ctx.a.viewer.token);
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.series.length, 24);
    assert.deepEqual(body.by_severity, { critical: 3, high: 1, medium: 0, low: 0, info: 0 }, 'alerts 30 h and 50 h old are outside 24 h');
    assert.equal(body.total, 4);
    const first = Math.floor(Date.parse(body.from) / HOUR);
    for (const { severity, at } of firstSeen.filter((f) => f.at >= Date.parse(body.from))) {
      assert.ok(body.series[Math.floor(at / HOUR) - first].by_severity[severity] >= 1, `${severity} at its hour`);
    }
    assert.equal(body.series.reduce((sum: number, s: { total: number }) => sum + s.total, 0), 4);
    const wide = await ctx.server.api.get('/api/v1/analytics/incidents?hours=72', ctx.a.viewer.token);
    assert.deepEqual(wide.body.by_severity, { critical: 3, high: 1, medium: 1, low: 0, info: 1 });
    for (const bad of ['hours=0', 'hours=721', 'hours=abc']) assert.equal((await ctx.server.api.get(`/api/v1/analytics/incidents?${bad}`, ctx.a.viewer.token)).status, 400, bad);
  });

  it('response time: mean and median to acknowledge and to resolve, overall and by severity', async () => {
    const response = await ctx.server.api.get('/api/v1/analytics/response-time?days=30', ctx.a.viewer.token);
    assert.equal(response.status, 200, response.text);
    const { overall, by_severity: bySeverity } = response.body;
    assert.deepEqual(overall.time_to_acknowledge, { count: 4, mean_seconds: 127.5, median_seconds: 90 });
    assert.deepEqual(overall.time_to_resolve, { count: 3, mean_seconds: 633.33, median_seconds: 600 });
    assert.deepEqual(bySeverity.critical.time_to_acknowledge, { count: 3, mean_seconds: 160, median_seconds: 120 });
    assert.deepEqual(bySeverity.critical.time_to_resolve, { count: 2, mean_seconds: 900, median_seconds: 900 });
    assert.deepEqual(bySeverity.high.time_to_resolve, { count: 0, mean_seconds: null, median_seconds: null });
    assert.deepEqual(bySeverity.info.time_to_resolve, { count: 1, mean_seconds: 100, median_seconds: 100 });
    const all = await ctx.server.api.get('/api/v1/analytics/response-time?days=60', ctx.a.viewer.token);
    assert.equal(all.body.overall.time_to_acknowledge.count, 5, 'the 40-day-old alert is inside 60 days');
  });

  it('vulnerability distribution: open ones by severity, CVSS band and system', async () => {
    const response = await ctx.server.api.get('/api/v1/analytics/vulnerability-distribution', ctx.a.viewer.token);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, {
      total: 5,
      by_severity: { critical: 1, high: 1, medium: 1, low: 1, info: 1 },
      by_cvss_band: { critical: 1, high: 1, medium: 1, low: 0, none: 1, unknown: 1 },
      by_severity_basis: { cvss: 0, vendor: 5 },
      severity_basis: response.body.severity_basis,
      accepted_risk: 0,
      by_system: [
        { system_id: systems.alpha, system: 'Alpha', count: 2 },
        { system_id: systems.beta, system: 'Beta', count: 2 },
        { system_id: null, system: null, count: 1 },
      ],
    });
  });

  it('security summary for assistants: open alerts most severe first, critical vulnerabilities, 24 h trend', async () => {
    const response = await ctx.server.api.get('/api/v1/context/security-summary', ctx.a.viewer.token);
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.tenant.name, 'Analytics A');
    assert.deepEqual({ ...body.systems, needing_attention: undefined }, { online: 2, warning: 0, alert: 0, total: 2, needing_attention: undefined });
    assert.deepEqual(body.systems.needing_attention, []);
    assert.equal(body.alerts.open, 3, 'one acknowledged critical, one acknowledged high, one active medium');
    assert.deepEqual(body.alerts.open_by_severity, { critical: 1, high: 1, medium: 1, low: 0, info: 0 });
    assert.deepEqual(body.alerts.most_important.map((a: { severity: string }) => a.severity), ['critical', 'high', 'medium']);
    assert.equal(body.vulnerabilities.open, 5);
    assert.deepEqual(body.vulnerabilities.critical.map((v: { cvss_score: number }) => v.cvss_score), [9.8]);
    assert.deepEqual(body.trend_24h, { alerts_opened: 4, alerts_opened_by_severity: { critical: 3, high: 1, medium: 0, low: 0, info: 0 }, alerts_resolved: 2 });
    const other = await ctx.server.api.get(`/api/v1/context/security-summary?tenant_id=${ctx.a.id}`, ctx.b.admin.token);
    assert.equal(other.body.alerts.open, 0, 'another tenant sees only its own posture');
  });

  it('counts only the caller\'s tenant, and audits the queries', async () => {
    const other = await ctx.server.api.get(`/api/v1/analytics/vulnerability-distribution?tenant_id=${ctx.a.id}`, ctx.b.admin.token);
    assert.equal(other.body.total, 1);
    assert.deepEqual((await ctx.server.api.get('/api/v1/analytics/incidents', ctx.b.admin.token)).body.by_severity, { critical: 1, high: 0, medium: 0, low: 0, info: 0 });
    assert.equal((await ctx.server.api.get('/api/v1/analytics/incidents')).status, 401);
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?tenant_id=${ctx.a.id}&resource_type=analytics&limit=500`, ctx.superAdmin);
    const actions = new Set(audit.body.items.map((e: { action: string }) => e.action));
    for (const action of ['analytics.incidents', 'analytics.response_time', 'analytics.vulnerability_distribution']) assert.ok(actions.has(action), action);
  });
});
