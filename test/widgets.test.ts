// Widgets and dashboards over HTTP (docs/requirements.md, PRD-6, PRD-9, PRD-10): the catalog and its
// seeding, widget data equal to the APIs behind it, params validation naming widget and parameter,
// templates per role with tenant overrides, filters from the plant metadata in the tenant's time
// zone, the metadata cache and its invalidation, CSV export and the query record. Tenant A has more
// lines than B, so A's higher line ids exist only on A's side of the wall.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { makeAlert, makeIntegration, makeSystem, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';
import { startGrafanaSimulator } from './simulators/grafana.ts';

const P = '/api/v1/production';
const W = '/api/v1/widgets';
const D = '/api/v1/dashboards';
const DAY = '2026-01-14';
const FROM = `${DAY}T00:00:00Z`;
const TO = `${DAY}T23:00:00Z`;
const at = (hhmm: string) => `${DAY}T${hhmm}:00Z`;

/** 08:00-08:59 a piece a minute (product 1), 09:30-09:59 a piece a minute (product 2), 10 rejects at 08:30. */
function detections(output: number, reject: number, product: number, product2: number) {
  const rows: { detected_at: string; area_id: number; product_id?: number; quantity?: number }[] = [];
  for (let m = 0; m < 60; m++) rows.push({ detected_at: at(`08:${String(m).padStart(2, '0')}`), area_id: output, product_id: product });
  for (let m = 30; m < 60; m++) rows.push({ detected_at: at(`09:${String(m).padStart(2, '0')}`), area_id: output, product_id: product2 });
  rows.push({ detected_at: at('08:30'), area_id: reject, quantity: 10, product_id: product });
  return rows;
}

forEachDialect('widgets and dashboards', { tenants: 'Widgets' }, (ctx) => {
  const api = () => ctx.server.api;
  const a = { line: 0, line2: 0, product: 0, product2: 0, integration: '' };
  const b = { line: 0 };
  const window = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;

  async function created(path: string, body: unknown, token: string) {
    const response = await api().post(`${P}${path}`, body, token);
    assert.equal(response.status, 201, `${path}: ${response.text}`);
    return response.body;
  }

  const data = async (widget: string, query: string, token = ctx.a.viewer.token) => {
    const response = await api().get(`${W}/${widget}/data?${query}`, token);
    assert.equal(response.status, 200, `${widget}: ${response.text}`);
    return response.body;
  };

  before(async () => {
    const admin = ctx.a.admin.token;
    a.line = (await created('/lines', { line_name: 'Packing A', line_code: 'packing', ideal_cycle_seconds: 30, downtime_threshold_seconds: 300, timezone: 'UTC' }, admin)).line_id;
    a.line2 = (await created('/lines', { line_name: 'Bottling A', timezone: 'UTC' }, admin)).line_id;
    const output = (await created('/areas', { line_id: a.line, area_name: 'Outfeed', area_type: 'output' }, admin)).area_id;
    const reject = (await created('/areas', { line_id: a.line, area_name: 'Reject chute', area_type: 'reject' }, admin)).area_id;
    a.product = (await created('/products', { product_name: 'Box', product_code: 'BOX' }, admin)).product_id;
    a.product2 = (await created('/products', { product_name: 'Crate', product_code: 'CRATE' }, admin)).product_id;
    await created('/shifts', { shift_name: 'Morning', start_time: '08:00', end_time: '10:00', line_id: a.line }, admin);
    await created('/shifts', { shift_name: 'Late', start_time: '10:00', end_time: '12:00', line_id: a.line }, admin);
    const ingest = await api().post(`${P}/lines/${a.line}/detections`, { batch_id: 'day-1', detections: detections(output, reject, a.product, a.product2) }, ctx.a.operator.token);
    assert.equal(ingest.status, 201, ingest.text);
    a.integration = (await makeIntegration(ctx.server, admin)).id;

    b.line = (await created('/lines', { line_name: 'Packing B' }, ctx.b.admin.token)).line_id;
  });

  it('lists the catalog with each widget\'s type, data source and params schema; seeding again changes nothing', async () => {
    const list = await api().get(W, ctx.a.viewer.token);
    assert.equal(list.status, 200, list.text);
    const ids = list.body.items.map((widget: { widget_id: string }) => widget.widget_id);
    for (const id of ['production_by_time', 'product_distribution', 'oee_gauge', 'availability_card', 'performance_card', 'quality_card', 'oee_trend', 'downtime_pareto',
      'downtime_table', 'line_comparison', 'shift_comparison', 'target_vs_actual', 'systems_status', 'alerts_by_severity', 'incidents_trend', 'active_alerts',
      'response_times', 'vulnerability_distribution', 'grafana_panel']) assert.ok(ids.includes(id), id);
    const byTime = list.body.items.find((widget: { widget_id: string }) => widget.widget_id === 'production_by_time');
    assert.equal(byTime.widget_type, 'line_chart');
    assert.equal(byTime.required_params.type, 'object');
    assert.deepEqual(byTime.required_params.properties.interval.enum, ['hour', 'day', 'shift']);
    assert.deepEqual(byTime.default_size, { w: 8, h: 4 });
    assert.equal((await api().get(`${W}/shift_comparison`, ctx.b.viewer.token)).body.required_params.required[0], 'line_id');
    assert.equal((await api().get(`${W}/no_such_widget`, ctx.a.viewer.token)).status, 404);
    assert.equal((await api().get(`${W}/Bad-Id`, ctx.a.viewer.token)).status, 400);
    assert.equal((await api().get(W)).status, 401);

    const before = await ctx.server.db.kysely.selectFrom('widget_catalog').selectAll().orderBy('widget_id').execute();
    // A changed definition is brought back; a second seed finds nothing to do.
    await ctx.server.db.kysely.updateTable('widget_catalog').set({ description: 'stale' }).where('widget_id', '=', 'oee_gauge').execute();
    const first = await ctx.server.services.widgets.seed();
    assert.deepEqual(first, { inserted: 0, updated: 1, unchanged: before.length - 1, templates: 0 });
    assert.deepEqual(await ctx.server.services.widgets.seed(), { inserted: 0, updated: 0, unchanged: before.length, templates: 0 });
    const after = await ctx.server.db.kysely.selectFrom('widget_catalog').select(['widget_id', 'description', 'required_params']).orderBy('widget_id').execute();
    assert.deepEqual(after, before.map((row) => ({ widget_id: row.widget_id, description: row.description, required_params: row.required_params })));
    // The platform's templates fit the grid and name only catalog widgets.
    const defaults = (await api().get(D, ctx.a.viewer.token)).body.items;
    assert.deepEqual(defaults.map((template: { role: string }) => template.role).sort(), ['ADMIN', 'MANAGER', 'OPERATOR', 'VIEWER']);
    for (const template of defaults) {
      for (const item of template.layout) assert.ok(item.x + item.w <= 12 && ids.includes(item.widget_id), `${template.role}: ${JSON.stringify(item)}`);
    }
    assert.equal(defaults.find((template: { role: string }) => template.role === 'MANAGER').layout.length, 8);
    assert.equal(Number((await ctx.server.db.kysely.selectFrom('dashboard_templates').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', 'is', null).executeTakeFirstOrThrow()).n), 4);
  });

  it('gives the OEE widgets the numbers of /production/oee for the same params, with the window before as previous', async () => {
    const oee = (await api().get(`${P}/oee?line_id=${a.line}&${window}`, ctx.a.viewer.token)).body;
    assert.ok(oee.totals.oee > 0);
    const previousFrom = new Date(Date.parse(FROM) - (Date.parse(TO) - Date.parse(FROM))).toISOString();
    const previous = (await api().get(`${P}/oee?line_id=${a.line}&from=${previousFrom}&to=${encodeURIComponent(FROM)}`, ctx.a.viewer.token)).body;
    const gauge = await data('oee_gauge', `line_id=${a.line}&${window}`);
    assert.deepEqual(gauge, {
      widget_id: 'oee_gauge', widget_type: 'gauge', params: { line_id: a.line, from: FROM, to: TO }, shape: 'value',
      value: oee.totals.oee, unit: 'ratio', previous: previous.totals.oee, delta: previous.totals.oee === null ? null : oee.totals.oee - previous.totals.oee,
    });
    for (const metric of ['availability', 'performance', 'quality']) {
      const card = await data(`${metric}_card`, `line_id=${a.line}&${window}`);
      assert.equal(card.widget_type, 'kpi_card');
      assert.equal(card.value, oee.totals[metric], metric);
    }
    // Every active line together, as /production/oee without line_id.
    const all = (await api().get(`${P}/oee?${window}`, ctx.a.viewer.token)).body;
    assert.equal((await data('oee_gauge', window)).value, all.totals.oee);

    const hourly = (await api().get(`${P}/oee?line_id=${a.line}&${window}&group_by=hour`, ctx.a.viewer.token)).body;
    const byTime = await data('production_by_time', `line_id=${a.line}&${window}&interval=hour`);
    assert.deepEqual(byTime.labels, hourly.buckets.map((bucket: { label: string }) => bucket.label));
    assert.deepEqual(byTime.datasets, [
      { label: 'Good', data: hourly.buckets.map((bucket: { good_count: number }) => bucket.good_count), unit: 'pcs' },
      { label: 'Rejects', data: hourly.buckets.map((bucket: { reject_count: number }) => bucket.reject_count), unit: 'pcs' },
    ]);
    assert.equal(byTime.datasets[0].data.reduce((sum: number, n: number) => sum + n, 0), 90);

    const daily = (await api().get(`${P}/oee?line_id=${a.line}&${window}&group_by=day`, ctx.a.viewer.token)).body;
    const trend = await data('oee_trend', `line_id=${a.line}&${window}`);
    assert.deepEqual(trend.labels, daily.buckets.map((bucket: { label: string }) => bucket.label));
    assert.deepEqual(trend.datasets.map((dataset: { label: string }) => dataset.label), ['OEE', 'Availability', 'Performance', 'Quality']);
    assert.deepEqual(trend.datasets[0].data, daily.buckets.map((bucket: { oee: number }) => bucket.oee));

    const target = await data('target_vs_actual', `line_id=${a.line}&${window}`);
    assert.deepEqual(target.datasets[0].data, daily.buckets.map((bucket: { planned_seconds: number }) => Math.floor(bucket.planned_seconds / 30)));
    assert.deepEqual(target.datasets[1].data, daily.buckets.map((bucket: { good_count: number }) => bucket.good_count));

    const byShift = (await api().get(`${P}/oee?line_id=${a.line}&${window}&group_by=shift`, ctx.a.viewer.token)).body;
    const shifts = await data('shift_comparison', `line_id=${a.line}&${window}`);
    assert.deepEqual(shifts.labels, ['Morning', 'Late']);
    assert.deepEqual(shifts.datasets[0].data, byShift.buckets.map((bucket: { oee: number | null }) => bucket.oee));

    const lines = await data('line_comparison', window);
    assert.deepEqual(lines.labels, ['Packing A', 'Bottling A']);
    assert.equal(lines.datasets[0].data[0], oee.totals.oee);
  });

  it('splits good pieces by product and lists and ranks the stops as the downtime API does', async () => {
    const oee = (await api().get(`${P}/oee?line_id=${a.line}&${window}`, ctx.a.viewer.token)).body;
    const mix = await data('product_distribution', `line_id=${a.line}&${window}`);
    assert.deepEqual(mix.labels, ['Box', 'Crate']);
    assert.deepEqual(mix.datasets, [{ label: 'Good', data: [60, 30], unit: 'pcs' }]);
    assert.equal(mix.datasets[0].data[0] + mix.datasets[0].data[1], oee.totals.good_count);

    const downtime = (await api().get(`${P}/lines/${a.line}/downtime?${window}`, ctx.a.viewer.token)).body.items;
    assert.ok(downtime.length > 0);
    const table = await data('downtime_table', `line_id=${a.line}&${window}`);
    assert.equal(table.shape, 'table');
    assert.deepEqual(table.rows.map((row: { start: string }) => row.start), downtime.map((event: { start: string }) => event.start));
    assert.deepEqual(table.rows.map((row: { duration_seconds: number }) => row.duration_seconds), downtime.map((event: { duration_seconds: number }) => event.duration_seconds));
    const pareto = await data('downtime_pareto', `line_id=${a.line}&${window}`);
    const unplanned = downtime.filter((event: { category: string }) => event.category === 'unplanned');
    assert.equal(pareto.datasets[0].data.reduce((sum: number, n: number) => sum + n, 0), unplanned.reduce((sum: number, event: { duration_seconds: number }) => sum + event.duration_seconds, 0));
    assert.equal(pareto.datasets[1].data.at(-1), 100);
  });

  it('gives the security widgets the numbers of the analytics, systems and alerts APIs', async () => {
    const now = Date.now();
    await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', first_seen: now - 3_600_000, title: '=HYPERLINK("x")' });
    await makeAlert(ctx.server, ctx.a.id, { severity: 'high', first_seen: now - 7_200_000, acknowledged_at: now - 3_000_000, status: 'acknowledged' });
    await makeAlert(ctx.server, ctx.a.id, { severity: 'high', first_seen: now - 60_000 });
    await makeAlert(ctx.server, ctx.b.id, { severity: 'low', first_seen: now - 60_000 });
    await makeVulnerability(ctx.server, ctx.a.id, { severity: 'critical', cvss_score: 9.8 });
    await makeSystem(ctx.server, ctx.a, { name: 'Firewall', status: 'warning' });
    const viewer = ctx.a.viewer.token;

    const incidents = (await api().get('/api/v1/analytics/incidents?hours=24', viewer)).body;
    const bySeverity = await data('alerts_by_severity', 'hours=24');
    assert.deepEqual(bySeverity.labels, ['critical', 'high', 'medium', 'low', 'info']);
    assert.deepEqual(bySeverity.datasets[0].data, bySeverity.labels.map((severity: string) => incidents.by_severity[severity]));
    assert.deepEqual(bySeverity.datasets[0].data, [1, 2, 0, 0, 0]);
    const trend = await data('incidents_trend', 'hours=24');
    assert.equal(trend.labels.length, 24);
    assert.deepEqual(trend.datasets.find((dataset: { label: string }) => dataset.label === 'high').data, incidents.series.map((slot: { by_severity: { high: number } }) => slot.by_severity.high));

    const status = (await api().get('/api/v1/systems/status', viewer)).body;
    assert.deepEqual((await data('systems_status', '')).datasets[0].data, [status.online, status.warning, status.alert]);
    const distribution = (await api().get('/api/v1/analytics/vulnerability-distribution', viewer)).body;
    assert.deepEqual((await data('vulnerability_distribution', '')).datasets[0].data, ['critical', 'high', 'medium', 'low', 'info'].map((severity) => distribution.by_severity[severity]));
    const times = (await api().get('/api/v1/analytics/response-time?days=30', viewer)).body;
    assert.equal((await data('response_times', 'days=30')).datasets[0].data[1], times.by_severity.high.time_to_acknowledge.mean_seconds);

    const active = (await api().get('/api/v1/alerts/active?limit=20', viewer)).body;
    const table = await data('active_alerts', '');
    assert.deepEqual(table.rows.map((row: { id: string }) => row.id), active.items.map((alert: { id: string }) => alert.id));
    assert.equal((await data('active_alerts', 'severity=critical')).rows.length, 1);

    // Tenant B sees its own numbers only.
    assert.deepEqual((await data('alerts_by_severity', 'hours=24', ctx.b.viewer.token)).datasets[0].data, [0, 0, 0, 1, 0]);
  });

  it('refuses bad params with 400 naming the widget and the parameter, and keeps each tenant to its own lines and integrations', async () => {
    const bad = await api().get(`${W}/oee_gauge/data?line_id=abc`, ctx.a.viewer.token);
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /oee_gauge/);
    assert.deepEqual(bad.body.errors.map((error: { field: string }) => error.field), ['params.line_id']);
    const unknown = await api().get(`${W}/oee_gauge/data?colour=red`, ctx.a.viewer.token);
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors, [{ field: 'params.colour', message: 'is not a known field', code: 'unknown_field' }]);
    const missing = await api().get(`${W}/shift_comparison/data?${window}`, ctx.a.viewer.token);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].field, 'params.line_id');
    assert.equal(missing.body.errors[0].code, 'required');
    const shiftWithoutLine = await api().get(`${W}/production_by_time/data?interval=shift`, ctx.a.viewer.token);
    assert.equal(shiftWithoutLine.status, 400);
    assert.match(shiftWithoutLine.body.detail, /production_by_time: line_id/);
    const reversed = await api().get(`${W}/oee_gauge/data?from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`, ctx.a.viewer.token);
    assert.equal(reversed.status, 400);
    assert.equal(reversed.body.errors[0].field, 'params.to');
    assert.equal((await api().get(`${W}/alerts_by_severity/data?hours=0`, ctx.a.viewer.token)).status, 400);
    assert.equal((await api().get(`${W}/alerts_by_severity/data?hours=24&hours=48`, ctx.a.viewer.token)).status, 400);

    // A's second line does not exist for B: 404 from every production widget that names it.
    for (const widget of ['oee_gauge', 'production_by_time', 'product_distribution', 'downtime_table', 'downtime_pareto', 'shift_comparison', 'target_vs_actual']) {
      const other = await api().get(`${W}/${widget}/data?line_id=${a.line2}&${window}`, ctx.b.viewer.token);
      assert.equal(other.status, 404, `${widget}: ${other.text}`);
    }
    const panel = (tenantToken: string, integration: string) => api().get(`${W}/grafana_panel/data?integration_id=${integration}&dashboard_uid=abc&panel_id=1`, tenantToken);
    assert.equal((await panel(ctx.b.admin.token, a.integration)).status, 404);
    // A's own integration is reached: its Grafana is unreachable, so 502 as on the integrations API.
    assert.equal((await panel(ctx.a.admin.token, a.integration)).status, 502);
    // A VIEWER may not read integrations, so not their panels either.
    assert.equal((await panel(ctx.a.viewer.token, a.integration)).status, 403);
    // A SUPER_ADMIN names the tenant.
    const asSuper = await api().get(`${W}/oee_gauge/data?line_id=${a.line}&${window}&tenant_id=${ctx.a.id}`, ctx.superAdmin);
    assert.equal(asSuper.status, 200, asSuper.text);
    assert.equal((await api().get(`${W}/oee_gauge/data?line_id=${a.line2}&${window}&tenant_id=${ctx.b.id}`, ctx.superAdmin)).status, 404);
  });

  it('draws a Grafana panel as the panel data API gives it', async () => {
    const sim = await startGrafanaSimulator();
    try {
      const grafana = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Grafana live', config: { url: sim.url }, secret: sim.token, enabled: true })).id;
      const range = 'from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z';
      const panel = await api().get(`/api/v1/integrations/${grafana}/grafana/dashboards/prod-overview/panels/1/data?${range}`, ctx.a.operator.token);
      assert.equal(panel.status, 200, panel.text);
      const widget = await data('grafana_panel', `integration_id=${grafana}&dashboard_uid=prod-overview&panel_id=1&${range}`, ctx.a.operator.token);
      assert.equal(widget.shape, 'chart');
      assert.deepEqual(widget.datasets.map((dataset: { label: string }) => dataset.label), panel.body.series.map((series: { name: string }) => series.name));
      const instants = [...new Set(panel.body.series.flatMap((series: { points: [number, number | null][] }) => series.points.map(([t]) => t)))].sort((x, y) => (x as number) - (y as number));
      assert.deepEqual(widget.labels, instants.map((t) => new Date(t as number).toISOString()));
      const first = panel.body.series[0];
      assert.deepEqual(widget.datasets[0].data.filter((value: number | null) => value !== null), first.points.map(([, v]: [number, number | null]) => v).filter((v: number | null) => v !== null));
      assert.equal((await api().get(`${W}/grafana_panel/data?integration_id=${grafana}&dashboard_uid=prod-overview&panel_id=999&${range}`, ctx.a.operator.token)).status, 404);
    } finally {
      await sim.close();
    }
  });

  it('exports any widget as CSV', async () => {
    const csv = await api().get(`${W}/production_by_time/data?line_id=${a.line}&${window}&interval=day&format=csv`, ctx.a.viewer.token);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.match(csv.headers.get('content-disposition')!, /production_by_time\.csv/);
    assert.equal(csv.text, `label,Good (pcs),Rejects (pcs)\r\n${DAY},90,10\r\n`);
    const card = await api().get(`${W}/quality_card/data?line_id=${a.line}&${window}&format=csv`, ctx.a.viewer.token);
    assert.equal(card.text, `value,previous,delta,unit\r\n${90 / 100},,,ratio\r\n`);
    const alerts = await api().get(`${W}/active_alerts/data?severity=critical&format=csv`, ctx.a.viewer.token);
    const [header, row] = alerts.text.split('\r\n');
    assert.equal(header, 'Severity,Title,Status,Source,Asset,First seen,Last seen,Id');
    // A title a spreadsheet would run as a formula is quoted out.
    assert.match(row!, /^critical,"'=HYPERLINK\(""x""\)",active,/);
  });

  it('gives each role its platform template, lets a tenant ADMIN override it for its tenant only, and validates saved params', async () => {
    const mine = async (token: string) => {
      const response = await api().get(`${D}/mine`, token);
      assert.equal(response.status, 200, response.text);
      return response.body;
    };
    const platform = await mine(ctx.a.operator.token);
    assert.equal(platform.tenant_id, null);
    assert.equal(platform.role, 'OPERATOR');
    assert.equal((await mine(ctx.a.manager.token)).role, 'MANAGER');
    assert.equal((await mine(ctx.a.viewer.token)).role, 'VIEWER');
    assert.equal((await mine(ctx.a.admin.token)).role, 'ADMIN');

    const layout = [{ widget_id: 'oee_gauge', x: 0, y: 0, w: 3, h: 3, params: { line_id: a.line } }, { widget_id: 'active_alerts', x: 0, y: 3, w: 12, h: 5, title: 'Open alerts' }];
    const created = await api().post(D, { role: 'OPERATOR', name: 'Packing floor', layout }, ctx.a.admin.token);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.tenant_id, ctx.a.id);
    assert.deepEqual(created.body.layout[1].params, {});
    const id = created.body.template_id;
    assert.equal((await mine(ctx.a.operator.token)).template_id, id);
    assert.equal((await mine(ctx.b.operator.token)).template_id, platform.template_id, 'B keeps the platform template');
    assert.equal((await api().get(`${D}/${id}`, ctx.b.admin.token)).status, 404);
    assert.equal((await api().patch(`${D}/${id}`, { name: 'Mine now' }, ctx.b.admin.token)).status, 404);
    assert.equal((await api().delete(`${D}/${id}`, ctx.b.admin.token)).status, 404);
    assert.equal((await api().get(`${D}/${id}/data`, ctx.b.admin.token)).status, 404);
    const listB = (await api().get(D, ctx.b.admin.token)).body.items;
    assert.ok(listB.every((template: { tenant_id: string | null }) => template.tenant_id === null));
    assert.ok((await api().get(D, ctx.a.viewer.token)).body.items.some((template: { template_id: string }) => template.template_id === id));

    assert.equal((await api().post(D, { role: 'OPERATOR', name: 'Again', layout: [] }, ctx.a.admin.token)).status, 409);
    assert.equal((await api().post(D, { role: 'VIEWER', name: 'x', layout: [] }, ctx.a.manager.token)).status, 403);
    assert.equal((await api().patch(`${D}/${platform.template_id}`, { name: 'Hijack' }, ctx.a.admin.token)).status, 403);
    assert.equal((await api().delete(`${D}/${platform.template_id}`, ctx.a.admin.token)).status, 403);

    const badType = await api().post(D, { role: 'VIEWER', name: 'Bad', layout: [{ widget_id: 'oee_gauge', x: 0, y: 0, w: 3, h: 3, params: { line_id: 'one' } }] }, ctx.a.admin.token);
    assert.equal(badType.status, 400);
    assert.match(badType.body.detail, /oee_gauge/);
    assert.equal(badType.body.errors[0].field, 'layout.0.params.line_id');
    const badParam = await api().post(D, { role: 'VIEWER', name: 'Bad', layout: [{ widget_id: 'alerts_by_severity', x: 0, y: 0, w: 4, h: 4, params: { hours: 24, line_id: 1 } }] }, ctx.a.admin.token);
    assert.equal(badParam.status, 400);
    assert.equal(badParam.body.errors[0].field, 'layout.0.params.line_id');
    const badWidget = await api().post(D, { role: 'VIEWER', name: 'Bad', layout: [{ widget_id: 'nope', x: 0, y: 0, w: 4, h: 4 }] }, ctx.a.admin.token);
    assert.equal(badWidget.status, 400);
    assert.equal(badWidget.body.errors[0].field, 'layout.0.widget_id');
    const offGrid = await api().post(D, { role: 'VIEWER', name: 'Bad', layout: [{ widget_id: 'oee_gauge', x: 10, y: 0, w: 3, h: 3 }] }, ctx.a.admin.token);
    assert.equal(offGrid.status, 400);
    assert.equal((await api().get(D, ctx.a.admin.token)).body.items.filter((template: { role: string; tenant_id: string | null }) => template.role === 'VIEWER' && template.tenant_id !== null).length, 0, 'nothing was saved');

    const renamed = await api().patch(`${D}/${id}`, { name: 'Packing floor 2', layout: [layout[0]] }, ctx.a.admin.token);
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.layout.length, 1);
    assert.equal((await api().delete(`${D}/${id}`, ctx.a.admin.token)).status, 204);
    assert.equal((await mine(ctx.a.operator.token)).template_id, platform.template_id, 'the platform template applies again');
  });

  it('computes a whole dashboard in one answer, filters filling the params and a failing widget carrying its problem', async () => {
    const manager = (await api().get(`${D}/mine`, ctx.a.manager.token)).body;
    const response = await api().get(`${D}/${manager.template_id}/data?line_id=${a.line}&${window}`, ctx.a.manager.token);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.widgets.length, manager.layout.length);
    const gauge = response.body.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'oee_gauge');
    const oee = (await api().get(`${P}/oee?line_id=${a.line}&${window}`, ctx.a.viewer.token)).body;
    assert.equal(gauge.data.value, oee.totals.oee);
    assert.deepEqual(gauge.params, { line_id: a.line, from: FROM, to: TO });
    // Line comparison takes no line: the filter is not passed to it.
    const comparison = response.body.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'line_comparison');
    assert.deepEqual(comparison.params, { from: FROM, to: TO });
    assert.ok(response.body.widgets.every((widget: { error: unknown }) => widget.error === null));

    // Over every line, the widgets share each line's OEE report: the figures stay those of the OEE API.
    const plantWide = (await api().get(`${D}/${manager.template_id}/data?${window}`, ctx.a.manager.token)).body;
    const plantOee = (await api().get(`${P}/oee?${window}`, ctx.a.viewer.token)).body;
    assert.equal(plantWide.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'oee_gauge').data.value, plantOee.totals.oee);
    const perLine = plantWide.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'line_comparison').data;
    const oeeSeries = perLine.datasets.find((dataset: { label: string }) => dataset.label === 'OEE').data;
    for (const [index, lineId] of [a.line, a.line2].entries()) {
      assert.equal(oeeSeries[index], (await api().get(`${P}/oee?line_id=${lineId}&${window}`, ctx.a.viewer.token)).body.totals.oee, `line ${lineId}`);
    }

    // A's second line asked for by B: the widgets that take a line say 404, the others still show.
    const foreign = await api().get(`${D}/${manager.template_id}/data?line_id=${a.line2}&${window}`, ctx.b.manager.token);
    assert.equal(foreign.status, 200);
    assert.equal(foreign.body.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'oee_gauge').error.status, 404);
    assert.equal(foreign.body.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'line_comparison').error, null);

    // A filter no widget can take is each widget's problem, with the field error a client can translate.
    const typo = await api().get(`${D}/${manager.template_id}/data?line_id=abc&${window}`, ctx.a.manager.token);
    assert.equal(typo.status, 200);
    assert.deepEqual(typo.body.widgets.find((widget: { widget_id: string }) => widget.widget_id === 'oee_gauge').error.errors,
      [{ field: 'params.line_id', message: 'must be integer', code: 'type', params: { type: 'integer' } }]);
    const bad = await api().get(`${D}/${manager.template_id}/data?colour=red`, ctx.a.manager.token);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'colour');
    assert.equal((await api().get(`${D}/00000000-0000-7000-8000-999999999999/data`, ctx.a.manager.token)).status, 404);
    // A widget the caller may not read is a 403 in its place.
    const layout = [
      { widget_id: 'grafana_panel', x: 0, y: 0, w: 6, h: 4, params: { integration_id: a.integration, dashboard_uid: 'abc', panel_id: 1 } },
      { widget_id: 'systems_status', x: 6, y: 0, w: 4, h: 4 },
    ];
    const viewerTemplate = await api().post(D, { role: 'VIEWER', name: 'With Grafana', layout }, ctx.a.admin.token);
    assert.equal(viewerTemplate.status, 201, viewerTemplate.text);
    const asViewer = await api().get(`${D}/${viewerTemplate.body.template_id}/data`, ctx.a.viewer.token);
    assert.equal(asViewer.status, 200, asViewer.text);
    assert.deepEqual(asViewer.body.widgets.map((widget: { error: { status: number } | null }) => widget.error?.status ?? null), [403, null]);
    assert.equal((await api().delete(`${D}/${viewerTemplate.body.template_id}`, ctx.a.admin.token)).status, 204);
  });

  it('lists the tenant\'s active filters in order with defaults in its time zone and options from the plant', async () => {
    assert.equal((await api().patch(`/api/v1/tenants/${ctx.a.id}`, { config: { timezone: 'Europe/Madrid' } }, ctx.superAdmin)).status, 200);
    const admin = ctx.a.admin.token;
    await created('/filters', { filter_name: 'Línea', default_value: a.line, additional_filter: { type: 'line', required: true, order: 2 } }, admin);
    await created('/filters', { filter_name: 'Rango de fechas', default_value: { days_back: 7 }, additional_filter: { type: 'daterange', required: true, show_time: false, order: 1 } }, admin);
    await created('/filters', { filter_name: 'Turno', filter_status: false, additional_filter: { type: 'shift' } }, admin);
    await created('/filters', { filter_name: 'Colour', default_value: 'red', additional_filter: { type: 'select', options: ['red', { value: 'blue', label: 'Blue' }], order: 3 } }, admin);

    const response = await api().get('/api/v1/filters', ctx.a.viewer.token);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.timezone, 'Europe/Madrid');
    const [range, line, colour, ...rest] = response.body.items;
    assert.equal(rest.length, 0, 'the inactive filter is left out');
    assert.equal(range.type, 'daterange');
    assert.deepEqual(range.params, ['from', 'to']);
    assert.equal(range.required, true);
    // Local midnight seven days ago to the end of today, in Madrid (+01:00 or +02:00).
    const localDate = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Madrid' }).format(new Date(ms));
    assert.match(range.default.from, /^\d{4}-\d{2}-\d{2}T00:00:00\+0[12]:00$/);
    assert.equal(range.default.from.slice(0, 10), localDate(Date.now() - 7 * 86_400_000));
    assert.equal(range.default.to.slice(0, 10), localDate(Date.now() + 86_400_000));
    assert.deepEqual(line, {
      filter_id: line.filter_id, name: 'Línea', type: 'line', params: ['line_id'], required: true, show_time: false, default: { line_id: a.line },
      options: [{ value: a.line, label: 'Packing A' }, { value: a.line2, label: 'Bottling A' }],
    });
    assert.deepEqual(colour.params, ['colour']);
    assert.deepEqual(colour.options, [{ value: 'red', label: 'red' }, { value: 'blue', label: 'Blue' }]);
    assert.deepEqual(colour.default, { colour: 'red' });
    // A select filter's parameter may reach a dashboard even though no widget takes it.
    const manager = (await api().get(`${D}/mine`, ctx.a.manager.token)).body;
    assert.equal((await api().get(`${D}/${manager.template_id}/data?colour=blue&${window}`, ctx.a.manager.token)).status, 200);

    const b = await api().get('/api/v1/filters', ctx.b.viewer.token);
    assert.deepEqual(b.body.items, []);
  });

  it('serves plant metadata from memory, sees writes through the API at once and a client\'s own changes at the next poll', async () => {
    const filters = async () => (await api().get('/api/v1/filters', ctx.a.viewer.token)).body.items.find((filter: { type: string }) => filter.type === 'line');
    const stats = () => ctx.server.services.metadata.stats();
    await filters();
    const before = stats();
    await filters();
    assert.equal(stats().hits, before.hits + 1);
    assert.equal(stats().misses, before.misses);

    const line3 = (await created('/lines', { line_name: 'Labelling A', timezone: 'UTC' }, ctx.a.admin.token)).line_id;
    assert.ok((await filters()).options.some((option: { value: number }) => option.value === line3), 'a line created through the API is an option at once');
    assert.equal((await api().patch(`${P}/lines/${line3}`, { is_active: false }, ctx.a.admin.token)).status, 200);
    assert.ok(!(await filters()).options.some((option: { value: number }) => option.value === line3), 'an inactive line is no option');

    // A change made in the plant database itself, as a client's own system would.
    await ctx.server.services.production.access.withPlant(ctx.a.id, (plant) => sql`UPDATE PRODUCTION_LINE SET line_name = ${'Packing A (renamed)'} WHERE line_id = ${a.line}`.execute(plant.db));
    assert.equal((await filters()).options[0].label, 'Packing A', 'cached until the poll');
    await ctx.server.services.metadata.refresh();
    assert.equal((await filters()).options[0].label, 'Packing A (renamed)');
    await ctx.server.services.production.access.withPlant(ctx.a.id, (plant) => sql`UPDATE PRODUCTION_LINE SET line_name = ${'Packing A'} WHERE line_id = ${a.line}`.execute(plant.db));
    await ctx.server.services.metadata.refresh();

    const metrics = await api().get('/metrics');
    assert.match(metrics.text, /sentinel_metadata_cache_lookups_total\{result="hit"\} [1-9]/);
    assert.match(metrics.text, /sentinel_metadata_cache_hit_ratio [0-9.]+/);
  });

  it('records every widget and dashboard data query for ADMIN and MANAGER, slowest first on request', async () => {
    await data('oee_gauge', `line_id=${a.line}&${window}`, ctx.a.operator.token);
    const manager = (await api().get(`${D}/mine`, ctx.a.manager.token)).body;
    await api().get(`${D}/${manager.template_id}/data?${window}`, ctx.a.manager.token);
    const list = await api().get('/api/v1/user-queries?limit=500', ctx.a.manager.token);
    assert.equal(list.status, 200, list.text);
    const gauge = list.body.items.find((item: { widget_id: string | null; username: string }) => item.widget_id === 'oee_gauge' && item.username === ctx.a.operator.username);
    assert.ok(gauge);
    assert.deepEqual(gauge.params, { line_id: a.line, from: FROM, to: TO });
    assert.equal(gauge.rows, 1);
    assert.equal(gauge.user_id, ctx.a.operator.id);
    assert.ok(gauge.duration_ms >= 0);
    const dashboard = list.body.items.find((item: { template_id: string | null }) => item.template_id === manager.template_id);
    assert.ok(dashboard);
    assert.equal(typeof dashboard.cache_hit, 'boolean');
    assert.equal(list.body.items.find((item: { widget_id: string | null }) => item.widget_id === 'alerts_by_severity').cache_hit, null, 'no plant metadata needed');

    const slowest = (await api().get('/api/v1/user-queries?order=slowest&limit=500', ctx.a.admin.token)).body.items;
    assert.deepEqual(slowest.map((item: { duration_ms: number }) => item.duration_ms), [...slowest.map((item: { duration_ms: number }) => item.duration_ms)].sort((x, y) => y - x));
    assert.ok((await api().get(`/api/v1/user-queries?widget_id=oee_gauge`, ctx.a.admin.token)).body.items.every((item: { widget_id: string }) => item.widget_id === 'oee_gauge'));
    assert.equal((await api().get('/api/v1/user-queries', ctx.a.operator.token)).status, 403);
    assert.equal((await api().get('/api/v1/user-queries', ctx.a.viewer.token)).status, 403);
    const ofB = (await api().get('/api/v1/user-queries?limit=500', ctx.b.admin.token)).body.items;
    assert.ok(ofB.every((item: { username: string }) => !item.username.endsWith('.a')), 'B sees none of A\'s queries');

    // Retention: records older than it go.
    await ctx.server.db.kysely.updateTable('user_queries').set({ created_at: Date.now() - 100 * 86_400_000 }).where('tenant_id', '=', ctx.b.id).execute();
    assert.ok(await ctx.server.services.widgets.pruneUserQueries(90) >= ofB.length);
    assert.deepEqual((await api().get('/api/v1/user-queries', ctx.b.admin.token)).body.items, []);
  });
});
