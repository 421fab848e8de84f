import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { ADMIN_PASSWORD, PASSWORD, type TestServer } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { XSS } from './web-fixture.ts';

/*
 * The administration and integrations pages over HTTP: forms generated from each integration type's
 * JSON Schema, the API's 400 next to its field, keys shown once, sessions ended, templates edited,
 * settings and tenants changed; role limits, other tenants' things, CSRF and escaping.
 */

type Form = Record<string, string> | [string, string][];

/** A browser without a browser: cookies kept by hand, redirects not followed. */
class Browser {
  cookies = new Map<string, string>();
  csrfToken = '';
  readonly server: TestServer;
  constructor(server: TestServer) {
    this.server = server;
  }

  async request(method: string, url: string, form?: Form, headers: Record<string, string> = {}) {
    const all: Record<string, string> = { accept: 'text/html', ...headers };
    if (this.cookies.size > 0) all.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    if (body !== undefined) all['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.server.url}${url}`, { method, headers: all, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    for (const line of response.headers.getSetCookie()) {
      const [name, ...value] = line.split(';')[0]!.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name!);
      else this.cookies.set(name!, value.join('='));
    }
    const text = await response.text();
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrfToken = token;
    return { status: response.status, location: response.headers.get('location'), headers: response.headers, text };
  }

  get = (url: string) => this.request('GET', url);
  /** A form post with the page's CSRF token (unless the form names its own). */
  post = (url: string, form: Form = {}, headers?: Record<string, string>) =>
    this.request('POST', url, Array.isArray(form) ? [['_csrf', this.csrfToken], ...form] : { _csrf: this.csrfToken, ...form }, headers);

  async signIn(username: string) {
    const page = await this.get('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const signedIn = await this.request('POST', '/login', { username, password: PASSWORD, next: '/', _csrf: csrf });
    assert.equal(signedIn.status, 303, `${username} signs in`);
    await this.get('/admin/sessions');
    return this;
  }
}

const fieldMessage = (html: string, field: string) => new RegExp(`id="f-${field.replace(/\./g, '-')}-error"[^>]*>[^<]+<`).test(html);

forEachDialect('web UI: administration and integrations', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Adm' }, (ctx) => {
  let admin: Browser;
  let integrationB: string;
  // One browser per user: each sign-in is a session, and a user has at most three.
  let managerBrowser: Browser | undefined;
  const manager = async () => (managerBrowser ??= await new Browser(ctx.server).signIn(ctx.a.manager.username));

  before(async () => {
    admin = await new Browser(ctx.server).signIn(ctx.a.admin.username);
    const created = await ctx.server.api.post('/api/v1/integrations', { name: 'Bravo Grafana', type: 'grafana', config: { url: 'http://127.0.0.1:1' }, secret: 'glsa_bravo' }, ctx.b.admin.token);
    assert.equal(created.status, 201);
    integrationB = created.body.id;
  });

  it('generates each type\'s form from its config and secret schemas, never echoing a secret', async () => {
    const wazuh = await admin.get('/integrations/new?type=wazuh');
    assert.equal(wazuh.status, 200);
    for (const name of ['config.url', 'config.verify_tls', 'config.poll_interval_seconds', 'config.username', 'config.indexer_url', 'config.indexer_username', 'secret.password', 'secret.indexer_password']) {
      assert.match(wazuh.text, new RegExp(`name="${name.replace('.', '\\.')}"`), name);
    }
    assert.match(wazuh.text, /name="secret\.password" type="password"/);
    // A union: an API key, or a username and password.
    const paloalto = await admin.get('/integrations/new?type=paloalto');
    for (const name of ['secret.0', 'secret.1.username', 'secret.1.password']) assert.match(paloalto.text, new RegExp(`name="${name.replace(/\./g, '\\.')}"`), name);
    const meraki = await admin.get('/integrations/new?type=meraki');
    assert.match(meraki.text, /value="https:\/\/api\.meraki\.com\/api\/v1"/, 'the schema\'s default URL');
  });

  it('creates an integration from the form, shows the API\'s 400 next to the field, and changes nothing on bad input', async () => {
    const bad = await admin.post('/integrations', [['type', 'grafana'], ['name', 'Alpha Grafana'], ['config.url', 'ftp://nope'], ['config.poll_interval_seconds', '5'], ['secret', 'glsa_secret_value']]);
    assert.equal(bad.status, 400);
    assert.ok(fieldMessage(bad.text, 'config.url'), 'the URL field carries its message');
    assert.ok(fieldMessage(bad.text, 'config.poll_interval_seconds'));
    assert.doesNotMatch(bad.text, /glsa_secret_value/, 'the secret is not echoed');
    assert.match(bad.text, /value="Alpha Grafana"/, 'what was typed stays');
    assert.equal((await ctx.server.api.get('/api/v1/integrations', ctx.a.admin.token)).body.items.length, 0);

    const created = await admin.post('/integrations', [['type', 'grafana'], ['name', XSS], ['enabled', 'true'], ['capabilities', 'METRICS'], ['capabilities', 'STATUS'],
      ['config.url', 'http://127.0.0.1:1'], ['config.verify_tls', 'true'], ['config.poll_interval_seconds', '120'], ['secret', 'glsa_secret_value']]);
    assert.equal(created.status, 303);
    const [integration] = (await ctx.server.api.get('/api/v1/integrations', ctx.a.admin.token)).body.items;
    assert.equal(created.location, `/integrations/${integration.id}`);
    assert.deepEqual(integration.capabilities, ['METRICS', 'STATUS']);
    assert.equal(integration.config.poll_interval_seconds, 120);
    assert.equal(integration.secret_set, true);

    const page = await admin.get(`/integrations/${integration.id}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /glsa_secret_value/);
    assert.match(page.text, /placeholder="•••• set"/);
    assert.equal(page.text.includes(XSS), false, 'the name is text');
    assert.ok(page.text.includes('&lt;img src=x onerror=alert(1)&gt;'));
    const list = await admin.get('/integrations');
    assert.ok(list.text.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.equal(list.text.includes(XSS), false);

    // Edit: an empty credential keeps the stored one; a bad value is a 400 by its field.
    const edited = await admin.post(`/integrations/${integration.id}`, [['name', 'Alpha Grafana'], ['enabled', 'true'], ['capabilities', 'METRICS'], ['config.url', 'http://127.0.0.1:1'], ['config.poll_interval_seconds', '300'], ['secret', '']]);
    assert.equal(edited.status, 303);
    const after = (await ctx.server.api.get(`/api/v1/integrations/${integration.id}`, ctx.a.admin.token)).body;
    assert.equal(after.name, 'Alpha Grafana');
    assert.equal(after.config.poll_interval_seconds, 300);
    assert.equal(after.config.verify_tls, false, 'an unticked checkbox is false');
    assert.equal(after.secret_set, true);
    const refused = await admin.post(`/integrations/${integration.id}`, [['name', 'Alpha Grafana'], ['config.url', 'http://127.0.0.1:1'], ['config.poll_interval_seconds', 'often']]);
    assert.equal(refused.status, 400);
    assert.ok(fieldMessage(refused.text, 'config.poll_interval_seconds'));
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${integration.id}`, ctx.a.admin.token)).body.config.poll_interval_seconds, 300);
  });

  it('tests the connection and syncs now, showing the result; deletes after confirmation', async () => {
    const [integration] = (await ctx.server.api.get('/api/v1/integrations', ctx.a.admin.token)).body.items;
    const test = await admin.post(`/integrations/${integration.id}/test`, {}, { 'hx-request': 'true' });
    assert.equal(test.status, 200);
    assert.match(test.text, /id="integration-result"/);
    assert.match(test.text, /Connection failed/);
    // A plain form (no HTMX) to a Grafana that cannot be reached, fed nothing but METRICS: the
    // sync still contacts it, and the page says it failed and why.
    const sync = await admin.post(`/integrations/${integration.id}/sync`);
    assert.equal(sync.status, 200);
    assert.match(sync.text, /Sync failed/);
    assert.doesNotMatch(sync.text, /Sync finished/);
    assert.match(sync.text, /\d+ system\(s\), \d+ asset\(s\)/);
    assert.match(sync.text, /Last error<\/p><p class="break-words">unreachable: connection check failed: [^<]+/, 'the kind of failure, then why');
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${integration.id}`, ctx.a.admin.token)).body.last_sync_status, 'error');
    assert.match(sync.text, new RegExp(`name="return_to" value="/integrations/${integration.id}"`), 'the theme and language switches return to the integration');
    const audit = (await ctx.server.api.get('/api/v1/audit-logs?action=integration.test', ctx.a.admin.token)).body.items;
    assert.ok(audit.length >= 1, 'the test is audited');

    const deleted = await admin.post(`/integrations/${integration.id}/delete`);
    assert.equal(deleted.status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${integration.id}`, ctx.a.admin.token)).status, 404);
  });

  it('limits integrations by role, hides other tenants\' and refuses a form without the CSRF token', async () => {
    const operator = await new Browser(ctx.server).signIn(ctx.a.operator.username);
    const list = await operator.get('/integrations');
    assert.equal(list.status, 200, 'readable as in the API');
    assert.doesNotMatch(list.text, /href="\/integrations\/new"/);
    assert.equal((await operator.get('/integrations/new')).status, 403);
    assert.equal((await operator.post('/integrations', [['type', 'grafana'], ['name', 'x'], ['config.url', 'http://127.0.0.1:1'], ['secret', 's']])).status, 403);
    const viewer = await new Browser(ctx.server).signIn(ctx.a.viewer.username);
    assert.equal((await viewer.get('/integrations')).status, 403);

    for (const url of [`/integrations/${integrationB}`]) assert.equal((await admin.get(url)).status, 404);
    for (const action of ['', '/test', '/sync', '/delete']) {
      assert.equal((await admin.post(`/integrations/${integrationB}${action}`, [['name', 'taken over']])).status, 404, action);
    }
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${integrationB}`, ctx.b.admin.token)).body.name, 'Bravo Grafana');

    const forged = await admin.request('POST', '/integrations', { type: 'grafana', name: 'Forged', 'config.url': 'http://127.0.0.1:1', secret: 's' });
    assert.equal(forged.status, 403);
    assert.equal((await ctx.server.api.get('/api/v1/integrations', ctx.a.admin.token)).body.items.some((item: { name: string }) => item.name === 'Forged'), false);
  });

  it('creates an API key shown once, refuses bad lines with the API\'s 400, and revokes it', async () => {
    const bad = await admin.post('/admin/api-keys', [['name', 'Press 1'], ['scopes', 'production:write'], ['line_ids', '3, x']]);
    assert.equal(bad.status, 400);
    assert.ok(fieldMessage(bad.text, 'line_ids'));
    assert.equal((await ctx.server.api.get('/api/v1/api-keys', ctx.a.admin.token)).body.items.length, 0);

    const unknownLine = await admin.post('/admin/api-keys', [['name', 'Press 1'], ['scopes', 'production:write'], ['line_ids', '3']]);
    assert.equal(unknownLine.status, 400, 'a line the tenant does not have');
    assert.ok(fieldMessage(unknownLine.text, 'line_ids'));
    assert.match(unknownLine.text, /names what does not exist: 3</, 'which lines');
    const lineIds: number[] = [];
    for (const name of ['Press', 'Packing']) lineIds.push((await ctx.server.api.post('/api/v1/production/lines', { line_name: name }, ctx.a.admin.token)).body.line_id);
    const created = await admin.post('/admin/api-keys', [['name', 'Press 1'], ['scopes', 'production:write'], ['scopes', 'telemetry:write'], ['line_ids', lineIds.join(', ')]]);
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const key = /value="(snk_[^"]+)"/.exec(created.text)?.[1];
    assert.ok(key, 'the key is on the page');
    const self = await ctx.server.api.request('GET', '/api/v1/api-keys/self', { headers: { 'x-api-key': key } });
    assert.equal(self.status, 200);
    assert.deepEqual(self.body.line_ids, lineIds);
    const list = await admin.get('/admin/api-keys');
    assert.equal(list.text.includes(key), false, 'never shown again');
    assert.match(list.text, /Press 1/);

    const revoked = await admin.post(`/admin/api-keys/${self.body.id}/revoke`);
    assert.equal(revoked.status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/api-keys/${self.body.id}`, ctx.a.admin.token)).body.status, 'revoked');
    assert.equal((await (await manager()).get('/admin/api-keys')).status, 403);
  });

  it('lists the caller\'s sessions and ends one; an administrator ends a user\'s sessions', async () => {
    const operator = await new Browser(ctx.server).signIn(ctx.a.operator.username);
    const sessions = (await ctx.server.api.get('/api/v1/auth/sessions', ctx.a.operator.token)).body.items as { id: string; current: boolean }[];
    const setup = sessions.find((session) => session.current)!;
    const page = await operator.get('/admin/sessions');
    assert.match(page.text, new RegExp(`/admin/sessions/${setup.id}/revoke`));
    assert.doesNotMatch(page.text, /A user&#39;s sessions|A user's sessions/, 'no other user\'s sessions for an operator');
    assert.equal((await operator.post(`/admin/sessions/${setup.id}/revoke`)).status, 303);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', ctx.a.operator.token)).status, 401);

    const adminPage = await admin.get(`/admin/sessions?user=${(await ctx.server.api.get('/api/v1/users?q=adm.operator.a', ctx.a.admin.token)).body.items[0].id}`);
    assert.equal(adminPage.status, 200);
    const userId = /action="\/admin\/users\/([^/]+)\/sessions\/end"/.exec(adminPage.text)![1]!;
    assert.equal((await admin.post(`/admin/users/${userId}/sessions/end`)).status, 303);
    const signedOut = await operator.get('/admin/sessions');
    assert.equal(signedOut.status, 303);
    assert.match(signedOut.location ?? '', /^\/login/);
    // Another tenant's user is not found.
    const bravoUser = (await ctx.server.api.get('/api/v1/users', ctx.b.admin.token)).body.items[0].id;
    assert.equal((await admin.get(`/admin/sessions?user=${bravoUser}`)).status, 404);
    assert.equal((await admin.post(`/admin/users/${bravoUser}/sessions/end`)).status, 404);
  });

  it('edits a dashboard template: a platform default saved as the tenant\'s, widgets moved, added and removed, params checked by the widget\'s schema', async () => {
    const templates = (await ctx.server.api.get('/api/v1/dashboards', ctx.a.admin.token)).body.items as { template_id: string; tenant_id: string | null; role: string; layout: { widget_id: string; x: number; y: number; w: number; h: number }[] }[];
    const platform = templates.find((template) => template.tenant_id === null && template.role === 'OPERATOR')!;
    const list = await admin.get('/admin/dashboards');
    assert.equal(list.status, 200);
    assert.match(list.text, new RegExp(`/admin/dashboards/${platform.template_id}`));
    const editor = await admin.get(`/admin/dashboards/${platform.template_id}`);
    assert.equal(editor.status, 200);
    assert.match(editor.text, /name="layout\.0\.x"/);

    const rows = (layout: typeof platform.layout, change: (index: number) => Record<string, string | undefined> = () => ({})) => layout.flatMap((item, index) =>
      Object.entries({ widget_id: item.widget_id, x: String(item.x), y: String(item.y), w: String(item.w), h: String(item.h), params: '{}', ...change(index) }).filter((entry): entry is [string, string] => entry[1] !== undefined).map(([key, value]) => [`layout.${index}.${key}`, value] as [string, string]));
    // x + w beyond the 12 columns, and params the widget does not take: the service's 400, nothing saved.
    const wide = await admin.post(`/admin/dashboards/${platform.template_id}`, [['name', 'Floor'], ['intent', 'save'], ...rows(platform.layout, (index) => (index === 0 ? { x: '6', w: '12' } : index === 1 ? { params: '{"bogus":1}' } : {}))]);
    assert.equal(wide.status, 400);
    assert.match(wide.text, /x \+ w must be at most 12/);
    assert.match(wide.text, /bogus/);
    const notJson = await admin.post(`/admin/dashboards/${platform.template_id}`, [['name', 'Floor'], ['intent', 'save'], ...rows(platform.layout, (index) => (index === 0 ? { params: '{nope' } : {}))]);
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /must be a JSON object/);
    assert.equal((await ctx.server.api.get('/api/v1/dashboards', ctx.a.admin.token)).body.items.filter((template: { tenant_id: string | null }) => template.tenant_id !== null).length, 0);

    // Add a widget (shown in the editor), then save with the first one moved and resized and the last removed.
    const added = await admin.post(`/admin/dashboards/${platform.template_id}`, [['name', 'Floor'], ['intent', 'add'], ['add', 'systems_status'], ...rows(platform.layout)]);
    assert.equal(added.status, 200);
    assert.match(added.text, new RegExp(`name="layout\\.${platform.layout.length}\\.widget_id" value="systems_status"`));
    const last = platform.layout.length - 1;
    const saved = await admin.post(`/admin/dashboards/${platform.template_id}`, [['name', 'Floor <b>'], ['intent', 'save'],
      ...rows([...platform.layout, { widget_id: 'systems_status', x: 0, y: 40, w: 4, h: 3 }], (index) => (index === 0 ? { x: '1', w: '2', h: '5' } : index === last ? { remove: 'true' } : {}))]);
    assert.equal(saved.status, 303);
    const own = (await ctx.server.api.get('/api/v1/dashboards', ctx.a.admin.token)).body.items.find((template: { tenant_id: string | null }) => template.tenant_id === ctx.a.id);
    assert.equal(own.role, 'OPERATOR');
    assert.equal(own.name, 'Floor <b>');
    assert.deepEqual([own.layout[0].x, own.layout[0].w, own.layout[0].h], [1, 2, 5]);
    assert.equal(own.layout.length, platform.layout.length);
    assert.equal(own.layout.at(-1).widget_id, 'systems_status');
    assert.equal(saved.location, `/admin/dashboards/${own.template_id}`);
    const ownPage = await admin.get(`/admin/dashboards/${own.template_id}`);
    assert.ok(ownPage.text.includes('Floor &lt;b&gt;'));

    // Another tenant sees the platform's, and cannot reach this one.
    assert.equal((await ctx.server.api.get(`/api/v1/dashboards/${own.template_id}`, ctx.b.admin.token)).status, 404);
    const bravo = await new Browser(ctx.server).signIn(ctx.b.admin.username);
    assert.equal((await bravo.get(`/admin/dashboards/${own.template_id}`)).status, 404);
    assert.equal((await bravo.post(`/admin/dashboards/${own.template_id}/delete`)).status, 404);
    assert.equal((await admin.post(`/admin/dashboards/${own.template_id}/delete`)).status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/dashboards/${own.template_id}`, ctx.a.admin.token)).status, 404);
    assert.equal((await (await manager()).get('/admin/dashboards')).status, 403);
  });

  it('changes the tenant\'s settings (its ADMIN only), with the API\'s 400 for an unknown time zone', async () => {
    const page = await admin.get('/admin/tenant');
    assert.equal(page.status, 200);
    const bad = await admin.post('/admin/tenant', { 'config.timezone': 'Mars/Olympus', 'config.language': 'es', 'config.theme': 'light' });
    assert.equal(bad.status, 400);
    assert.ok(fieldMessage(bad.text, 'config.timezone'));
    assert.equal((await ctx.server.api.get('/api/v1/tenant/settings', ctx.a.admin.token)).body.timezone, 'UTC');
    const saved = await admin.post('/admin/tenant', { 'config.timezone': 'Europe/Madrid', 'config.language': 'es', 'config.theme': 'light' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /<html lang="es"/, 'the page now speaks the tenant\'s language');
    assert.deepEqual((await ctx.server.api.get('/api/v1/tenant/settings', ctx.a.viewer.token)).body, { timezone: 'Europe/Madrid', language: 'es', theme: 'light' });
    assert.equal((await ctx.server.api.patch('/api/v1/tenant/settings', { language: 'en' }, ctx.a.manager.token)).status, 403);
    assert.equal((await ctx.server.api.patch('/api/v1/tenant/settings', { language: 'en' }, ctx.a.admin.token)).body.language, 'en');
    const operator = await new Browser(ctx.server).signIn(ctx.a.operator.username);
    assert.equal((await operator.get('/admin/tenant')).status, 403);
    assert.equal((await ctx.server.api.get('/api/v1/tenant/settings', ctx.b.admin.token)).body.timezone, 'UTC', 'the other tenant is untouched');
  });

  it('lets the platform administrator list, create, edit and deactivate tenants; nobody else', async () => {
    const platform = new Browser(ctx.server);
    const login = await platform.get('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    assert.equal((await platform.request('POST', '/login', { username: 'admin', password: ADMIN_PASSWORD, next: '/', _csrf: csrf })).status, 303);
    const list = await platform.get('/admin/tenants');
    assert.equal(list.status, 200);
    assert.match(list.text, /Adm A/);
    const bad = await platform.post('/admin/tenants', { name: 'Charlie', slug: 'Not A Slug', 'config.timezone': 'UTC', 'config.language': 'en', 'config.theme': 'dark' });
    assert.equal(bad.status, 400);
    assert.ok(fieldMessage(bad.text, 'slug'));
    const created = await platform.post('/admin/tenants', { name: 'Charlie <Corp>', slug: '', 'config.timezone': 'America/Bogota', 'config.language': 'es', 'config.theme': 'dark' });
    assert.equal(created.status, 303);
    const id = created.location!.split('/').at(-1)!;
    const tenant = (await ctx.server.api.get(`/api/v1/tenants/${id}`, ctx.superAdmin)).body;
    assert.deepEqual([tenant.name, tenant.config.timezone, tenant.config.language], ['Charlie <Corp>', 'America/Bogota', 'es']);
    const page = await platform.get(`/admin/tenants/${id}`);
    assert.ok(page.text.includes('Charlie &lt;Corp&gt;'));
    assert.equal((await platform.post(`/admin/tenants/${id}`, { name: 'Charlie', slug: 'charlie', 'config.timezone': 'UTC', 'config.language': 'en', 'config.theme': 'light' })).status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/tenants/${id}`, ctx.superAdmin)).body.slug, 'charlie');
    // A slug in use: the 409 is shown under its field.
    const duplicate = await platform.post('/admin/tenants', { name: 'Charlie 2', slug: 'charlie', 'config.timezone': 'UTC', 'config.language': 'en', 'config.theme': 'dark' });
    assert.equal(duplicate.status, 409);
    assert.ok(fieldMessage(duplicate.text, 'slug'));
    assert.match(duplicate.text, /is already in use/);
    assert.equal((await platform.post(`/admin/tenants/${id}/deactivate`)).status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/tenants/${id}`, ctx.superAdmin)).body.is_active, false);
    assert.equal((await platform.post(`/admin/tenants/${id}/activate`)).status, 303);
    assert.equal((await ctx.server.api.get(`/api/v1/tenants/${id}`, ctx.superAdmin)).body.is_active, true);
    assert.equal((await admin.get('/admin/tenants')).status, 403);
    assert.equal((await admin.post(`/admin/tenants/${id}/deactivate`)).status, 403);
  });
  it('creates, edits and disables users from the users page, with the API\'s 400 by its field', async () => {
    const weak = await admin.post('/admin/users', { username: 'adm.new.a', email: 'new@example.com', role: 'OPERATOR', password: 'short', is_active: 'true' });
    assert.equal(weak.status, 400);
    assert.ok(fieldMessage(weak.text, 'password'));
    assert.match(weak.text, /must be at least 8 characters long/);
    // In Spanish, the field's sentence is said by its code, and the summary is the page's own.
    assert.equal((await admin.post('/preferences', { language: 'es', return_to: '/admin/users' })).status, 303);
    const weakEs = await admin.post('/admin/users', { username: 'adm.new.a', email: 'new@example.com', role: 'OPERATOR', password: 'lower-case-only', is_active: 'true' });
    assert.equal(weakEs.status, 400);
    assert.match(weakEs.text, /debe contener una letra mayúscula; debe contener un dígito/);
    assert.match(weakEs.text, /Algunos campos no son válidos/);
    assert.doesNotMatch(weakEs.text, /must contain|not acceptable|not valid/);
    assert.equal((await admin.post('/preferences', { language: 'en', return_to: '/admin/users' })).status, 303);
    assert.match(weak.text, /value="adm\.new\.a"/);
    assert.doesNotMatch(weak.text, /value="short"/, 'a password is never echoed');
    const created = await admin.post('/admin/users', { username: 'adm.new.a', email: 'new@example.com', role: 'OPERATOR', password: PASSWORD, is_active: 'true' });
    assert.equal(created.status, 303);
    const user = (await ctx.server.api.get('/api/v1/users?q=adm.new.a', ctx.a.admin.token)).body.items[0];
    assert.deepEqual([user.role, user.tenant_id, user.is_active], ['OPERATOR', ctx.a.id, true]);
    const newcomer = await ctx.server.api.login('adm.new.a', PASSWORD);

    const edit = await admin.get(`/admin/users/${user.id}`);
    assert.equal(edit.status, 200);
    // Role to VIEWER and the box unticked: disabled, and its sessions end.
    assert.equal((await admin.post(`/admin/users/${user.id}`, { email: 'new@example.com', role: 'VIEWER', password: '' })).status, 303);
    const after = (await ctx.server.api.get(`/api/v1/users/${user.id}`, ctx.a.admin.token)).body;
    assert.deepEqual([after.role, after.is_active], ['VIEWER', false]);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', newcomer.access_token)).status, 401);
    // Another tenant's user is not found; a MANAGER cannot create users.
    const bravoUser = (await ctx.server.api.get('/api/v1/users', ctx.b.admin.token)).body.items[0].id;
    assert.equal((await admin.get(`/admin/users/${bravoUser}`)).status, 404);
    assert.equal((await admin.post(`/admin/users/${bravoUser}`, { role: 'VIEWER' })).status, 404);
    assert.equal((await (await manager()).post('/admin/users', { username: 'adm.sneaky.a', role: 'ADMIN', password: PASSWORD })).status, 403);
  });
});
