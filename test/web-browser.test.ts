import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeAlert } from './helpers/factories.ts';
import { dialects, PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import {
  inOwnContext, launchBrowser, screenshot, seedTenant, seriousViolations, signedInContext, until, useTheme, watchedContext, XSS, type SeededTenant, type WatchedContext,
} from './web-fixture.ts';

/*
 * The web UI in a real browser (Debian's Chromium through playwright-core). Set
 * SENTINEL_SCREENSHOTS=<dir> to also save screenshots of the main pages in both themes and on a phone.
 */

const PAGES = ['/security', '/security/alerts', '/security/vulnerabilities', '/security/tickets', '/production', '/admin/users', '/admin/audit'];

forEachDialect('web UI in a browser', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Browser', roles: ['ADMIN', 'OPERATOR'] }, (ctx) => {
  let browser: Browser;
  let seeded: SeededTenant;
  let admin: WatchedContext;

  before(async () => {
    seeded = await seedTenant(ctx.server, ctx.a, 'Acme');
    await seedTenant(ctx.server, ctx.b, 'Other');
    browser = await launchBrowser();
    admin = await signedInContext(browser, ctx.server, ctx.a.admin.username, '/security');
  });
  after(async () => {
    await browser?.close();
  });

  it('signs in from the form and lands on the page that was asked for', async () => {
    assert.equal(new URL(admin.page.url()).pathname, '/security');
    await admin.page.getByRole('heading', { name: 'Systems by status' }).waitFor();
    const cookies = await admin.context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'sentinel_session');
    assert.ok(session?.httpOnly, 'HttpOnly: scripts cannot read it');
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await admin.page.evaluate('document.cookie.includes("sentinel_session")'), false);
  });

  it('renders every page with the tenant\'s data, in the UI\'s look, and shows the vendor\'s markup as text', async () => {
    const expected: Record<string, string> = {
      '/security': 'Acme Wazuh manager', '/security/alerts': 'Acme brute force on ssh', '/security/vulnerabilities': 'Acme OpenSSL flaw',
      '/security/tickets': 'Acme rotate the VPN keys', '/production': 'Acme Press line', '/admin/users': 'browser.operator.a', '/admin/audit': 'auth.login',
    };
    for (const url of PAGES) {
      await admin.page.goto(`${ctx.server.url}${url}`);
      await admin.page.getByText(expected[url]!).first().waitFor();
      assert.equal(await admin.page.getByText('Other ').count(), 0, `${url}: nothing of the other tenant`);
    }
    await admin.page.goto(`${ctx.server.url}/security/alerts`);
    await admin.page.getByText(XSS, { exact: true }).waitFor();
    assert.equal(await admin.page.locator('img[src="x"]').count(), 0, 'the payload is no element');
    // (Strings: these run in the page, and the tests are type-checked without the DOM library.)
    const fonts = await admin.page.evaluate<string[]>('document.fonts.ready.then((set) => [...set].filter((font) => font.status === "loaded").map((font) => font.family))');
    assert.ok(fonts.some((family) => family.includes('Inter')), `Inter loaded (${fonts.join(', ')})`);
    assert.ok(fonts.some((family) => family.includes('Material Symbols')), 'icons loaded');
    const background = await admin.page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    assert.equal(background, 'rgb(15, 23, 42)', 'dark by default (#0f172a)');
  });

  it('resolves an alert with a note in the page, and the API agrees', async () => {
    const id = seeded.alertIds[1]!;
    const { page } = admin;
    await page.goto(`${ctx.server.url}/security/alerts`);
    const row = page.locator(`#alert-${id}`);
    await row.locator('summary').click();
    await row.getByLabel('Resolution note').fill('Freed 20 GB');
    await row.getByRole('button', { name: 'Resolve alert' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, '/security/alerts', 'no page reload needed');
    const token = (await ctx.server.api.login(ctx.a.operator.username, PASSWORD)).access_token;
    const alert = (await ctx.server.api.get(`/api/v1/alerts/${id}`, token)).body;
    assert.equal(alert.status, 'resolved');
    assert.equal(alert.resolution_note, 'Freed 20 GB');
  });

  it('refuses a request from the page that lacks the CSRF token', async () => {
    const { page } = admin;
    await page.goto(`${ctx.server.url}/security/alerts`);
    const status = await page.evaluate(async (id) => (await fetch(`/security/alerts/${id}/acknowledge`, { method: 'POST' })).status, seeded.alertIds[0]!);
    assert.equal(status, 403);
    const token = (await ctx.server.api.login(ctx.a.operator.username, PASSWORD)).access_token;
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${seeded.alertIds[0]}`, token)).body.status, 'active');
  });

  it('shows what the server refused, or a lost connection, in a message the user dismisses; the page stays as it was', async () => {
    const { page } = admin;
    const id = await makeAlert(ctx.server, ctx.a.id, { title: 'Acme stale login alert', severity: 'medium', source: 'wazuh' });
    await page.goto(`${ctx.server.url}/security/alerts`);
    const row = page.locator(`#alert-${id}`);
    const toasts = page.locator('#toasts [data-toast]');
    // Resolved meanwhile, unannounced (no live event, which would refresh the list): acknowledging it here is a 409.
    await ctx.server.db.kysely.updateTable('alerts').set({ status: 'resolved', resolved_at: Date.now() }).where('id', '=', id).execute();
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await toasts.getByText('It changed in the meantime').waitFor();
    await toasts.getByText('The alert is already resolved').waitFor();
    assert.equal(await page.locator('#toasts [role=alert] [data-toast]').count(), 1, 'announced to screen readers');
    assert.equal(await row.getByRole('button', { name: 'Acknowledge' }).count(), 1, 'the row is left as it was');
    await screenshot(page, 'toast-conflict-dark');
    await toasts.getByRole('button', { name: 'Dismiss the message' }).click();
    assert.equal(await toasts.count(), 0);

    await page.route(`**/security/alerts/${id}/acknowledge`, (route) => route.abort('connectionrefused'));
    try {
      await row.getByRole('button', { name: 'Acknowledge' }).click();
      await toasts.getByText('No connection to the server').waitFor();
    } finally {
      await page.unroute(`**/security/alerts/${id}/acknowledge`);
    }
    assert.deepEqual(await seriousViolations(page), [], 'with a message shown');
    await toasts.getByRole('button', { name: 'Dismiss the message' }).click();
    assert.equal(await toasts.count(), 0);
  });

  it('shows a new alert as it arrives, without a reload', async () => {
    const { page } = admin;
    await page.goto(`${ctx.server.url}/security/alerts`);
    await page.locator('#live-status.text-green-600').waitFor(); // the live feed is connected
    const id = await makeAlert(ctx.server, ctx.a.id, { title: 'Acme ransomware note found', severity: 'critical', source: 'wazuh' });
    ctx.server.services.bus.publish({ type: 'alert.created', tenant_id: ctx.a.id, id, severity: 'critical', title: 'Acme ransomware note found' });
    await page.locator(`#alert-${id}`).waitFor({ timeout: 10_000 });
    await page.getByText('Acme ransomware note found').first().waitFor();
  });

  it('starts the page\'s behaviour when its script arrives after the page was parsed (it loads async)', async () => {
    await inOwnContext(signedInContext(browser, ctx.server, ctx.a.admin.username, '/security'), async ({ page }) => {
      await page.route('**/assets/app.*.js', async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await route.continue();
      });
      await page.goto(`${ctx.server.url}/security/alerts`, { waitUntil: 'domcontentloaded' });
      assert.equal(await page.evaluate('typeof window.htmx'), 'undefined', 'DOMContentLoaded came before the script');
      await page.locator('#live-status.text-green-600').waitFor(); // the live feed started
      const id = await makeAlert(ctx.server, ctx.a.id, { title: 'Acme late script alert', severity: 'high', source: 'wazuh' });
      ctx.server.services.bus.publish({ type: 'alert.created', tenant_id: ctx.a.id, id, severity: 'high', title: 'Acme late script alert' });
      await page.locator(`#alert-${id}`).waitFor({ timeout: 10_000 }); // HTMX started and refreshed the list
    });
  });

  it('turns a line\'s tile to stopped when the line stops', async () => {
    const { page } = admin;
    await ctx.server.services.production.ingest(ctx.a.id, seeded.lineId, { detections: [{ detected_at: new Date().toISOString(), area_id: seeded.outputAreaId }] });
    await page.goto(`${ctx.server.url}/production`);
    const tile = page.locator(`[data-line-id="${seeded.lineId}"]`);
    assert.equal(await tile.getAttribute('data-state'), 'running');
    await page.locator('#live-status.text-green-600').waitFor(); // the live feed is connected
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the line's 2 s threshold
    ctx.server.services.bus.publish({ type: 'line.stopped', tenant_id: ctx.a.id, id: String(seeded.lineId), line_id: seeded.lineId });
    await page.locator(`[data-line-id="${seeded.lineId}"][data-state="stopped"]`).waitFor({ timeout: 10_000 });
  });

  // The markup does not depend on the database: the (slow) page-by-page sweeps run on one dialect.
  const once = ctx.dialect === dialects()[0] ? {} : { skip: 'checked on the first dialect' };

  it('has no serious accessibility violation on any page, in either theme', once, async () => {
    const { page } = admin;
    for (const theme of ['dark', 'light'] as const) {
      await page.goto(`${ctx.server.url}/security`);
      await useTheme(page, theme);
      for (const url of [...PAGES, '/no-such-page']) {
        await page.goto(`${ctx.server.url}${url}`);
        assert.equal(await page.locator('html.dark').count(), theme === 'dark' ? 1 : 0);
        assert.deepEqual(await seriousViolations(page), [], `${theme} ${url}`);
        if (['/security', '/security/alerts', '/production'].includes(url)) await screenshot(page, `${url.slice(1).replaceAll('/', '-')}-${theme}`);
      }
    }
    await inOwnContext(watchedContext(browser, ctx.server), async (login) => {
      await login.page.goto(`${ctx.server.url}/login`);
      assert.deepEqual(await seriousViolations(login.page), [], 'sign-in page');
    });
  });

  it('works on a phone: the menu opens from the header', once, async () => {
    await inOwnContext(signedInContext(browser, ctx.server, ctx.a.operator.username, '/security/alerts', { phone: true }), async (phone) => {
      const nav = phone.page.locator('#sidebar');
      assert.ok((await nav.boundingBox())!.x < 0, 'the sidebar starts out of view');
      await phone.page.getByRole('button', { name: 'Menu' }).click();
      await until(async () => (await nav.boundingBox())!.x >= 0);
      await screenshot(phone.page, 'phone-menu');
      await phone.page.locator('#sidebar').getByText('Alerts').click();
      await screenshot(phone.page, 'phone-alerts');
      assert.deepEqual(phone.foreign, []);
      assert.deepEqual(phone.incidents, []);
    });
  });

  it('sent nothing anywhere but its own server, and ran no injected script', () => {
    assert.deepEqual(admin.foreign, []);
    assert.deepEqual(admin.incidents, []);
  });
});
