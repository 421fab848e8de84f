import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { preferredLanguage } from '../src/platform/languages.ts';
import { startServer, type ApiResponse, type TestServer } from './helpers/harness.ts';
import { WebClient } from './helpers/web-client.ts';

describe('the language a client prefers (Accept-Language)', () => {
  it('takes the heaviest of ours, then the first; a region counts as its language; English otherwise', () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'en'], ['', 'en'], ['es', 'es'], ['es-MX', 'es'], ['ES-es', 'es'], ['fr-FR, es;q=0.5', 'es'],
      ['en-US, es;q=0.9', 'en'], ['es;q=0.4, en;q=0.8', 'en'], ['es;q=0', 'en'], ['fr, de', 'en'], ['*', 'en'],
      ['eso, es-419', 'es'], ['es;q=abc, en;q=0.1', 'en'], [`${'x,'.repeat(1000)}es`, 'en'],
      ['es;Q=0.1, en;q=0.5', 'en'], ['es;q=2, en;q=0.1', 'en'], ['es;q', 'en'], ['es;q=1.000', 'es'],
    ];
    for (const [header, expected] of cases) assert.equal(preferredLanguage(header), expected, String(header));
  });
});

describe('problem details speak the request\'s language', () => {
  let server: TestServer;
  let admin: string;

  before(async () => {
    server = await startServer('sqlite', { SENTINEL_CORS_ORIGINS: 'https://console.example' });
    admin = await server.api.adminToken();
    await server.api.createTenant(admin, 'Idiomas');
  });
  after(() => server.close());

  const inSpanish = (method: string, url: string, options: { body?: unknown; rawBody?: string; token?: string } = {}) =>
    server.api.request(method, url, { ...options, headers: { 'accept-language': 'es-ES,es;q=0.9,en;q=0.8', ...(options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}) } });

  function assertSpanish(response: ApiResponse, status: number, title: string, detail: RegExp): void {
    assert.equal(response.status, status, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.headers.get('content-language'), 'es');
    assert.equal(response.body.title, title);
    assert.match(response.body.detail, detail);
  }

  it('says a service\'s own conflict in Spanish, and in English when no language is asked for', async () => {
    const english = await server.api.post('/api/v1/tenants', { name: 'Idiomas' }, admin);
    assert.equal(english.status, 409);
    assert.equal(english.body.title, 'Conflict');
    assert.match(english.body.detail, /already exists/);
    assert.equal(english.headers.get('content-language'), 'en');
    assertSpanish(await inSpanish('POST', '/api/v1/tenants', { body: { name: 'Idiomas' }, token: admin }), 409, 'Conflicto', /^Ya existe un cliente con el slug "idiomas"$/);
  });

  it('says the platform\'s own answers in Spanish: validation, bad JSON, unknown route, no credentials, missing resource', async () => {
    const invalid = await inSpanish('POST', '/api/v1/tenants', { body: { name: 'x', extra: 1 }, token: admin });
    assertSpanish(invalid, 400, 'Solicitud incorrecta', /^El cuerpo de la solicitud no es válido$/);
    assert.deepEqual(invalid.body.errors, [{ field: 'extra', message: 'no es un campo conocido', code: 'unknown_field' }], 'a field error is said by its code');
    const english = await server.api.post('/api/v1/tenants', { name: 'x', extra: 1 }, admin);
    assert.deepEqual(english.body.errors, [{ field: 'extra', message: 'is not a known field', code: 'unknown_field' }]);
    const tooLong = await inSpanish('POST', '/api/v1/tenants', { body: { name: 'x'.repeat(500) }, token: admin });
    assert.equal(tooLong.status, 400, tooLong.text);
    assert.match(tooLong.body.errors[0].message, /^debe tener como máximo \d+ caracteres$/, 'with the values its sentence names');
    assertSpanish(await inSpanish('POST', '/api/v1/tenants', { rawBody: '{"name":', token: admin }), 400, 'Solicitud incorrecta', /no es JSON válido/);
    assertSpanish(await inSpanish('GET', '/api/v1/no-such-thing'), 404, 'No encontrado', /^No existe la ruta GET \/api\/v1\/no-such-thing$/);
    assertSpanish(await inSpanish('GET', '/api/v1/alerts'), 401, 'No autenticado', /^Se requiere autenticación$/);
    // A shared cache keys the answer on the language, and still on the origin CORS answered for.
    const fromConsole = await server.api.request('GET', '/api/v1/alerts', { headers: { origin: 'https://console.example', 'accept-language': 'es' } });
    assert.equal(fromConsole.headers.get('access-control-allow-origin'), 'https://console.example');
    assert.deepEqual(fromConsole.headers.get('vary')?.split(/,\s*/).map((name) => name.toLowerCase()).sort(), ['accept-language', 'origin']);
    assertSpanish(await inSpanish('GET', '/api/v1/tenants/00000000-0000-7000-8000-000000000000', { token: admin }), 404, 'No encontrado', /^No se ha encontrado el cliente$/);
  });
});

describe('a web form shows the service\'s sentence in the page\'s language', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer('sqlite');
    const admin = await server.api.adminToken();
    const tenant = await server.api.createTenant(admin, 'Formularios');
    await server.api.createUser(admin, tenant.id, 'form.admin', 'ADMIN');
    await server.api.createUser(admin, tenant.id, 'ya.existe', 'VIEWER');
  });
  after(() => server.close());

  it('a taken username is refused in Spanish for a user who reads Spanish', async () => {
    const browser = new WebClient(server);
    assert.equal((await browser.signIn('form.admin')).status, 303);
    const csrf = await browser.csrf();
    assert.equal((await browser.post('/preferences', { language: 'es', return_to: '/', _csrf: csrf })).status, 303);
    const taken = await browser.post('/admin/users', { username: 'ya.existe', email: 'otro@example.com', role: 'VIEWER', password: 'Correct-Horse-7-Battery', is_active: 'true', _csrf: csrf });
    assert.equal(taken.status, 409, taken.text);
    assert.match(taken.text, /Ese nombre de usuario o correo electrónico ya está en uso/);
    assert.doesNotMatch(taken.text, /is already in use/);
  });
});
