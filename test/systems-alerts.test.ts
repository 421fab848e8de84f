import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { makeAlert, makeAsset, makeSystem } from './helpers/factories.ts';
import { forEachDialect, type TestTenant } from './helpers/suite.ts';

const HOUR = 3_600_000;

forEachDialect('systems and alerts API', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Dashboard', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  const systems: Record<string, string> = {};
  const alerts: Record<string, string> = {};
  const now = Date.now();

  /** A system with two assets and the given alerts. */
  async function seed(tenant: TestTenant, name: string, status: string, alertSpecs: { key: string; severity: string; source: string; status?: string; ageHours: number }[]) {
    const { id: systemId, integrationId } = await makeSystem(ctx.server, tenant, { name, status, status_summary: `${name} is ${status}`, uptime_seconds: 3600, response_time_avg_ms: 12 });
    await makeAsset(ctx.server, tenant.id, systemId, { external_id: `${name}-a1`, name: `${name} agent 1`, status: 'online', detail: JSON.stringify({ ip: '10.0.0.1' }) });
    await makeAsset(ctx.server, tenant.id, systemId, { external_id: `${name}-a2`, name: `${name} agent 2`, status: 'offline' });
    for (const spec of alertSpecs) {
      alerts[spec.key] = await makeAlert(ctx.server, tenant.id, {
        integration_id: integrationId, system_id: systemId, external_id: spec.key, title: `Alert ${spec.key}`, description: `About ${spec.key}`,
        severity: spec.severity, vendor_severity: spec.severity.toUpperCase(), source: spec.source, asset: 'web-01', status: spec.status ?? 'active',
        first_seen: now - spec.ageHours * HOUR, resolved_at: spec.status === 'resolved' ? now - spec.ageHours * HOUR : null,
      });
    }
    systems[name] = systemId;
  }

  before(async () => {
    await seed(ctx.a, 'Palo Alto Firewall', 'alert', [
      { key: 'pa-1', severity: 'critical', source: 'threat', ageHours: 1 },
      { key: 'pa-2', severity: 'high', source: 'threat', ageHours: 2 },
      { key: 'pa-3', severity: 'low', source: 'threat', ageHours: 3, status: 'resolved' },
    ]);
    await seed(ctx.a, 'Splunk', 'online', [{ key: 'sp-1', severity: 'medium', source: 'notable', ageHours: 5 }]);
    await seed(ctx.a, 'Wazuh', 'warning', Array.from({ length: 7 }, (_, i) => ({ key: `wz-${i}`, severity: 'info', source: 'rule 5712', ageHours: 10 + i })));
    await seed(ctx.b, 'B firewall', 'alert', [{ key: 'b-1', severity: 'critical', source: 'threat', ageHours: 1 }]);
  });

  it('counts systems by status for the caller\'s tenant only', async () => {
    const counts = await ctx.server.api.get('/api/v1/systems/status', ctx.a.viewer.token);
    assert.equal(counts.status, 200, counts.text);
    assert.deepEqual(counts.body, { online: 1, warning: 1, alert: 1, total: 3 });
    assert.deepEqual((await ctx.server.api.get('/api/v1/systems/status', ctx.b.admin.token)).body, { online: 0, warning: 0, alert: 1, total: 1 });
    assert.deepEqual((await ctx.server.api.get(`/api/v1/systems/status?tenant_id=${ctx.a.id}`, ctx.superAdmin)).body, { online: 1, warning: 1, alert: 1, total: 3 });
  });

  it('lists systems in the dashboard\'s shape with their recent open alerts, filterable', async () => {
    const list = await ctx.server.api.get('/api/v1/systems', ctx.a.viewer.token);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.items.length, 3);
    const pa = list.body.items.find((s: { system: string }) => s.system === 'Palo Alto Firewall');
    assert.equal(pa.status, 'alert');
    assert.deepEqual(pa.metrics, { uptime: null, uptime_window_days: 30, uptime_seconds: 3600, vendor_api_latency_ms: 12 }, 'no sync history yet: availability unknown');
    assert.deepEqual(pa.alerts.map((a: { id: string }) => a.id), [alerts['pa-1'], alerts['pa-2']], 'open alerts only, newest first');
    assert.deepEqual(Object.keys(pa.alerts[0]).sort(), ['id', 'last_seen', 'severity', 'source', 'title']);
    const wazuh = list.body.items.find((s: { system: string }) => s.system === 'Wazuh');
    assert.equal(wazuh.alerts.length, 5, 'at most 5 per system');
    assert.deepEqual((await ctx.server.api.get('/api/v1/systems?status=warning', ctx.a.viewer.token)).body.items.map((s: { system: string }) => s.system), ['Wazuh']);
    assert.equal((await ctx.server.api.get('/api/v1/systems?type=paloalto', ctx.a.viewer.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get('/api/v1/systems?status=down', ctx.a.viewer.token)).status, 400);
    assert.equal((await ctx.server.api.get(`/api/v1/systems?since=${encodeURIComponent(new Date(now + 60_000).toISOString())}`, ctx.a.viewer.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/systems?since=${encodeURIComponent(new Date(now - 60_000).toISOString())}`, ctx.a.viewer.token)).body.items.length, 3);
  });

  it('shows one system with its assets and their own status', async () => {
    const detail = await ctx.server.api.get(`/api/v1/systems/${systems.Wazuh}`, ctx.a.viewer.token);
    assert.equal(detail.status, 200, detail.text);
    assert.deepEqual(detail.body.assets.map((a: { name: string; status: string }) => [a.name, a.status]), [['Wazuh agent 1', 'online'], ['Wazuh agent 2', 'offline']]);
    assert.deepEqual(detail.body.assets[0].detail, { ip: '10.0.0.1' });
  });

  it('lists open alerts newest first with filters and cursor paging', async () => {
    const active = await ctx.server.api.get('/api/v1/alerts/active?limit=500', ctx.a.viewer.token);
    assert.equal(active.status, 200, active.text);
    assert.equal(active.body.items.length, 10, '3 + 1 + 7 seeded, minus 1 resolved');
    assert.ok(active.body.items.every((a: { status: string }) => a.status !== 'resolved'));
    assert.deepEqual(active.body.items.slice(0, 2).map((a: { id: string }) => a.id), [alerts['pa-1'], alerts['pa-2']]);
    assert.deepEqual((await ctx.server.api.get('/api/v1/alerts/active?severity=critical', ctx.a.viewer.token)).body.items.map((a: { id: string }) => a.id), [alerts['pa-1']]);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/active?system_id=${systems.Wazuh}&limit=500`, ctx.a.viewer.token)).body.items.length, 7);
    assert.equal((await ctx.server.api.get('/api/v1/alerts/active?source=notable', ctx.a.viewer.token)).body.items.length, 1);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await ctx.server.api.get(`/api/v1/alerts/active?limit=3${cursor ? `&cursor=${cursor}` : ''}`, ctx.a.viewer.token);
      pages.push(...page.body.items.map((a) => a.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    assert.equal(pages.length, 10);
    assert.equal(new Set(pages).size, 10);
    const all = await ctx.server.api.get('/api/v1/alerts?status=resolved', ctx.a.viewer.token);
    assert.deepEqual(all.body.items.map((a: { id: string }) => a.id), [alerts['pa-3']]);
    const window = await ctx.server.api.get(`/api/v1/alerts?from=${encodeURIComponent(new Date(now - 4 * HOUR).toISOString())}&limit=500`, ctx.a.viewer.token);
    assert.equal(window.body.items.length, 3, 'pa-1..3 were last seen within 4 hours');
    for (const bad of ['severity=urgent', 'system_id=x', 'since=yesterday', 'limit=0', 'status=open', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z']) {
      assert.equal((await ctx.server.api.get(`/api/v1/alerts?${bad}`, ctx.a.viewer.token)).status, 400, bad);
    }
  });

  it('acknowledges and resolves with 409 on repeated or impossible transitions, and polls by `since`', async () => {
    const before = new Date().toISOString();
    const ack = await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, ctx.a.operator.token);
    assert.equal(ack.status, 200, ack.text);
    assert.equal(ack.body.status, 'acknowledged');
    assert.equal(ack.body.acknowledged_by, ctx.a.operator.id);
    assert.ok(ack.body.acknowledged_at);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, ctx.a.operator.token)).status, 409);
    const changed = await ctx.server.api.get(`/api/v1/alerts/active?since=${encodeURIComponent(before)}`, ctx.a.viewer.token);
    assert.deepEqual(changed.body.items.map((a: { id: string }) => a.id), [alerts['pa-2']]);

    const resolved = await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-2']}/resolve`, { note: 'Blocked the source address' }, ctx.a.operator.token);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.status, 'resolved');
    assert.equal(resolved.body.resolution_note, 'Blocked the source address');
    assert.equal(resolved.body.resolved_by, ctx.a.operator.id);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-2']}/resolve`, {}, ctx.a.operator.token)).status, 409);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, ctx.a.operator.token)).status, 409);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['sp-1']}/resolve`, { note: 7 }, ctx.a.operator.token)).status, 400);
    const counts = await ctx.server.api.get('/api/v1/alerts/active?limit=500', ctx.a.viewer.token);
    assert.equal(counts.body.items.length, 9);
  });

  it('opens a ticket from an alert, linked to it, with the priority from its severity', async () => {
    const created = await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-1']}/ticket`, undefined, ctx.a.operator.token);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.alert_id, alerts['pa-1']);
    assert.equal(created.body.priority, 'critical');
    assert.equal(created.body.title, '[critical] Alert pa-1');
    assert.equal(created.body.tenant_id, ctx.a.id);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['pa-1']}/ticket`, undefined, ctx.a.viewer.token)).status, 403);
  });

  it('another tenant\'s systems and alerts are 404 on every route and stay untouched', async () => {
    const theirs = alerts['b-1']!;
    const theirSystem = systems['B firewall']!;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/systems/${theirSystem}`],
      ['GET', `/api/v1/alerts/${theirs}`],
      ['POST', `/api/v1/alerts/${theirs}/acknowledge`],
      ['POST', `/api/v1/alerts/${theirs}/resolve`, {}],
      ['POST', `/api/v1/alerts/${theirs}/ticket`],
    ];
    for (const [method, url, body] of routes) {
      for (const suffix of ['', `?tenant_id=${ctx.b.id}`]) {
        const response = await ctx.server.api.request(method, url + suffix, { token: ctx.a.admin.token, ...(body ? { body } : {}) });
        assert.equal(response.status, 404, `${method} ${url}${suffix}`);
      }
    }
    for (const [url, ours] of [['/api/v1/alerts/active?limit=500', alerts['sp-1']], ['/api/v1/alerts?limit=500', alerts['sp-1']], ['/api/v1/systems?limit=500', systems.Splunk]] as const) {
      const response = await ctx.server.api.get(`${url}&tenant_id=${ctx.b.id}`, ctx.a.admin.token);
      assert.ok(response.body.items.some((item: { id: string }) => item.id === ours), `${url}: the caller's own rows are listed`);
      assert.ok(!response.text.includes(theirs) && !response.text.includes(theirSystem), url);
    }
    const linked = await ctx.server.api.post('/api/v1/tickets', { title: 'Link to their alert', alert_id: theirs }, ctx.a.admin.token);
    assert.equal(linked.status, 400, 'a ticket cannot reference another tenant\'s alert');
    assert.ok(linked.body.errors.some((e: { field: string }) => e.field === 'alert_id'));
    assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'Link to our alert', alert_id: alerts['sp-1'] }, ctx.a.admin.token)).status, 201);
    const still = await ctx.server.api.get(`/api/v1/alerts/${theirs}`, ctx.b.admin.token);
    assert.equal(still.body.status, 'active');
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?tenant_id=${ctx.b.id}`, ctx.superAdmin)).body.items.length, 0);
  });

  it('roles: VIEWER reads, cannot acknowledge; unauthenticated is 401; reads are audited', async () => {
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alerts['sp-1']}/acknowledge`, undefined, ctx.a.viewer.token)).status, 403);
    assert.equal((await ctx.server.api.get('/api/v1/alerts/active')).status, 401);
    assert.equal((await ctx.server.api.get('/api/v1/systems/status')).status, 401);
    const audit = await ctx.server.api.get('/api/v1/audit-logs?resource_type=alert&limit=500', ctx.a.admin.token);
    const actions = new Set(audit.body.items.map((e: { action: string }) => e.action));
    for (const action of ['alert.list_active', 'alert.list', 'alert.acknowledge', 'alert.resolve', 'alert.create_ticket', 'permission.denied']) assert.ok(actions.has(action), action);
    const systemsAudit = await ctx.server.api.get('/api/v1/audit-logs?resource_type=system&limit=500', ctx.a.admin.token);
    assert.ok(systemsAudit.body.items.some((e: { action: string }) => e.action === 'system.status_counts'));
  });
});
