import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { brotliDecompressSync } from 'node:zlib';
import { PASSWORD } from './helpers/harness.ts';
import { makeAlert } from './helpers/factories.ts';
import { WebClient } from './helpers/web-client.ts';
import { forEachDialect } from './helpers/suite.ts';
import { seedTenant, XSS, type SeededTenant } from './web-fixture.ts';
import { ALERT_STATUSES, ASSET_STATUSES, SYSTEM_STATUSES, VULNERABILITY_STATUSES } from '../src/modules/security-domain/vocabulary.ts';
import { translator, type MessageKey } from '../src/modules/web/i18n.ts';

describe('web UI catalogue', () => {
  it('names every status of systems, assets, alerts and vulnerabilities in both languages', () => {
    for (const language of ['en', 'es'] as const) {
      const t = translator(language);
      for (const status of [...SYSTEM_STATUSES, ...ASSET_STATUSES, ...ALERT_STATUSES, ...VULNERABILITY_STATUSES]) {
        assert.ok(t(`status.${status}` as MessageKey), `${language}: status.${status}`);
      }
    }
  });
});

describe('web UI stylesheet', () => {
  it('is the build of the current views and styles (run `npm run build:css` after changing them)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-css-'));
    try {
      const out = path.join(dir, 'app.css');
      execFileSync(path.resolve('node_modules/.bin/tailwindcss'), ['-i', 'src/modules/web/styles/app.css', '-o', out, '--minify'], { stdio: 'pipe' });
      assert.equal(readFileSync(out, 'utf8'), readFileSync('src/modules/web/assets/app.css', 'utf8'), 'src/modules/web/assets/app.css is stale: run npm run build:css and commit it');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

forEachDialect('web UI over HTTP', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Web', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let seededA: SeededTenant;
  let seededB: SeededTenant;

  // Web sign-ins count against the 3 sessions per user: API checks sign in afresh.
  const apiToken = async (username: string) => (await ctx.server.api.login(username, PASSWORD)).access_token;

  before(async () => {
    seededA = await seedTenant(ctx.server, ctx.a, 'Alpha');
    seededB = await seedTenant(ctx.server, ctx.b, 'Bravo');
  });

  it('sends a signed-out browser to the sign-in page, and back to the page it asked for afterwards', async () => {
    const web = new WebClient(ctx.server);
    const first = await web.get('/security/alerts?severity=high');
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/login?next=%2Fsecurity%2Falerts%3Fseverity%3Dhigh');
    const signedIn = await web.signIn(ctx.a.operator.username, PASSWORD, '/security/alerts?severity=high');
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/security/alerts?severity=high');
    const session = signedIn.setCookies.find((line) => line.startsWith('sentinel_session='));
    assert.ok(session, 'a session cookie is set');
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.doesNotMatch(session, /Secure/, 'not Secure over plain HTTP (the browser would drop it)');
    const page = await web.get('/security/alerts?severity=high');
    assert.equal(page.status, 200);
    assert.match(page.text, /Alpha brute force on ssh/);
    assert.doesNotMatch(page.text, /Alpha disk almost full/, 'the filter applies');
  });

  it('believes X-Forwarded-Proto only from a trusted proxy when deciding on Secure cookies', async () => {
    const server = ctx.server;
    const login = await server.app.inject({ method: 'GET', url: '/login', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(login.statusCode, 200);
    // Without SENTINEL_TRUST_PROXY the header is ignored: the request is plain HTTP.
    assert.doesNotMatch(String(login.headers['set-cookie']), /Secure/);
  });

  it('refuses a wrong password with the form again, and never returns to another site', async () => {
    const web = new WebClient(ctx.server);
    const wrong = await web.signIn(ctx.a.viewer.username, 'Not-The-Password-1');
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /Invalid username or password/);
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const web2 = new WebClient(ctx.server);
      const response = await web2.signIn(ctx.a.viewer.username, PASSWORD, next);
      assert.equal(response.headers.get('location'), '/', next);
    }
  });

  it('refuses a sign-in form without its token', async () => {
    const web = new WebClient(ctx.server);
    const response = await web.post('/login', { username: ctx.a.viewer.username, password: PASSWORD });
    assert.equal(response.status, 403);
    assert.equal(response.setCookies.some((line) => line.startsWith('sentinel_session=')), false);
  });

  it('refuses a state change without the CSRF token, or with another session\'s, and changes nothing', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.operator.username);
    const other = new WebClient(ctx.server);
    await other.signIn(ctx.a.admin.username);
    const [alertId] = seededA.alertIds;
    const forms: Record<string, string>[] = [{}, { _csrf: await other.csrf() }, { _csrf: 'forged' }];
    for (const form of forms) {
      const response = await web.post(`/security/alerts/${alertId}/acknowledge`, form);
      assert.equal(response.status, 403);
      assert.match(response.text, /security token/);
    }
    const htmx = await web.post(`/security/alerts/${alertId}/acknowledge`, {}, { 'hx-request': 'true' });
    assert.equal(htmx.status, 403);
    const alert = await ctx.server.api.get(`/api/v1/alerts/${alertId}`, await apiToken(ctx.a.operator.username));
    assert.equal(alert.body.status, 'active');
    // With the token (as a header, the way HTMX sends it) it works.
    const ok = await web.post(`/security/alerts/${alertId}/acknowledge`, {}, { 'hx-request': 'true', 'x-csrf-token': await web.csrf() });
    assert.equal(ok.status, 200);
    assert.match(ok.text, new RegExp(`id="alert-${alertId}"`));
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${alertId}`, await apiToken(ctx.a.operator.username))).body.status, 'acknowledged');
  });

  it('escapes what vendors send: an alert title with markup is text', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.viewer.username);
    for (const url of ['/security', '/security/alerts']) {
      const page = await web.get(url);
      assert.equal(page.text.includes(XSS), false, url);
      assert.ok(page.text.includes('&lt;img src=x onerror=alert(1)&gt;'), url);
    }
  });

  it('shows every page only with the tenant\'s own data, and answers 404 for another tenant\'s things', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.admin.username);
    const pages = ['/security', '/security/alerts', '/security/vulnerabilities', '/security/tickets', '/production', '/admin/users', '/admin/audit', `/security/systems/${seededA.systemId}`];
    for (const url of pages) {
      const page = await web.get(url);
      assert.equal(page.status, 200, url);
      assert.doesNotMatch(page.text, /Bravo|\.b\b/, `${url} shows nothing of tenant B`);
    }
    assert.match((await web.get('/security')).text, /Alpha Wazuh manager/);
    assert.match((await web.get('/security/vulnerabilities')).text, /Alpha OpenSSL flaw/);
    assert.match((await web.get('/security/tickets')).text, /Alpha rotate the VPN keys/);
    assert.match((await web.get('/production')).text, /Alpha Press line/);
    assert.match((await web.get('/admin/users')).text, /web\.viewer\.a/);
    assert.equal((await web.get(`/security/systems/${seededB.systemId}`)).status, 404);
    const csrf = await web.csrf();
    for (const action of ['acknowledge', 'resolve', 'ticket']) {
      const response = await web.post(`/security/alerts/${seededB.alertIds[1]}/${action}`, { _csrf: csrf });
      assert.equal(response.status, 404, action);
    }
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${seededB.alertIds[1]}`, await apiToken(ctx.b.admin.username))).body.status, 'active');
  });

  it('shows each role only what it may do', async () => {
    const viewer = new WebClient(ctx.server);
    await viewer.signIn(ctx.a.viewer.username);
    const alerts = await viewer.get('/security/alerts');
    assert.doesNotMatch(alerts.text, /\/acknowledge"/, 'no actions for a VIEWER');
    assert.doesNotMatch(alerts.text, /href="\/admin\/(?!sessions")/, 'no administration links for a VIEWER (its own sessions only)');
    const denied = await viewer.get('/admin/audit');
    assert.equal(denied.status, 403);
    assert.match(denied.text, /Access denied/);
    const post = await viewer.post(`/security/alerts/${seededA.alertIds[1]}/resolve`, { _csrf: await viewer.csrf(), note: 'x' });
    assert.equal(post.status, 403);
    const operator = new WebClient(ctx.server);
    await operator.signIn(ctx.a.operator.username);
    assert.match((await operator.get('/security/alerts')).text, /\/resolve"/);
  });

  it('resolves an alert with a note through a plain form, as the API then reports', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.operator.username);
    const id = seededA.alertIds[1]!;
    const response = await web.post(`/security/alerts/${id}/resolve`, { _csrf: await web.csrf(), note: 'Disk cleaned <b>up</b>' });
    assert.equal(response.status, 303);
    const alert = (await ctx.server.api.get(`/api/v1/alerts/${id}`, await apiToken(ctx.a.operator.username))).body;
    assert.equal(alert.status, 'resolved');
    assert.equal(alert.resolution_note, 'Disk cleaned <b>up</b>');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?action=alert.resolve&resource_id=${id}`, await apiToken(ctx.a.admin.username));
    assert.equal(audit.body.items.length, 1, 'audited like the API');
  });

  it('switches language and theme per user, and signs out for good', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.viewer.username);
    let page = await web.get('/security');
    assert.match(page.text, /<html lang="en" class="dark">/);
    const csrf = await web.csrf();
    assert.equal((await web.post('/preferences', { _csrf: csrf, language: 'es', return_to: '/security' })).status, 303);
    assert.equal((await web.post('/preferences', { _csrf: csrf, theme: 'light', return_to: '/security' })).status, 303);
    page = await web.get('/security');
    assert.match(page.text, /<html lang="es" class="">/);
    assert.match(page.text, /Sistemas por estado/);
    const system = await web.get(`/security/systems/${seededA.systemId}`);
    assert.match(system.text, /Fuera de línea/, 'an offline asset in Spanish');
    assert.doesNotMatch(system.text, />offline</);
    // Remembered for the user, on another browser too.
    const elsewhere = new WebClient(ctx.server);
    await elsewhere.signIn(ctx.a.viewer.username);
    assert.match((await elsewhere.get('/security')).text, /<html lang="es" class="">/);

    const cookie = web.cookies.get('sentinel_session')!;
    assert.equal((await web.post('/logout', { _csrf: csrf })).status, 303);
    const replay = new WebClient(ctx.server);
    replay.cookies.set('sentinel_session', cookie);
    assert.equal((await replay.get('/security')).status, 303, 'the old cookie is dead with its session');
  });

  it('refuses a forged or tampered session cookie', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.viewer.username);
    const [sid, uid] = web.cookies.get('sentinel_session')!.split('.');
    for (const forged of [`${sid}.${uid}.AAAA`, `${sid}.${ctx.a.admin.id}.${web.cookies.get('sentinel_session')!.split('.')[2]}`, 'garbage']) {
      const attacker = new WebClient(ctx.server);
      attacker.cookies.set('sentinel_session', forged);
      assert.equal((await attacker.get('/security')).status, 303, forged);
    }
  });

  it('serves pages with a strict policy, and assets fingerprinted, compressed and cached for a year', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.viewer.username);
    const page = await web.get('/security', { 'accept-encoding': 'br' });
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(page.text, /<[^>]*\son[a-z]+=/i, 'no inline event handler');
    const urls = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.ok(urls.some((url) => /\/assets\/app\.[\w-]{12}\.css$/.test(url)), 'the stylesheet is fingerprinted');
    for (const url of urls) {
      const asset = await fetch(`${ctx.server.url}${url}`, { headers: { 'accept-encoding': 'br' } });
      assert.equal(asset.status, 200, url);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable', url);
      await asset.arrayBuffer();
    }
    const css = await ctx.server.app.inject({ method: 'GET', url: urls.find((url) => url.endsWith('.css'))!, headers: { 'accept-encoding': 'br' } });
    assert.equal(css.headers['content-encoding'], 'br');
    const text = brotliDecompressSync(css.rawPayload).toString('utf8');
    const fonts = [...text.matchAll(/url\((\/assets\/[^)]+)\)/g)].map((match) => match[1]!);
    assert.equal(fonts.length, 3);
    for (const font of fonts) assert.equal((await fetch(`${ctx.server.url}${font}`)).status, 200, font);
    assert.equal((await fetch(`${ctx.server.url}/assets/app.css`)).status, 404, 'only fingerprinted names');
    const html = await ctx.server.app.inject({ method: 'GET', url: '/login', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(html.headers['content-encoding'], 'gzip', 'pages are compressed');
  });

  it('shows a refused request and a server failure in the same look, without internals', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.viewer.username);
    const refused = await web.get('/security/alerts?severity=apocalyptic');
    assert.equal(refused.status, 400);
    assert.match(refused.text, /id="sidebar"/);
    const tickets = ctx.server.services.tickets;
    const list = tickets.list;
    tickets.list = async () => {
      throw new Error('boom: SELECT secret FROM somewhere');
    };
    try {
      const failed = await web.get('/security/tickets');
      assert.equal(failed.status, 500);
      assert.match(failed.headers.get('content-type')!, /text\/html/);
      assert.match(failed.text, /id="sidebar"/);
      assert.doesNotMatch(failed.text, /boom|SELECT/);
    } finally {
      tickets.list = list;
    }
  });

  it('answers a failed HTMX request with a problem in the page\'s language, for the page\'s message area', async () => {
    const web = new WebClient(ctx.server);
    await web.signIn(ctx.a.admin.username);
    const csrf = await web.csrf();
    const resolved = await makeAlert(ctx.server, ctx.a.id, { title: 'Alpha already handled', severity: 'low', source: 'wazuh', status: 'resolved' });
    const problemOf = async (response: { status: number; headers: Headers; text: string }) => {
      assert.match(response.headers.get('content-type')!, /^application\/problem\+json/);
      const problem = JSON.parse(response.text) as { title: string; detail: string; status: number };
      assert.equal(problem.status, response.status);
      return problem;
    };
    const tickets = ctx.server.services.tickets;
    const list = tickets.list;
    const answers = async () => {
      const forged = await web.post(`/security/alerts/${seededA.alertIds[0]}/acknowledge`, {}, { 'hx-request': 'true' });
      assert.equal(forged.status, 403);
      const conflict = await web.post(`/security/alerts/${resolved}/acknowledge`, {}, { 'hx-request': 'true', 'x-csrf-token': csrf });
      assert.ok(conflict.status === 409 || conflict.status === 400, `a resolved alert cannot be acknowledged (${conflict.status})`);
      tickets.list = async () => {
        throw new Error('boom: SELECT secret FROM somewhere');
      };
      try {
        const failed = await web.get('/security/tickets', { 'hx-request': 'true' });
        assert.equal(failed.status, 500);
        assert.doesNotMatch(failed.text, /boom|SELECT/);
        return [await problemOf(forged), await problemOf(conflict), await problemOf(failed)];
      } finally {
        tickets.list = list;
      }
    };
    const [forged, conflict, failed] = await answers();
    assert.deepEqual([forged!.title, forged!.detail], ['Access denied', 'The request was refused: the security token is missing or invalid. Reload the page and try again.']);
    assert.ok(conflict!.detail.length > 0, 'the server says what was wrong');
    assert.deepEqual([failed!.title, failed!.detail], ['Something went wrong', 'The error was logged. Please try again in a moment.']);

    assert.equal((await web.post('/preferences', { _csrf: csrf, language: 'es', return_to: '/security' })).status, 303);
    try {
      const [forgedEs, conflictEs, failedEs] = await answers();
      assert.deepEqual([forgedEs!.title, forgedEs!.detail], ['Acceso denegado', 'Solicitud rechazada: falta el token de seguridad o no es válido. Recargue la página e inténtelo de nuevo.']);
      assert.notEqual(conflictEs!.title, conflict!.title, 'the title is translated');
      assert.deepEqual([failedEs!.title, failedEs!.detail], ['Algo salió mal', 'El error quedó registrado. Inténtelo de nuevo en un momento.']);
      // A refused field is named with its sentence in the page's language, not the API's English one.
      const refused = await problemOf(await web.get('/security/parts/alerts?severity=urgent', { 'hx-request': 'true' }));
      assert.equal(refused.status, 400);
      assert.match(refused.detail, /^Algunos campos no son válidos: severity debe ser uno de: /);
    } finally {
      await web.post('/preferences', { _csrf: csrf, language: 'en', return_to: '/security' });
    }
  });

  it('answers a browser\'s unknown page with the 404 page, and API clients with problem+json', async () => {
    const web = new WebClient(ctx.server);
    const page = await web.get('/no/such/page');
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    assert.match(page.text, /Page not found/);
    const api = await ctx.server.api.get('/no/such/page');
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type')!, /problem\+json/);
    const apiHtml = await web.get('/api/v1/nothing');
    assert.match(apiHtml.headers.get('content-type')!, /problem\+json/);
  });
});
