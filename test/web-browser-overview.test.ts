import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { dialects } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { inOwnContext, launchBrowser, screenshot, seedTenant, seriousViolations, signedInContext, until, useTheme, type WatchedContext } from './web-fixture.ts';

/*
 * The overview and the security analytics in a real browser. SENTINEL_SCREENSHOTS=<dir> also saves
 * their screenshots in both themes and on a phone.
 */

/** How many of the page's chart canvases Chart.js has drawn, and how many there are. */
const chartsDrawn = (page: Page) => page.evaluate<[number, number]>('(() => { const all = [...document.querySelectorAll("canvas[data-chart]")]; return [all.filter((c) => window.Chart.getChart(c)).length, all.length]; })()');

forEachDialect('web overview in a browser', { env: { SENTINEL_SYNC: 'off' }, tenants: 'OverviewBrowser', roles: ['ADMIN'] }, (ctx) => {
  let browser: Browser;
  let admin: WatchedContext;

  before(async () => {
    await seedTenant(ctx.server, ctx.a, 'Acme');
    await seedTenant(ctx.server, ctx.b, 'Other');
    await ctx.server.services.structure.createFilter(ctx.a.id, { filter_name: 'Period', default_value: { days_back: 7 }, additional_filter: { type: 'daterange', required: true, order: 1 } });
    await ctx.server.services.structure.createFilter(ctx.a.id, { filter_name: 'Line', additional_filter: { type: 'line', order: 2 } });
    browser = await launchBrowser();
    admin = await signedInContext(browser, ctx.server, ctx.a.admin.username, '/');
  });
  after(async () => {
    await browser?.close();
  });

  it('lands on the overview and draws every widget of the dashboard', async () => {
    const { page } = admin;
    assert.equal(new URL(page.url()).pathname, '/overview');
    await page.locator('[data-widget-id="oee_gauge"] canvas').waitFor();
    const [drawn, total] = await chartsDrawn(page);
    assert.ok(total >= 10, `the ADMIN's dashboard has its charts (${total})`);
    assert.equal(drawn, total, 'Chart.js drew every chart');
    assert.equal(await page.locator('[data-widget-error]').count(), 0);
    await screenshot(page, 'overview-dark');
  });

  it('re-renders the widgets when a filter changes, keeps the filters in the address, and shows the same after a reload', async () => {
    const { page } = admin;
    const before = await page.locator('[data-widget-id="quality_card"] [data-value]').getAttribute('data-value');
    assert.notEqual(before, '', 'this week has output');
    await page.fill('#filter-1-from', '2020-01-01');
    await page.waitForURL(/from=2020-01-01/);
    await page.fill('#filter-1-to', '2020-01-07');
    await page.waitForURL(/to=2020-01-07/);
    await page.locator('[data-widget-id="quality_card"] [data-value=""]').waitFor();
    // Charts are drawn when HTMX has set the swapped-in widgets up, a moment after they show.
    await until(async () => { const [drawn, total] = await chartsDrawn(page); return drawn === total; }).catch(() => undefined);
    const [drawn, total] = await chartsDrawn(page);
    assert.equal(drawn, total, 'the swapped-in charts are drawn too');
    await page.reload();
    assert.equal(await page.inputValue('#filter-1-to'), '2020-01-07');
    assert.equal(await page.locator('[data-widget-id="quality_card"] [data-value]').getAttribute('data-value'), '');
  });

  it('draws the security analytics charts', async () => {
    const { page } = admin;
    await page.goto(`${ctx.server.url}/security/analytics`);
    await page.locator('[data-widget-id="incidents_trend"] canvas').waitFor();
    await page.selectOption('#analytics-hours', '168');
    await page.waitForURL(/hours=168/);
    // The new URL comes before the new charts are in the page and drawn: wait for them, then count.
    await page.waitForFunction('document.querySelectorAll("canvas[data-chart]").length === 4 && [...document.querySelectorAll("canvas[data-chart]")].every((c) => window.Chart?.getChart(c))', undefined, { timeout: 15_000 });
    const [drawn, total] = await chartsDrawn(page);
    assert.equal(total, 4);
    assert.equal(drawn, 4);
    await screenshot(page, 'security-analytics-dark');
  });

  const once = ctx.dialect === dialects()[0] ? {} : { skip: 'checked on the first dialect' };

  it('has no serious accessibility violation on the overview and analytics, in either theme', once, async () => {
    const { page } = admin;
    for (const theme of ['dark', 'light'] as const) {
      await page.goto(`${ctx.server.url}/overview`);
      await useTheme(page, theme);
      for (const url of ['/overview', '/security/analytics']) {
        await page.goto(`${ctx.server.url}${url}`);
        assert.equal(await page.locator('html.dark').count(), theme === 'dark' ? 1 : 0);
        assert.deepEqual(await seriousViolations(page), [], `${theme} ${url}`);
      }
      if (theme === 'light') {
        await page.goto(`${ctx.server.url}/overview`);
        await screenshot(page, 'overview-light');
      }
    }
  });

  it('stacks the widgets on a phone', once, async () => {
    await inOwnContext(signedInContext(browser, ctx.server, ctx.a.admin.username, '/overview', { phone: true }), async (phone) => {
      const boxes = await phone.page.evaluate<Array<{ x: number; width: number }>>('[...document.querySelectorAll("[data-widget-id]")].map((card) => ({ x: card.getBoundingClientRect().x, width: card.getBoundingClientRect().width }))');
      assert.ok(boxes.length > 0);
      assert.equal(new Set(boxes.map((box) => Math.round(box.x))).size, 1, 'one column');
      assert.ok(boxes.every((box) => box.width > 300), 'each as wide as the screen');
      await screenshot(phone.page, 'phone-overview');
      assert.deepEqual(phone.foreign, []);
      assert.deepEqual(phone.incidents, []);
    });
  });

  it('sent nothing anywhere but its own server, and ran no injected script', () => {
    assert.deepEqual(admin.foreign, []);
    assert.deepEqual(admin.incidents, []);
  });
});
