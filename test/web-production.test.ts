import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDialect } from './helpers/suite.ts';
import { WebClient } from './helpers/web-client.ts';
import { XSS } from './web-fixture.ts';
import { MINUTE, seedLine, type SeededLine } from './web-production-fixture.ts';

forEachDialect('web production pages', { env: { SENTINEL_SYNC: 'off' }, tenants: 'WebProd', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let lineA: SeededLine;

  before(async () => {
    const { downtimeReasons } = ctx.server.services;
    lineA = await seedLine(ctx.server, ctx.a, `Alpha press ${XSS}`, 'alphapress');
    await downtimeReasons.create(ctx.a.id, { reason: 'Changeover', category: 'planned' });
    await downtimeReasons.create(ctx.a.id, { reason: `Jam ${XSS}`, category: 'unplanned' });
    // Tenant B has two lines: its second line's id is one tenant A does not have.
    await seedLine(ctx.server, ctx.b, 'Bravo press', 'bravopress');
    await seedLine(ctx.server, ctx.b, 'Bravo welder', 'bravowelder');
  });

  const signedIn = async (user: { username: string }) => {
    const web = new WebClient(ctx.server);
    await web.signIn(user.username);
    return web;
  };

  it('links each line tile to its line page: gauges, counts by hour, the day\'s stops and their Pareto, in the line\'s time zone', async () => {
    const web = await signedIn(ctx.a.viewer);
    const tiles = await web.get('/production');
    assert.match(tiles.text, new RegExp(`href="/production/lines/${lineA.lineId}"`));
    const page = await web.get(`/production/lines/${lineA.lineId}`);
    assert.equal(page.status, 200);
    const status = await ctx.server.services.production.lineStatus(ctx.a.id, lineA.lineId);
    assert.equal(status.state, 'stopped');
    assert.match(page.text, /data-line-state="stopped"/);
    for (const metric of ['availability', 'performance', 'quality', 'oee']) {
      const shown = new RegExp(`data-metric="${metric}">([^<]+)<`).exec(page.text)?.[1];
      const value = status.today![metric as 'oee'];
      assert.equal(shown, value === null ? '—' : `${(value * 100).toFixed(1)} %`, metric);
    }
    assert.match(page.text, /canvas data-chart="\{&quot;widget_type&quot;:&quot;gauge&quot;/);
    assert.match(page.text, /&quot;widget_type&quot;:&quot;stacked_bar&quot;/, 'counts by hour');
    assert.match(page.text, /Unplanned downtime by reason/);
    assert.ok(lineA.stopIds.length >= 2, 'two stops were stored');
    for (const id of lineA.stopIds) assert.match(page.text, new RegExp(`data-downtime-id="${id}"`));
    assert.match(page.text, new RegExp(lineA.timezone.replace('/', '\\/')), 'the line\'s time zone is named');
    assert.match(page.text, /hx-trigger="sentinel:lines from:body, sentinel:downtime from:body, every 60s"/, 'live: refreshed on line and downtime events');
    // A viewer reads the classification; it has no form to change it.
    assert.doesNotMatch(page.text, /name="reason"/);
    assert.equal(page.text.includes(XSS), false, 'the line name is text');
    assert.match(page.text, /Alpha press &lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('lets an operator classify a stop in place from the tenant\'s reasons, audited like the API, and the Pareto follows', async () => {
    const web = await signedIn(ctx.a.operator);
    const page = await web.get(`/production/lines/${lineA.lineId}`);
    const stopId = lineA.stopIds[0]!;
    assert.match(page.text, new RegExp(`id="reason-${stopId}"`));
    assert.match(page.text, /<option value="Changeover" data-category="planned"/);
    assert.match(page.text, /Jam &lt;img src=x onerror=alert\(1\)&gt;/, 'reasons are text');
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    const reason = `Jam ${XSS}`;
    const row = await web.post(`/production/lines/${lineA.lineId}/downtime/${stopId}`, { reason, category: 'unplanned', comment: 'Belt <b>stuck</b>' }, { 'hx-request': 'true', 'x-csrf-token': csrf });
    assert.equal(row.status, 200);
    assert.match(row.text, new RegExp(`^<tr id="downtime-${stopId}"`));
    assert.match(row.text, /value="Belt &lt;b&gt;stuck&lt;\/b&gt;"/);
    assert.equal(row.text.includes(XSS), false);
    const stored = (await ctx.server.services.production.listDowntime(ctx.a.id, lineA.lineId, { from: Date.now() - 40 * MINUTE, to: Date.now() })).find((stop) => stop.id === stopId)!;
    assert.deepEqual([stored.reason, stored.category, stored.comment], [reason, 'unplanned', 'Belt <b>stuck</b>']);
    const audit = await ctx.server.db.kysely.selectFrom('audit_logs').selectAll().where('action', '=', 'production.downtime.update').where('resource_id', '=', String(stopId)).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.tenant_id, ctx.a.id);
    const pareto = await web.get(`/production/lines/${lineA.lineId}/parts/state`, { 'hx-request': 'true' });
    assert.match(pareto.text, /Jam &lt;img src=x onerror=alert\(1\)&gt;/, 'the Pareto names the reason');

    // A plain form (no HTMX) goes back to the line page; a reason without a category takes the reason's.
    const plain = await web.post(`/production/lines/${lineA.lineId}/downtime/${stopId}`, { _csrf: csrf, reason: 'Changeover' });
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.get('location'), `/production/lines/${lineA.lineId}`);
    const again = (await ctx.server.services.production.listDowntime(ctx.a.id, lineA.lineId, { from: Date.now() - 40 * MINUTE, to: Date.now() })).find((stop) => stop.id === stopId)!;
    assert.deepEqual([again.reason, again.category], ['Changeover', 'planned']);
  });

  it('refuses a reason off the list, a forged request and a viewer, and changes nothing', async () => {
    const stopId = lineA.stopIds.at(-1)!;
    const url = `/production/lines/${lineA.lineId}/downtime/${stopId}`;
    const before = (await ctx.server.services.production.listDowntime(ctx.a.id, lineA.lineId, { from: Date.now() - 40 * MINUTE, to: Date.now() })).find((stop) => stop.id === stopId)!;
    const operator = await signedIn(ctx.a.operator);
    const csrf = await operator.csrf();
    const offList = await operator.post(url, { _csrf: csrf, reason: 'Coffee break' });
    assert.equal(offList.status, 400);
    assert.match(offList.text, /reason must be one of: Changeover, Jam &lt;img src=x/, 'the field error names the tenant\'s reasons, escaped');
    assert.equal((await operator.post(url, { reason: 'Changeover' })).status, 403, 'no CSRF token');
    assert.equal((await operator.post(url, { _csrf: 'forged', reason: 'Changeover' })).status, 403);
    assert.equal((await operator.post(url, { _csrf: csrf, category: 'sideways' })).status, 400);
    const viewer = await signedIn(ctx.a.viewer);
    assert.equal((await viewer.post(url, { _csrf: await viewer.csrf(), reason: 'Changeover' })).status, 403);
    const after = (await ctx.server.services.production.listDowntime(ctx.a.id, lineA.lineId, { from: Date.now() - 40 * MINUTE, to: Date.now() })).find((stop) => stop.id === stopId)!;
    assert.deepEqual([after.reason, after.category, after.comment], [before.reason, before.category, before.comment]);
  });

  it('answers 404 for a line or stop of another tenant\'s plant, and a bad id with 400', async () => {
    const web = await signedIn(ctx.a.operator);
    assert.equal((await web.get('/production/lines/2')).status, 404, 'tenant B has a line 2, tenant A does not');
    assert.equal((await web.get('/production/lines/2/parts/state')).status, 404);
    assert.equal((await web.post('/production/lines/2/downtime/1', { _csrf: await web.csrf(), reason: 'Changeover' })).status, 404);
    assert.equal((await web.post(`/production/lines/${lineA.lineId}/downtime/999999`, { _csrf: await web.csrf(), reason: 'Changeover' })).status, 404);
    assert.equal((await web.get('/production/lines/abc')).status, 400);
    const page = await web.get(`/production/lines/${lineA.lineId}`);
    assert.doesNotMatch(page.text, /Bravo/);
  });

  it('reports OEE by day, shift and week with the API\'s numbers, and exports them as CSV safe for spreadsheets', async () => {
    const web = await signedIn(ctx.a.viewer);
    const status = await ctx.server.services.production.lineStatus(ctx.a.id, lineA.lineId);
    const today = status.today!.from;
    const todayDate = new Intl.DateTimeFormat('en-CA', { timeZone: lineA.timezone }).format(Date.parse(today) + 1);
    const yesterdayDate = new Intl.DateTimeFormat('en-CA', { timeZone: lineA.timezone }).format(Date.parse(today) - 1);
    const query = `line_id=${lineA.lineId}&from=${yesterdayDate}&to=${todayDate}&group_by=day`;
    const page = await web.get(`/production/report?${query}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /data-row="totals"/);
    assert.ok(page.text.includes(`href="/production/report.csv?${query.replaceAll('&', '&amp;')}"`), 'the CSV link carries the filters');
    const api = await ctx.server.services.production.oee(ctx.a.id, { line_id: lineA.lineId, from: Date.parse(today) - 86_400_000, to: Date.parse(today) + 86_400_000, group_by: 'day' });
    const csv = await web.get(`/production/report.csv?${query}`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.match(csv.headers.get('content-disposition')!, /attachment/);
    const [header, ...rows] = csv.text.trim().split('\r\n').map((line) => line.split(','));
    assert.equal(header![0], 'Period');
    assert.equal(rows.length, 3, 'two days and the totals');
    const column = (name: string) => header!.indexOf(name);
    // Yesterday is over: every figure is fixed. Today's counts are too (nothing more is produced).
    const [yesterday, todayRow] = rows;
    assert.equal(Number(yesterday![column('Planned (s)')]), api.buckets[0]!.planned_seconds);
    assert.equal(Number(yesterday![column('Downtime (s)')]), api.buckets[0]!.downtime_seconds);
    assert.equal(Number(todayRow![column('Good')]), api.buckets[1]!.good_count);
    assert.equal(Number(todayRow![column('Rejects')]), api.buckets[1]!.reject_count);
    assert.equal(Number(todayRow![column('Stops')]), api.buckets[1]!.stops);
    assert.equal(api.buckets[1]!.good_count, 120);

    const byShift = await web.get(`/production/report.csv?line_id=${lineA.lineId}&from=${todayDate}&to=${todayDate}&group_by=shift`);
    assert.match(byShift.text, /'=HYPERLINK\(""http:\/\/evil.example""\)/, 'a formula-like shift name is quoted');
    assert.doesNotMatch(byShift.text, /(^|,)"?=HYPERLINK/m);
    const shiftPage = await web.get(`/production/report?line_id=${lineA.lineId}&from=${todayDate}&to=${todayDate}&group_by=shift`);
    assert.match(shiftPage.text, /=HYPERLINK\(&quot;http:\/\/evil.example&quot;\)/);
    assert.equal((await web.get(`/production/report?line_id=${lineA.lineId}&group_by=week`)).status, 200);
  });

  it('refuses report windows that are not valid with 400, and another tenant\'s line with 404', async () => {
    const web = await signedIn(ctx.a.viewer);
    for (const query of ['from=2026-02-31&to=2026-03-01', 'from=2026-03-02&to=2026-03-01', 'from=2020-01-01&to=2026-01-01', 'from=yesterday', 'group_by=hour', 'group_by=day&evil=1']) {
      const response = await web.get(`/production/report?line_id=${lineA.lineId}&${query}`);
      assert.equal(response.status, 400, query);
      assert.doesNotMatch(response.text, /at .*\.ts:\d+/, 'no stack trace');
    }
    assert.equal((await web.get('/production/report?line_id=2')).status, 404);
    assert.equal((await web.get('/production/report.csv?line_id=2')).status, 404);
  });
});
