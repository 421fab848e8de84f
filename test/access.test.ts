import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, createServices } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openMemoryDatabase, type Db } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';

/** Public is a per-route declaration: everything else, pages added later included, needs a caller. */
describe('Route access declarations', () => {
  let db: Db;
  let app: FastifyInstance;

  before(async () => {
    db = openMemoryDatabase();
    await migrateToLatest(db);
    const config = loadConfig({ LOG_LEVEL: 'silent', SENTINEL_METRICS_TOKEN: 'metrics-token-of-the-test' });
    app = await buildApp(config, db, createServices(config, db, 'x'.repeat(40)));
    // Routes that declare nothing, outside and inside the API prefix.
    app.get('/dashboard', async () => 'a page with tenant data');
    app.get('/api/v1/undeclared', async () => ({ secret: true }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    await db.close();
  });

  it('answers 401 on a route without a declaration, wherever it lives', async () => {
    for (const url of ['/dashboard', '/api/v1/undeclared']) {
      const anonymous = await app.inject({ method: 'GET', url });
      assert.equal(anonymous.statusCode, 401, url);
      assert.equal(anonymous.headers['content-type'], 'application/problem+json; charset=utf-8');
      const forged = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer not.a.token' } });
      assert.equal(forged.statusCode, 401, url);
    }
  });

  it('keeps the declared public routes public: docs, OpenAPI, health, readiness, metrics, login', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    const asset = /src="\.\/(static\/[^"]+\.js)"/.exec(docs.body)?.[1];
    assert.ok(asset, 'the UI page references its script');
    assert.equal((await app.inject({ method: 'GET', url: `/docs/${asset}` })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
    // /metrics is public to the guard and checks its own token.
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-of-the-test' } })).statusCode, 200);
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'Wrong-Password-1' } });
    assert.equal(login.statusCode, 401);
    assert.match(login.json().detail, /username or password/i);
  });

  it('answers 404 to anyone for a URL without a route, and to a preflight while CORS is off', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/nothing-here' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'OPTIONS', url: '/api/v1/tickets', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' } })).statusCode, 404);
  });
});
