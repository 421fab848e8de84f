import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startGrafanaSimulator, type GrafanaSimulator } from './simulators/grafana.ts';
import { makeIntegration } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('Grafana data through Sentinel', { env: { SENTINEL_VENDOR_TIMEOUT_SECONDS: '1' }, tenants: 'Grafana', roles: ['ADMIN', 'OPERATOR'] }, (ctx) => {
  let sim: GrafanaSimulator;
  let id: string;

  before(async () => {
    sim = await startGrafanaSimulator();
    id = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Grafana', type: 'grafana', config: { url: sim.url }, secret: sim.token, enabled: true })).id;
  });
  after(() => sim.close());

  it('lists dashboards, shows one with flattened panels, and answers panel data as series', async () => {
    const list = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards`, ctx.a.operator.token);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.items.some((d: { uid: string }) => d.uid === 'prod-overview'));
    const dashboard = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards/prod-overview`, ctx.a.operator.token);
    assert.equal(dashboard.status, 200, dashboard.text);
    assert.equal(dashboard.body.title, 'Production Overview');
    const ids = dashboard.body.panels.map((p: { id: number }) => p.id);
    assert.ok(ids.includes(1) && ids.includes(2));
    assert.ok(ids.includes(5) && ids.includes(6), 'children of the collapsed row are listed');
    assert.equal('targets' in dashboard.body.panels[0], false, 'query targets stay server-side');

    const from = Date.parse('2026-11-22T10:00:00Z');
    const to = from + 3_600_000;
    const data = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards/prod-overview/panels/1/data?from=${from}&to=${new Date(to).toISOString()}`, ctx.a.operator.token);
    assert.equal(data.status, 200, data.text);
    assert.equal(data.body.from, '2026-11-22T10:00:00.000Z');
    assert.equal(data.body.to, '2026-11-22T11:00:00.000Z');
    assert.ok(data.body.series.length > 0);
    for (const series of data.body.series) {
      assert.ok(series.refId && series.name);
      assert.ok(series.points.length > 0);
      for (const [t, v] of series.points) {
        assert.ok(t >= from && t <= to, 'points lie inside the range');
        assert.ok(v === null || typeof v === 'number');
      }
    }
    const relative = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards/prod-overview/panels/1/data?from=now-6h&to=now`, ctx.a.operator.token);
    assert.equal(relative.status, 200, relative.text);
    assert.ok(Date.parse(relative.body.to) - Date.parse(relative.body.from) === 6 * 3_600_000);
  });

  it('answers 404 for an unknown dashboard or panel, and 502 when the vendor rejects the token', async () => {
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards/no-such-dash`, ctx.a.operator.token)).status, 404);
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards/prod-overview/panels/999/data`, ctx.a.operator.token)).status, 404);
    sim.data.tokens.clear();
    const rejected = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards`, ctx.a.operator.token);
    assert.equal(rejected.status, 502);
    assert.match(rejected.body.detail, /auth/);
    assert.doesNotMatch(rejected.text, /glsa_/, 'the token is not echoed');
    sim.data.tokens.set(sim.token, 'Admin');
    sim.faults.latencyMs = 1_500;
    sim.faults.pathPrefix = '/api/search';
    const slow = await ctx.server.api.get(`/api/v1/integrations/${id}/grafana/dashboards`, ctx.a.operator.token);
    sim.faults.latencyMs = undefined;
    assert.equal(slow.status, 504);
  });

  it('audits every read of integration data', async () => {
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${id}&limit=500`, ctx.a.admin.token);
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    for (const action of ['integration.grafana.dashboards', 'integration.grafana.dashboard', 'integration.grafana.panel_data']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }
    const panelRead = audit.body.items.find((e: { action: string; outcome: string }) => e.action === 'integration.grafana.panel_data' && e.outcome === 'success');
    assert.equal(panelRead.detail.dashboard_uid, 'prod-overview');
    assert.equal(panelRead.detail.panel_id, 1);
  });

  it('syncs Grafana-managed firing alerts and data-source health', async () => {
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${id}/sync`, undefined, ctx.a.admin.token);
    assert.equal(outcome.body.status, 'success', outcome.text);
    const alerts = await ctx.server.db.kysely.selectFrom('alerts').select(['title', 'severity', 'status']).where('integration_id', '=', id).execute();
    assert.equal(alerts.length, outcome.body.alerts);
    assert.ok(alerts.some((a) => a.severity === 'critical' && a.title.includes('HighCPU')));
    // An alert that stops firing at the source is resolved on the next sync (state feed).
    sim.data.alerts = sim.data.alerts.filter((a) => a.labels.alertname !== 'HighCPU');
    await ctx.server.api.post(`/api/v1/integrations/${id}/sync`, undefined, ctx.a.admin.token);
    const highCpu = await ctx.server.db.kysely.selectFrom('alerts').select(['status', 'resolution_note']).where('integration_id', '=', id).where('title', 'like', '%HighCPU%').executeTakeFirstOrThrow();
    assert.equal(highCpu.status, 'resolved');
    assert.equal(highCpu.resolution_note, 'Cleared at the source');
    const system = await ctx.server.db.kysely.selectFrom('systems').select(['status']).where('integration_id', '=', id).executeTakeFirstOrThrow();
    assert.equal(system.status, 'warning', 'one data source (Loki) fails its health check');
  });
});
