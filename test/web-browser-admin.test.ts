import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_PASSWORD, dialects } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { inOwnContext, launchBrowser, PHONE, screenshot, seriousViolations, signedInContext, useTheme, watchedContext, XSS, type WatchedContext } from './web-fixture.ts';

/*
 * The administration and integrations pages in a real browser (Debian's Chromium through
 * playwright-core). SENTINEL_SCREENSHOTS=<dir> also saves screenshots of them in both themes and on a phone.
 */

forEachDialect('web UI administration in a browser', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Console', roles: ['ADMIN'] }, (ctx) => {
  let browser: Browser;
  let admin: WatchedContext;
  let integrationId: string;
  let templateId: string;

  before(async () => {
    const created = await ctx.server.api.post('/api/v1/integrations', { name: `Edge ${XSS}`, type: 'grafana', config: { url: 'http://127.0.0.1:1' }, secret: 'glsa_never_shown' }, ctx.a.admin.token);
    integrationId = created.body.id;
    const lineIds: number[] = [];
    for (const name of ['Press', 'Packing']) lineIds.push((await ctx.server.api.post('/api/v1/production/lines', { line_name: name }, ctx.a.admin.token)).body.line_id);
    await ctx.server.api.post('/api/v1/api-keys', { name: 'Press line devices', scopes: ['production:write'], line_ids: lineIds }, ctx.a.admin.token);
    templateId = (await ctx.server.api.get('/api/v1/dashboards', ctx.a.admin.token)).body.items.find((template: { role: string }) => template.role === 'ADMIN').template_id;
    browser = await launchBrowser();
    admin = await signedInContext(browser, ctx.server, ctx.a.admin.username, '/integrations');
  });
  after(async () => {
    await browser?.close();
  });

  it('connects a system from the generated form, tests it in place, and never shows a secret', async () => {
    const { page } = admin;
    await page.goto(`${ctx.server.url}/integrations/new?type=prometheus`);
    await page.getByLabel('Name').fill('Lab Prometheus');
    await page.getByLabel('URL').fill('not a url');
    await page.getByLabel('Credential').fill('prom_token_never_shown');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    // The API's 400 next to the field, the typed values kept, the secret not.
    await page.locator('#f-config-url-error').waitFor();
    assert.equal(await page.getByLabel('Name').inputValue(), 'Lab Prometheus');
    assert.equal(await page.getByLabel('Credential').inputValue(), '');
    await page.getByLabel('URL').fill('http://127.0.0.1:1');
    await page.getByLabel('Credential').fill('prom_token_never_shown');
    await Promise.all([page.waitForURL(/\/integrations\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Connect', exact: true }).click()]);
    const url = page.url();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('#integration-result [role=status]').waitFor();
    assert.match(await page.locator('#integration-result').innerText(), /Connection (works|failed)/);
    assert.equal(page.url(), url, 'the result came in place');
    assert.equal((await page.content()).includes('prom_token_never_shown'), false);
    assert.equal(await page.getByLabel('Credential').getAttribute('placeholder'), '•••• set');

    await page.goto(`${ctx.server.url}/integrations/${integrationId}`);
    assert.equal((await page.content()).includes('glsa_never_shown'), false);
    await page.getByText(`Edge ${XSS}`).first().waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'the payload is text');
  });

  it('moves a widget in the template editor and saves the tenant\'s own template', async () => {
    const { page } = admin;
    await page.goto(`${ctx.server.url}/admin/dashboards/${templateId}`);
    await page.locator('input[name="layout.0.w"]').fill('3');
    await Promise.all([page.waitForURL((target) => !target.pathname.endsWith(templateId)), page.getByRole('button', { name: 'Save as this tenant\'s template' }).click()]);
    const own = (await ctx.server.api.get('/api/v1/dashboards', ctx.a.admin.token)).body.items.find((template: { tenant_id: string | null }) => template.tenant_id === ctx.a.id);
    assert.equal(own.layout[0].w, 3);
    assert.equal(new URL(page.url()).pathname, `/admin/dashboards/${own.template_id}`);
  });

  // The markup does not depend on the database: the page-by-page sweep runs on one dialect.
  const once = ctx.dialect === dialects()[0] ? {} : { skip: 'checked on the first dialect' };

  it('has no serious accessibility violation on the administration pages, in either theme, nor on a phone', once, async () => {
    const { page } = admin;
    const pages = ['/integrations', '/integrations/new?type=wazuh', `/integrations/${integrationId}`, '/admin/sessions', '/admin/api-keys', '/admin/dashboards', `/admin/dashboards/${templateId}`, '/admin/tenant'];
    for (const theme of ['dark', 'light'] as const) {
      await page.goto(`${ctx.server.url}/integrations`);
      await useTheme(page, theme);
      for (const url of pages) {
        await page.goto(`${ctx.server.url}${url}`);
        assert.deepEqual(await seriousViolations(page), [], `${theme} ${url}`);
        if (url === '/integrations' || url === '/integrations/new?type=wazuh' || url === `/admin/dashboards/${templateId}` || url === '/admin/api-keys') {
          await screenshot(page, `${url.split('?')[0]!.slice(1).replaceAll('/', '-').replace(templateId, 'editor')}-${theme}`);
        }
      }
    }
    await inOwnContext(signedInContext(browser, ctx.server, 'admin', '/admin/tenants', { password: ADMIN_PASSWORD }), async (platform) => {
      await platform.page.getByText('Console A').first().waitFor();
      assert.deepEqual(await seriousViolations(platform.page), [], '/admin/tenants');
      assert.deepEqual(platform.foreign, []);
    });
    await inOwnContext(watchedContext(browser, ctx.server, { viewport: PHONE }), async (phone) => {
      await phone.page.context().addCookies(await admin.context.cookies());
      await phone.page.goto(`${ctx.server.url}/integrations/${integrationId}`);
      assert.deepEqual(await seriousViolations(phone.page), [], 'phone');
      const overflow = await phone.page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth + 1');
      assert.equal(overflow, false, 'no sideways scrolling on a phone');
      await screenshot(phone.page, 'phone-integration');
    });
  });

  it('sent nothing anywhere but its own server, and ran no injected script', () => {
    assert.deepEqual(admin.foreign, []);
    assert.deepEqual(admin.incidents, []);
  });
});
