import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../src/platform/ids.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

const HOUR = 3_600_000;

for (const dialect of dialects()) {
  describe(`systems and alerts API (${dialect})`, () => {
    let server: TestServer;
    let admin: string;
    let tenantA: string;
    let tenantB: string;
    let adminA: { id: string; token: string };
    let operatorA: { id: string; token: string };
    let viewerA: { id: string; token: string };
    let adminB: { id: string; token: string };
    const systems: Record<string, string> = {};
    const alerts: Record<string, string> = {};
    const now = Date.now();

    /** One integration + system per entry, with fixed status, assets and alerts. */
    async function seed(tenantId: string, token: string, name: string, status: string, alertSpecs: { key: string; severity: string; source: string; status?: string; ageHours: number }[]) {
      const integration = await server.api.post('/api/v1/integrations', { name, type: 'grafana', config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_x', enabled: false }, token);
      assert.equal(integration.status, 201, integration.text);
      const systemId = newId(now);
      await server.db.kysely.insertInto('systems').values({
        id: systemId, tenant_id: tenantId, integration_id: integration.body.id, name, type: 'grafana', status, status_summary: `${name} is ${status}`,
        uptime_seconds: 3600, response_time_avg_ms: 12, last_seen: now, created_at: now, updated_at: now,
      }).execute();
      await server.db.kysely.insertInto('assets').values([
        { id: newId(now), tenant_id: tenantId, system_id: systemId, external_id: `${name}-a1`, name: `${name} agent 1`, kind: 'agent', status: 'online', detail: JSON.stringify({ ip: '10.0.0.1' }), last_seen: now, created_at: now, updated_at: now },
        { id: newId(now), tenant_id: tenantId, system_id: systemId, external_id: `${name}-a2`, name: `${name} agent 2`, kind: 'agent', status: 'offline', detail: null, last_seen: now, created_at: now, updated_at: now },
      ]).execute();
      for (const spec of alertSpecs) {
        const at = now - spec.ageHours * HOUR;
        const id = newId(at);
        alerts[spec.key] = id;
        await server.db.kysely.insertInto('alerts').values({
          id, tenant_id: tenantId, integration_id: integration.body.id, system_id: systemId, external_id: spec.key, title: `Alert ${spec.key}`, description: `About ${spec.key}`,
          severity: spec.severity, vendor_severity: spec.severity.toUpperCase(), source: spec.source, asset: 'web-01', status: spec.status ?? 'active', first_seen: at, last_seen: at,
          occurrences: 1, acknowledged_at: null, acknowledged_by: null, resolved_at: spec.status === 'resolved' ? at : null, resolved_by: null, resolution_note: null, created_at: at, updated_at: at,
        }).execute();
      }
      systems[name] = systemId;
    }

    before(async () => {
      server = await startServer(dialect, { SENTINEL_SYNC: 'off' });
      admin = await server.api.adminToken();
      tenantA = (await server.api.createTenant(admin, 'Dashboard A')).id;
      tenantB = (await server.api.createTenant(admin, 'Dashboard B')).id;
      adminA = await server.api.createUser(admin, tenantA, 'dash.admin.a', 'ADMIN');
      operatorA = await server.api.createUser(admin, tenantA, 'dash.operator.a', 'OPERATOR');
      viewerA = await server.api.createUser(admin, tenantA, 'dash.viewer.a', 'VIEWER');
      adminB = await server.api.createUser(admin, tenantB, 'dash.admin.b', 'ADMIN');
      await seed(tenantA, adminA.token, 'Palo Alto Firewall', 'alert', [
        { key: 'pa-1', severity: 'critical', source: 'threat', ageHours: 1 },
        { key: 'pa-2', severity: 'high', source: 'threat', ageHours: 2 },
        { key: 'pa-3', severity: 'low', source: 'threat', ageHours: 3, status: 'resolved' },
      ]);
      await seed(tenantA, adminA.token, 'Splunk', 'online', [{ key: 'sp-1', severity: 'medium', source: 'notable', ageHours: 5 }]);
      await seed(tenantA, adminA.token, 'Wazuh', 'warning', Array.from({ length: 7 }, (_, i) => ({ key: `wz-${i}`, severity: 'info', source: 'rule 5712', ageHours: 10 + i })));
      await seed(tenantB, adminB.token, 'B firewall', 'alert', [{ key: 'b-1', severity: 'critical', source: 'threat', ageHours: 1 }]);
    });
    after(() => server.close());

    it('counts systems by status for the caller\'s tenant only', async () => {
      const counts = await server.api.get('/api/v1/systems/status', viewerA.token);
      assert.equal(counts.status, 200, counts.text);
      assert.deepEqual(counts.body, { online: 1, warning: 1, alert: 1, total: 3 });
      assert.deepEqual((await server.api.get('/api/v1/systems/status', adminB.token)).body, { online: 0, warning: 0, alert: 1, total: 1 });
      assert.deepEqual((await server.api.get(`/api/v1/systems/status?tenant_id=${tenantA}`, admin)).body, { online: 1, warning: 1, alert: 1, total: 3 });
    });

    it('lists systems in seed 000\'s shape with their recent open alerts, filterable', async () => {
      const list = await server.api.get('/api/v1/systems', viewerA.token);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.items.length, 3);
      const pa = list.body.items.find((s: { system: string }) => s.system === 'Palo Alto Firewall');
      assert.equal(pa.status, 'alert');
      assert.deepEqual(pa.metrics, { uptime: 3600, response_time_avg: 12 });
      assert.deepEqual(pa.alerts.map((a: { id: string }) => a.id), [alerts['pa-1'], alerts['pa-2']], 'open alerts only, newest first');
      assert.deepEqual(Object.keys(pa.alerts[0]).sort(), ['id', 'severity', 'source', 'time', 'title']);
      const wazuh = list.body.items.find((s: { system: string }) => s.system === 'Wazuh');
      assert.equal(wazuh.alerts.length, 5, 'at most 5 per system');
      assert.deepEqual((await server.api.get('/api/v1/systems?status=warning', viewerA.token)).body.items.map((s: { system: string }) => s.system), ['Wazuh']);
      assert.equal((await server.api.get('/api/v1/systems?type=paloalto', viewerA.token)).body.items.length, 0);
      assert.equal((await server.api.get('/api/v1/systems?status=down', viewerA.token)).status, 400);
      assert.equal((await server.api.get(`/api/v1/systems?since=${encodeURIComponent(new Date(now + 60_000).toISOString())}`, viewerA.token)).body.items.length, 0);
      assert.equal((await server.api.get(`/api/v1/systems?since=${encodeURIComponent(new Date(now - 60_000).toISOString())}`, viewerA.token)).body.items.length, 3);
    });

    it('shows one system with its assets and their own status', async () => {
      const detail = await server.api.get(`/api/v1/systems/${systems.Wazuh}`, viewerA.token);
      assert.equal(detail.status, 200, detail.text);
      assert.deepEqual(detail.body.assets.map((a: { name: string; status: string }) => [a.name, a.status]), [['Wazuh agent 1', 'online'], ['Wazuh agent 2', 'offline']]);
      assert.deepEqual(detail.body.assets[0].detail, { ip: '10.0.0.1' });
    });

    it('lists open alerts newest first with filters and cursor paging', async () => {
      const active = await server.api.get('/api/v1/alerts/active?limit=500', viewerA.token);
      assert.equal(active.status, 200, active.text);
      assert.equal(active.body.items.length, 10, '3 + 1 + 7 seeded, minus 1 resolved');
      assert.ok(active.body.items.every((a: { status: string }) => a.status !== 'resolved'));
      assert.deepEqual(active.body.items.slice(0, 2).map((a: { id: string }) => a.id), [alerts['pa-1'], alerts['pa-2']]);
      assert.deepEqual((await server.api.get('/api/v1/alerts/active?severity=critical', viewerA.token)).body.items.map((a: { id: string }) => a.id), [alerts['pa-1']]);
      assert.equal((await server.api.get(`/api/v1/alerts/active?system_id=${systems.Wazuh}&limit=500`, viewerA.token)).body.items.length, 7);
      assert.equal((await server.api.get('/api/v1/alerts/active?source=notable', viewerA.token)).body.items.length, 1);
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await server.api.get(`/api/v1/alerts/active?limit=3${cursor ? `&cursor=${cursor}` : ''}`, viewerA.token);
        pages.push(...page.body.items.map((a) => a.id));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      assert.equal(pages.length, 10);
      assert.equal(new Set(pages).size, 10);
      const all = await server.api.get('/api/v1/alerts?status=resolved', viewerA.token);
      assert.deepEqual(all.body.items.map((a: { id: string }) => a.id), [alerts['pa-3']]);
      const window = await server.api.get(`/api/v1/alerts?from=${encodeURIComponent(new Date(now - 4 * HOUR).toISOString())}&limit=500`, viewerA.token);
      assert.equal(window.body.items.length, 3, 'pa-1..3 were last seen within 4 hours');
      for (const bad of ['severity=urgent', 'system_id=x', 'since=yesterday', 'limit=0', 'status=open', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z']) {
        assert.equal((await server.api.get(`/api/v1/alerts?${bad}`, viewerA.token)).status, 400, bad);
      }
    });

    it('acknowledges and resolves with 409 on repeated or impossible transitions, and polls by `since`', async () => {
      const before = new Date().toISOString();
      const ack = await server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, operatorA.token);
      assert.equal(ack.status, 200, ack.text);
      assert.equal(ack.body.status, 'acknowledged');
      assert.equal(ack.body.acknowledged_by, operatorA.id);
      assert.ok(ack.body.acknowledged_at);
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, operatorA.token)).status, 409);
      const changed = await server.api.get(`/api/v1/alerts/active?since=${encodeURIComponent(before)}`, viewerA.token);
      assert.deepEqual(changed.body.items.map((a: { id: string }) => a.id), [alerts['pa-2']]);

      const resolved = await server.api.post(`/api/v1/alerts/${alerts['pa-2']}/resolve`, { note: 'Blocked the source address' }, operatorA.token);
      assert.equal(resolved.status, 200, resolved.text);
      assert.equal(resolved.body.status, 'resolved');
      assert.equal(resolved.body.resolution_note, 'Blocked the source address');
      assert.equal(resolved.body.resolved_by, operatorA.id);
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['pa-2']}/resolve`, {}, operatorA.token)).status, 409);
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['pa-2']}/acknowledge`, undefined, operatorA.token)).status, 409);
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['sp-1']}/resolve`, { note: 7 }, operatorA.token)).status, 400);
      const counts = await server.api.get('/api/v1/alerts/active?limit=500', viewerA.token);
      assert.equal(counts.body.items.length, 9);
    });

    it('opens a ticket from an alert, linked to it, with the priority from its severity', async () => {
      const created = await server.api.post(`/api/v1/alerts/${alerts['pa-1']}/ticket`, undefined, operatorA.token);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.alert_id, alerts['pa-1']);
      assert.equal(created.body.priority, 'critical');
      assert.equal(created.body.title, '[critical] Alert pa-1');
      assert.equal(created.body.tenant_id, tenantA);
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['pa-1']}/ticket`, undefined, viewerA.token)).status, 403);
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
        for (const suffix of ['', `?tenant_id=${tenantB}`]) {
          const response = await server.api.request(method, url + suffix, { token: adminA.token, ...(body ? { body } : {}) });
          assert.equal(response.status, 404, `${method} ${url}${suffix}`);
        }
      }
      for (const url of ['/api/v1/alerts/active?limit=500', '/api/v1/alerts?limit=500', '/api/v1/systems?limit=500']) {
        const response = await server.api.get(`${url}&tenant_id=${tenantB}`, adminA.token);
        assert.ok(!response.text.includes(theirs) && !response.text.includes(theirSystem), url);
      }
      const linked = await server.api.post('/api/v1/tickets', { title: 'Link to their alert', alert_id: theirs }, adminA.token);
      assert.equal(linked.status, 400, 'a ticket cannot reference another tenant\'s alert');
      assert.ok(linked.body.errors.some((e: { field: string }) => e.field === 'alert_id'));
      assert.equal((await server.api.post('/api/v1/tickets', { title: 'Link to our alert', alert_id: alerts['sp-1'] }, adminA.token)).status, 201);
      const still = await server.api.get(`/api/v1/alerts/${theirs}`, adminB.token);
      assert.equal(still.body.status, 'active');
      assert.equal((await server.api.get(`/api/v1/tickets?tenant_id=${tenantB}`, admin)).body.items.length, 0);
    });

    it('roles: VIEWER reads, cannot acknowledge; unauthenticated is 401; reads are audited', async () => {
      assert.equal((await server.api.post(`/api/v1/alerts/${alerts['sp-1']}/acknowledge`, undefined, viewerA.token)).status, 403);
      assert.equal((await server.api.get('/api/v1/alerts/active')).status, 401);
      assert.equal((await server.api.get('/api/v1/systems/status')).status, 401);
      const audit = await server.api.get('/api/v1/audit-logs?resource_type=alert&limit=500', adminA.token);
      const actions = new Set(audit.body.items.map((e: { action: string }) => e.action));
      for (const action of ['alert.list_active', 'alert.list', 'alert.acknowledge', 'alert.resolve', 'alert.create_ticket', 'permission.denied']) assert.ok(actions.has(action), action);
      const systemsAudit = await server.api.get('/api/v1/audit-logs?resource_type=system&limit=500', adminA.token);
      assert.ok(systemsAudit.body.items.some((e: { action: string }) => e.action === 'system.status_counts'));
    });
  });
}
