import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { iconCandidates, literalIconNames } from '../scripts/icon-names.ts';
import { ADMIN_PASSWORD, PASSWORD, type TestServer } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { seedTenant, XSS, type SeededTenant } from './web-fixture.ts';

describe('web UI icon font', () => {
  const manifest = JSON.parse(readFileSync('src/modules/web/assets/material-symbols.json', 'utf8')) as { sha256: string; names: string[] };

  it('is the subset the manifest describes (run `npm run build:icons` after changing icons)', () => {
    const font = readFileSync('src/modules/web/assets/material-symbols.woff2');
    assert.equal(createHash('sha256').update(font).digest('hex'), manifest.sha256);
    assert.ok(font.length < 20_000, `the subset stays small (${font.length} bytes)`);
  });

  it('has every icon the views name', () => {
    const missing = literalIconNames().filter((name) => !manifest.names.includes(name));
    assert.deepEqual(missing, [], 'icon(…) names missing from the font: run npm run build:icons');
    const all = new Set([...readFileSync('node_modules/material-symbols/index.d.ts', 'utf8').matchAll(/"([a-z0-9_]+)"/g)].map((match) => match[1]!));
    const quoted = iconCandidates().filter((name) => all.has(name) && !manifest.names.includes(name));
    assert.deepEqual(quoted, [], 'icon names quoted in the views but missing from the font: run npm run build:icons');
  });
});

/** A signed-in browser session over plain HTTP: the session cookie. */
async function signIn(server: TestServer, username: string, password = PASSWORD): Promise<string> {
  const form = await fetch(`${server.url}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const cookie = form.headers.getSetCookie().map((line) => line.split(';')[0]!).join('; ');
  const response = await fetch(`${server.url}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ username, password, _csrf: csrf }).toString(),
  });
  return response.headers.getSetCookie().find((line) => line.startsWith('sentinel_session='))!.split(';')[0]!;
}

async function get(server: TestServer, cookie: string, url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${url}`, { headers: { accept: 'text/html', cookie, ...headers }, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The data a chart or card carries in the page, by widget. */
function widgetData(html: string, widgetId: string): string {
  const start = html.indexOf(`data-widget-id="${widgetId}"`);
  assert.ok(start !== -1, `${widgetId} is on the page`);
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
}

forEachDialect('web overview and analytics over HTTP', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Overview', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let seededA: SeededTenant;
  let admin: string;

  before(async () => {
    seededA = await seedTenant(ctx.server, ctx.a, 'Alpha');
    await seedTenant(ctx.server, ctx.b, 'Bravo');
    const { structure, widgets } = ctx.server.services;
    await structure.createFilter(ctx.a.id, { filter_name: 'Period', default_value: { days_back: 7 }, additional_filter: { type: 'daterange', required: true, order: 1 } });
    await structure.createFilter(ctx.a.id, { filter_name: `Line ${XSS}`, additional_filter: { type: 'line', order: 2 } });
    await structure.createFilter(ctx.a.id, { filter_name: 'Crew', default_value: ['blue'], additional_filter: { type: 'multiselect', options: ['blue', { value: 'red', label: 'Red crew' }], order: 3 } });
    // The OPERATOR's own dashboard: a widget that needs a line (none chosen: it fails) beside one that works.
    await widgets.createTemplate(ctx.a.id, {
      role: 'OPERATOR', name: `Floor ${XSS}`,
      layout: [{ widget_id: 'shift_comparison', x: 0, y: 0, w: 6, h: 4, params: {} }, { widget_id: 'systems_status', x: 6, y: 0, w: 6, h: 4, params: {} }],
    });
    admin = await signIn(ctx.server, ctx.a.admin.username);
  });

  it('sends tenant users home to the overview, and the platform administrator where it went before', async () => {
    assert.equal((await get(ctx.server, admin, '/')).headers.get('location'), '/overview');
    const root = await signIn(ctx.server, 'admin', ADMIN_PASSWORD);
    assert.equal((await get(ctx.server, root, '/')).headers.get('location'), '/admin/audit');
  });

  it('draws the caller\'s dashboard on the grid under the tenant\'s filter panel, with its defaults', async () => {
    const page = await get(ctx.server, admin, '/overview');
    assert.equal(page.status, 200);
    const template = (await ctx.server.api.get('/api/v1/dashboards/mine', ctx.a.admin.token)).body;
    const cells = [...page.text.matchAll(/data-widget-id="([a-z_]+)"/g)].map((match) => match[1]);
    assert.deepEqual(new Set(cells), new Set(template.layout.map((item: { widget_id: string }) => item.widget_id)), 'every widget of the template');
    const gauge = template.layout.find((item: { widget_id: string }) => item.widget_id === 'oee_gauge');
    assert.match(page.text, new RegExp(`style="--x:${gauge.x + 1};--w:${gauge.w};--y:${gauge.y + 1};--h:${gauge.h}"`), 'placed by x, y, w and h');
    assert.match(page.text, /<canvas data-chart="\{&quot;widget_type&quot;:&quot;gauge&quot;/, 'the gauge is a chart');
    // The panel: the period (dates of the tenant's zone, the last 7 days up to today), the line, the crews.
    const filters = (await ctx.server.api.get('/api/v1/filters', ctx.a.admin.token)).body;
    const period = filters.items[0].default;
    assert.match(page.text, new RegExp(`type="date" name="from" value="${period.from.slice(0, 10)}" required`));
    assert.match(page.text, /<option value="">All<\/option><option value="\d+" >Alpha Press line<\/option>/);
    assert.match(page.text, /<option value="blue" selected>blue<\/option><option value="red" >Red crew<\/option>/);
    assert.ok(page.text.includes('Line &lt;img src=x onerror=alert(1)&gt;'), 'a filter\'s name is text');
    assert.equal(page.text.includes(XSS), false);
    assert.doesNotMatch(page.text, /Bravo/, 'nothing of tenant B');
  });

  it('re-renders the widgets for a filter change, names the page\'s URL for the address bar, and shows the same from that URL', async () => {
    const line = seededA.lineId;
    const query = `from=2020-01-01&to=2020-01-07&line_id=${line}&crew=red`;
    const part = await get(ctx.server, admin, `/overview/parts/widgets?${query}`, { 'hx-request': 'true' });
    assert.equal(part.status, 200);
    assert.match(part.text, /^<div id="widgets"/);
    assert.doesNotMatch(part.text, /<html/);
    assert.equal(part.headers.get('hx-push-url'), `/overview?${query}`);
    // Nothing was made in 2020: the card says so; the default window has this week's output.
    assert.match(widgetData(part.text, 'quality_card'), /data-value=""/);
    assert.match(widgetData((await get(ctx.server, admin, '/overview')).text, 'quality_card'), /data-value="[01](\.\d+)?"/);
    const page = await get(ctx.server, admin, `/overview?${query}`);
    assert.match(page.text, /name="from" value="2020-01-01"/);
    assert.match(page.text, new RegExp(`<option value="${line}" selected>`));
    assert.match(page.text, /<option value="red" selected>/);
    assert.equal(widgetData(page.text, 'production_by_time'), widgetData(part.text, 'production_by_time'), 'the shared link shows the same data');
  });

  it('refuses filter values that are no option of the tenant, dates no calendar has and unknown filters', async () => {
    // (Each tenant's plant numbers its lines from 1: another tenant's line is just a number that is no option here.)
    for (const query of ['line_id=999999', 'line_id=abc', 'from=2026-02-31', 'from=2026-11-30&to=2026-11-01', 'crew=green', 'secret=1', 'from=2026-11-01&from=2026-11-02']) {
      const page = await get(ctx.server, admin, `/overview?${query}`);
      assert.equal(page.status, 400, query);
      assert.match(page.text, /id="sidebar"/, 'the error page in the UI\'s look');
      assert.doesNotMatch(page.text, /Bravo/);
    }
  });

  it('shows a widget that fails in its card, and the others still', async () => {
    const operator = await signIn(ctx.server, ctx.a.operator.username);
    const page = await get(ctx.server, operator, '/overview');
    assert.equal(page.status, 200);
    assert.match(widgetData(page.text, 'shift_comparison'), /data-widget-error="400"/);
    // Said by the field error's code, in the page's language (not the API's English sentence).
    assert.match(widgetData(page.text, 'shift_comparison'), /Some fields are not valid[\s\S]*params\.line_id: is required/);
    assert.match(widgetData(page.text, 'systems_status'), /<canvas data-chart=/);
    assert.ok(page.text.includes('Floor &lt;img src=x onerror=alert(1)&gt;'), 'the template\'s name is text');
    assert.equal(page.text.includes(XSS), false);
  });

  it('names the widget engine\'s series and units in the page\'s language', async () => {
    const chartOf = (html: string, widget: string) => JSON.parse(/data-chart="([^"]+)"/.exec(widgetData(html, widget))![1]!.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as {
      datasets: Array<{ label: string; unit: string }>;
    };
    const series = (html: string, widget: string) => chartOf(html, widget).datasets.map((dataset) => `${dataset.label} (${dataset.unit})`);
    const useLanguage = async (language: 'en' | 'es') => {
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec((await get(ctx.server, admin, '/overview')).text)![1]!;
      const switched = await fetch(`${ctx.server.url}/preferences`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin },
        body: new URLSearchParams({ _csrf: csrf, language, return_to: '/' }).toString(),
      });
      assert.equal(switched.status, 303);
      return { overview: (await get(ctx.server, admin, '/overview')).text, analytics: (await get(ctx.server, admin, '/security/analytics')).text };
    };
    const english = await useLanguage('en');
    assert.deepEqual(series(english.overview, 'line_comparison'), ['OEE (ratio)', 'Availability (ratio)', 'Performance (ratio)', 'Quality (ratio)']);
    assert.deepEqual(series(english.analytics, 'response_times'), ['Mean time to acknowledge (s)', 'Mean time to resolve (s)']);
    try {
      const spanish = await useLanguage('es');
      assert.deepEqual(series(spanish.overview, 'line_comparison'), ['OEE (proporción)', 'Disponibilidad (proporción)', 'Rendimiento (proporción)', 'Calidad (proporción)']);
      assert.deepEqual(series(spanish.overview, 'production_by_time'), ['Buenas (uds.)', 'Rechazos (uds.)']);
      assert.deepEqual(series(spanish.overview, 'downtime_pareto'), ['Tiempo de paro (s)', 'Acumulado (%)']);
      assert.deepEqual(series(spanish.overview, 'systems_status'), ['Sistemas (sistemas)']);
      assert.deepEqual(series(spanish.analytics, 'response_times'), ['Tiempo medio de reconocimiento (s)', 'Tiempo medio de resolución (s)']);
      assert.deepEqual(series(spanish.analytics, 'alerts_by_severity'), ['Alertas (alertas)']);
      assert.deepEqual(series(spanish.analytics, 'vulnerability_distribution'), ['Vulnerabilidades abiertas (vulnerabilidades)']);
      assert.deepEqual(series(spanish.analytics, 'incidents_trend').slice(0, 2), ['Crítica (alertas)', 'Alta (alertas)']);
    } finally {
      await useLanguage('en');
    }
  });

  it('draws the security analytics from the security widgets, for the tenant only', async () => {
    const viewer = await signIn(ctx.server, ctx.a.viewer.username);
    const page = await get(ctx.server, viewer, '/security/analytics?hours=72&days=90');
    assert.equal(page.status, 200);
    for (const widget of ['alerts_by_severity', 'incidents_trend', 'response_times', 'vulnerability_distribution']) assert.match(widgetData(page.text, widget), /<canvas data-chart=/, widget);
    assert.match(page.text, /<option value="72" selected>/);
    const api = (await ctx.server.api.get('/api/v1/analytics/incidents?hours=72', ctx.a.viewer.token)).body;
    const spec = JSON.parse(/data-chart="([^"]+)"/.exec(widgetData(page.text, 'alerts_by_severity'))![1]!.replaceAll('&quot;', '"'));
    assert.deepEqual(spec.datasets[0].data, ['critical', 'high', 'medium', 'low', 'info'].map((severity) => api.by_severity[severity]), 'the API\'s numbers');
    assert.equal((await get(ctx.server, viewer, '/security/analytics?hours=5')).status, 400);
    assert.match((await get(ctx.server, viewer, '/security/analytics')).text, /href="\/security\/analytics" aria-current="page"/);
  });
});
