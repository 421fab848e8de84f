import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeTicket, makeVulnerability } from './helpers/factories.ts';
import { dialects } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { inOwnContext, launchBrowser, screenshot, seriousViolations, signedInContext, until, useTheme, XSS, type WatchedContext } from './web-fixture.ts';
import { MINUTE, seedLine, type SeededLine } from './web-production-fixture.ts';

/*
 * The production line page, the OEE report, vulnerabilities and a ticket in a real browser.
 * SENTINEL_SCREENSHOTS=<dir> also saves screenshots of them in both themes and on a phone.
 */

/** How many of the page's charts Chart.js has drawn, and how many there are. */
const charts = (page: Page) => page.evaluate<[number, number]>('[[...document.querySelectorAll("canvas[data-chart]")].filter((canvas) => window.Chart.getChart(canvas) !== undefined).length, document.querySelectorAll("canvas[data-chart]").length]');
const allChartsDrawn = (page: Page) => until(async () => {
  const [drawn, all] = await charts(page);
  return drawn === all;
});
/** The comment a stop's form holds as it came from the server. */
const savedComment = (page: Page, stopId: number) => page.evaluate<string | undefined>(`document.querySelector('#downtime-${stopId} input[name=comment]')?.defaultValue`);

forEachDialect('web production and security work pages in a browser', { env: { SENTINEL_SYNC: 'off' }, tenants: 'BrowserProd', roles: ['ADMIN', 'OPERATOR'] }, (ctx) => {
  let browser: Browser;
  let operator: WatchedContext;
  let line: SeededLine;
  let vulnerabilityId: string;
  let ticketId: string;

  before(async () => {
    line = await seedLine(ctx.server, ctx.a, 'Acme press', 'acmepress');
    await ctx.server.services.downtimeReasons.create(ctx.a.id, { reason: 'Changeover', category: 'planned' });
    await ctx.server.services.downtimeReasons.create(ctx.a.id, { reason: 'Jam', category: 'unplanned' });
    vulnerabilityId = await makeVulnerability(ctx.server, ctx.a.id, { title: `Acme OpenSSL flaw ${XSS}`, cve: 'CVE-2024-3400', severity: 'critical' });
    await makeVulnerability(ctx.server, ctx.a.id, { title: 'Acme banner', cve: 'CVE-2023-0001', severity: 'low' });
    ticketId = (await makeTicket(ctx.server, ctx.a.admin.token, { title: 'Acme rotate the VPN keys' })).id;
    browser = await launchBrowser();
    operator = await signedInContext(browser, ctx.server, ctx.a.operator.username, '/production');
  });
  after(async () => {
    await browser?.close();
  });

  it('opens a line from its tile and draws its gauges and charts', async () => {
    const { page } = operator;
    await page.locator(`a[href="/production/lines/${line.lineId}"]`).click();
    await page.waitForURL(`**/production/lines/${line.lineId}`);
    await page.locator('[data-line-state="stopped"]').waitFor();
    // Four gauges, counts by hour and the Pareto.
    await allChartsDrawn(page);
    assert.deepEqual(await charts(page), [6, 6]);
  });

  it('classifies a stop in place: the reason brings its category, the row updates and the API agrees', async () => {
    const { page } = operator;
    const stopId = line.stopIds[0]!;
    const row = page.locator(`#downtime-${stopId}`);
    await row.getByLabel('Reason').selectOption('Changeover');
    assert.equal(await row.getByLabel('Category').inputValue(), 'planned', 'the reason\'s category is picked');
    await row.getByLabel('Comment').fill('Die change for the next order');
    await row.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await savedComment(page, stopId)) === 'Die change for the next order');
    assert.equal(new URL(page.url()).pathname, `/production/lines/${line.lineId}`, 'no page reload needed');
    const stored = (await ctx.server.services.production.listDowntime(ctx.a.id, line.lineId, { from: Date.now() - 40 * MINUTE, to: Date.now() })).find((stop) => stop.id === stopId)!;
    assert.deepEqual([stored.reason, stored.category, stored.comment], ['Changeover', 'planned', 'Die change for the next order']);
  });

  it('refreshes the stops when another operator classifies one (downtime.updated), without a reload', async () => {
    const { page } = operator;
    const stopId = line.stopIds.at(-1)!;
    // Green once the server said it subscribed the page.
    await page.locator('#live-status.text-green-600').waitFor();
    await ctx.server.services.downtimeReasons.classify(ctx.a.id, line.lineId, stopId, { reason: 'Jam', comment: 'Cleared by the night shift' });
    // The previous step's save announced its own downtime.updated: that refresh may still be in
    // flight when this event arrives (HTMX's queued second refresh would go with the element the
    // first one replaces); the page refreshes a part again when its refresh began before the event. One event is enough.
    ctx.server.services.bus.publish({ type: 'downtime.updated', tenant_id: ctx.a.id, id: String(stopId), line_id: line.lineId });
    await until(async () => (await savedComment(page, stopId)) === 'Cleared by the night shift', 20_000);
    await allChartsDrawn(page);
  });

  it('refreshes a part again when its event arrives while it is refreshing with an answer read before the change', async () => {
    const { page } = operator;
    const stopId = line.stopIds.at(-1)!;
    const url = `**/production/lines/${line.lineId}/parts/downtime`;
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    // The first refresh gets its answer from the server now, and the page gets it once released.
    await page.route(url, async (route) => {
      if (held) return route.continue();
      held = true;
      const stale = await route.fetch();
      await released;
      await route.fulfill({ response: stale });
    });
    try {
      ctx.server.services.bus.publish({ type: 'downtime.updated', tenant_id: ctx.a.id, id: String(stopId), line_id: line.lineId });
      await until(async () => held);
      await ctx.server.services.downtimeReasons.classify(ctx.a.id, line.lineId, stopId, { comment: 'Second look by the morning shift' });
      ctx.server.services.bus.publish({ type: 'downtime.updated', tenant_id: ctx.a.id, id: String(stopId), line_id: line.lineId });
      // Time for the event to reach the page while the refresh is held (arriving later, it would simply start one).
      await new Promise((resolve) => setTimeout(resolve, 500));
      release();
      await until(async () => (await savedComment(page, stopId)) === 'Second look by the morning shift', 20_000);
    } finally {
      release();
      await page.unroute(url);
    }
  });

  it('shows the live feed connected only once the server says it is subscribed (hello), not when the socket opens', async () => {
    await inOwnContext(signedInContext(browser, ctx.server, ctx.a.operator.username, '/production'), async ({ page }) => {
      let releaseHello = () => {};
      const helloHeld = new Promise<void>((resolve) => {
        releaseHello = resolve;
      });
      let opened = false;
      // Between the page and the server: the server's hello waits until released, the rest passes.
      await page.routeWebSocket(/\/live$/, (socket) => {
        const server = socket.connectToServer();
        opened = true;
        server.onMessage((message) => {
          if (typeof message === 'string' && message.includes('"hello"')) void helloHeld.then(() => socket.send(message));
          else socket.send(message);
        });
      });
      await page.reload();
      await until(async () => opened);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(await page.locator('#live-status.text-green-600').count(), 0, 'not connected before the hello');
      releaseHello();
      await page.locator('#live-status.text-green-600').waitFor();
    });
  });

  it('shows the OEE report and exports its CSV', async () => {
    const { page } = operator;
    await page.goto(`${ctx.server.url}/production/report?line_id=${line.lineId}`);
    await page.locator('#oee-report [data-row="totals"]').waitFor();
    await page.getByLabel('Group by').selectOption('shift');
    await Promise.all([page.waitForURL(/group_by=shift/), page.getByRole('button', { name: 'Filter' }).click()]);
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    const csv = await page.evaluate<string, string>(async (url) => (await fetch(url)).text(), href!);
    assert.match(csv, /^Period,Shift,From,To,/);
  });

  it('filters vulnerabilities through the URL and starts a patch in place', async () => {
    const { page } = operator;
    await page.goto(`${ctx.server.url}/security/vulnerabilities`);
    await page.getByLabel('Severity').selectOption('critical');
    await Promise.all([page.waitForURL(/severity=critical/), page.getByRole('button', { name: 'Filter' }).click()]);
    assert.equal(await page.locator('[data-vulnerability-id]').count(), 1);
    await page.getByText(`Acme OpenSSL flaw ${XSS}`).waitFor();
    const row = page.locator(`#vulnerability-${vulnerabilityId}`);
    await row.getByRole('button', { name: 'Start patch' }).click();
    await page.locator(`#vulnerability-${vulnerabilityId}[data-status="patching"]`).waitFor();
    await page.locator(`#vulnerability-${vulnerabilityId}`).getByText('Patch job: pending').waitFor();
    assert.equal((await ctx.server.services.vulnerabilities.get(ctx.a.id, vulnerabilityId)).status, 'patching');
  });

  it('adds a comment to a ticket and changes its status without a reload', async () => {
    const { page } = operator;
    await page.goto(`${ctx.server.url}/security/tickets`);
    await page.getByRole('link', { name: 'Acme rotate the VPN keys' }).click();
    await page.waitForURL(`**/security/tickets/${ticketId}`);
    await page.getByLabel('Add a comment').fill(`Keys rotated ${XSS}`);
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('[data-comment-id]').getByText(`Keys rotated ${XSS}`).waitFor();
    await page.getByLabel('Status').selectOption('resolved');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.locator('[data-ticket-status="resolved"]').waitFor();
    const ticket = await ctx.server.services.tickets.get(ctx.a.id, ticketId);
    assert.deepEqual([ticket.status, ticket.comments.length], ['resolved', 1]);
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'the payload is no element');
  });

  // The markup does not depend on the database: the (slow) sweep runs on one dialect.
  const once = ctx.dialect === dialects()[0] ? {} : { skip: 'checked on the first dialect' };

  it('has no serious accessibility violation on these pages, in either theme, and fits a phone', once, async () => {
    const { page } = operator;
    const pages: [string, string][] = [
      [`/production/lines/${line.lineId}`, 'production-line'], [`/production/report?line_id=${line.lineId}`, 'production-report'],
      ['/security/vulnerabilities', 'security-vulnerabilities'], [`/security/tickets/${ticketId}`, 'security-ticket'],
    ];
    for (const theme of ['dark', 'light'] as const) {
      await page.goto(`${ctx.server.url}/production`);
      await useTheme(page, theme);
      for (const [url, name] of pages) {
        await page.goto(`${ctx.server.url}${url}`);
        assert.equal(await page.locator('html.dark').count(), theme === 'dark' ? 1 : 0);
        assert.deepEqual(await seriousViolations(page), [], `${theme} ${url}`);
        await allChartsDrawn(page);
        await screenshot(page, `${name}-${theme}`);
      }
    }
    await inOwnContext(signedInContext(browser, ctx.server, ctx.a.operator.username, `/production/lines/${line.lineId}`, { phone: true }), async (phone) => {
      await phone.page.locator('#line-state').waitFor();
      const overflow = await phone.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 0, `the page fits the phone's width (${overflow}px too wide)`);
      await screenshot(phone.page, 'phone-production-line', { fullPage: true });
      assert.deepEqual(phone.incidents, []);
    });
  });

  it('sent nothing anywhere but its own server, and ran no injected script', () => {
    assert.deepEqual(operator.foreign, []);
    assert.deepEqual(operator.incidents, []);
  });
});
