import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { buildApp, createServices } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { ApiClient, createPostgresDatabase, startServer, type TestServer } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('HTTP conventions and hardening', { env: { SENTINEL_CORS_ORIGINS: 'https://ops.example.com', SENTINEL_BODY_LIMIT_BYTES: '65536' }, tenants: 'HTTP', roles: [] }, (ctx) => {
  it('sends the security headers and no Server or X-Powered-By', async () => {
    const response = await ctx.server.api.get('/health');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    assert.equal(response.headers.get('server'), null);
    assert.equal(response.headers.get('x-powered-by'), null);
    assert.ok(response.headers.get('x-request-id'));
  });

  it('answers CORS only for allowed origins', async () => {
    const allowed = await ctx.server.api.request('OPTIONS', '/api/v1/tickets', { headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'GET' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://ops.example.com');
    const denied = await ctx.server.api.request('GET', '/health', { headers: { origin: 'https://evil.example' } });
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });

  it('renders errors as RFC 9457 problem details with the request id', async () => {
    const response = await ctx.server.api.request('GET', '/api/v1/nope', { headers: { 'x-request-id': 'trace-abc-12345' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(response.body.status, 404);
    assert.equal(response.body.title, 'Not Found');
    assert.equal(response.body.request_id, 'trace-abc-12345');
    assert.equal(response.headers.get('x-request-id'), 'trace-abc-12345');
    const unsafe = await ctx.server.api.request('GET', '/health', { headers: { 'x-request-id': 'bad id<script>' } });
    assert.notEqual(unsafe.headers.get('x-request-id'), 'bad id<script>');
  });

  it('turns malformed, mistyped, oversized and wrongly typed input into 4xx without changing anything', async () => {
    const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'input.tester', 'ADMIN');
    const count = async () => Number((await ctx.server.db.kysely.selectFrom('tickets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const cases: [string, RequestInit['body'], Record<string, string>, number][] = [
      ['malformed JSON', '{"title": ', { 'content-type': 'application/json' }, 400],
      ['empty JSON body', '', { 'content-type': 'application/json' }, 400],
      ['JSON null', 'null', { 'content-type': 'application/json' }, 400],
      ['wrong type', '{"title": ["a"]}', { 'content-type': 'application/json' }, 400],
      ['unknown field', '{"title": "a", "tenant_id": "x"}', { 'content-type': 'application/json' }, 400],
      ['prototype pollution', '{"title": "a", "__proto__": {"admin": true}}', { 'content-type': 'application/json' }, 400],
      ['constructor pollution', '{"title": "a", "constructor": {"prototype": {"x": 1}}}', { 'content-type': 'application/json' }, 400],
      ['form encoded', 'title=a', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['text', 'title', { 'content-type': 'text/plain' }, 415],
      ['oversized', JSON.stringify({ title: 'a', description: 'x'.repeat(70_000) }), { 'content-type': 'application/json' }, 413],
      ['deeply nested', `{"title":"a","description":${'['.repeat(5000)}${']'.repeat(5000)}}`, { 'content-type': 'application/json' }, 400],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) as unknown as string, { 'content-type': 'application/json' }, 201],
    ];
    for (const [name, body, headers, status] of cases) {
      const response = await fetch(`${ctx.server.url}/api/v1/tickets`, { method: 'POST', body, headers: { authorization: `Bearer ${user.token}`, ...headers } });
      const text = await response.text();
      if (status === 201) {
        // Invalid bytes are replaced (U+FFFD) by the JSON decoder: stored as text, never a 500.
        assert.ok(response.status === 201 || response.status === 400, `${name}: ${response.status}`);
        continue;
      }
      assert.equal(response.status, status, `${name}: ${text}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8', name);
      assert.doesNotMatch(text, /at .*\.ts:\d+|SELECT|INSERT|sqlite|postgres/i, `${name} leaks internals`);
    }
    const expected = before + (await count() - before > 0 ? 1 : 0);
    assert.equal(await count(), expected, 'only the (valid, replaced-bytes) ticket may have been created');
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched');
  });

  it('rejects over-long path parameters and query values with 4xx', async () => {
    const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'long.tester', 'VIEWER');
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${'a'.repeat(300)}`, user.token)).status, 414);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${'a'.repeat(100)}`, user.token)).status, 400);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?q=${'x'.repeat(5000)}`, user.token)).status, 400);
    assert.equal((await ctx.server.api.get("/api/v1/tickets/1'%20OR%201=1--", user.token)).status, 400);
  });

  it('exposes Prometheus metrics with requests by route and status', async () => {
    await ctx.server.api.get('/api/v1/tickets');
    const response = await ctx.server.api.get('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.text, /sentinel_http_requests_total\{method="GET",route="\/api\/v1\/tickets",status="401"\} \d+/);
    assert.match(response.text, /sentinel_http_request_duration_seconds_bucket/);
    assert.match(response.text, /sentinel_process_resident_memory_bytes/);
  });

  it('serves the API docs and the OpenAPI document locally', async () => {
    const docs = await fetch(`${ctx.server.url}/docs/`, { redirect: 'follow' });
    assert.equal(docs.status, 200);
    const html = await docs.text();
    assert.match(html, /swagger/i);
    assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/, 'no CDN assets');
    // Swagger UI is loaded at the first request to /docs: its assets, its spec and its 404s.
    const css = await fetch(`${ctx.server.url}/docs/static/swagger-ui.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const cssLength = (await css.arrayBuffer()).byteLength;
    assert.ok(cssLength > 1000);
    const head = await fetch(`${ctx.server.url}/docs/static/swagger-ui.css`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(cssLength));
    const uiSpec = await fetch(`${ctx.server.url}/docs/json`);
    assert.ok(((await uiSpec.json()) as { paths: Record<string, unknown> }).paths['/api/v1/tickets']);
    const missing = await fetch(`${ctx.server.url}/docs/static/no-such-file.js`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const spec = await ctx.server.api.get('/openapi.json');
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, '3.1.0');
    assert.ok(spec.body.paths['/api/v1/tickets']);
  });

  it('answers HEAD like GET, with the same status and headers and no body', async () => {
    const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'head.tester', 'VIEWER');
    const raw = (method: string, path: string, headers: Record<string, string> = {}) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }>((resolve, reject) => {
      const request = http.request(`${ctx.server.url}${path}`, { method, headers }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => { bytes += chunk.length; });
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, bytes }));
      });
      request.on('error', reject).end();
    });
    for (const [path, headers] of [['/health', {}], ['/api/v1/tickets?limit=5', { authorization: `Bearer ${user.token}` }], ['/api/v1/tickets', {}], ['/login', {}], ['/api/v1/no-such-route', {}]] as const) {
      const get = await raw('GET', path, headers);
      const head = await raw('HEAD', path, headers);
      assert.equal(head.status, get.status, path);
      assert.equal(head.bytes, 0, `${path}: no body`);
      assert.ok(get.bytes > 0, path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
      assert.equal(head.headers['content-length'], get.headers['content-length'], path);
    }
    // Only GET routes answer HEAD: a POST-only route does not.
    assert.equal((await raw('HEAD', '/api/v1/auth/login')).status, 404);
  });

  it('readiness reports the database', async () => {
    const response = await ctx.server.api.get('/ready');
    assert.equal(response.status, 200);
    assert.equal(response.body.database, ctx.dialect);
  });
});

describe('every request body is validated strictly', () => {
  it('each documented operation with a body rejects an unknown field with 400', async () => {
    const server = await startServer('sqlite');
    try {
      const admin = await server.api.adminToken();
      const spec = (await server.api.get('/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
      let checked = 0;
      for (const [path, operations] of Object.entries(spec.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          if (!operation.requestBody) continue;
          const url = path.replace('{id}', '01900000-0000-7000-8000-000000000000').replace('{uid}', 'abc').replace('{panel_id}', '1');
          const response = await server.api.request(method.toUpperCase(), url, { token: admin, body: { __unknown_field__: 1 } });
          assert.equal(response.status, 400, `${method.toUpperCase()} ${path}: ${response.text}`);
          checked++;
        }
      }
      assert.ok(checked >= 10, `checked ${checked} operations`);
    } finally {
      await server.close();
    }
  });
});

describe('rate limiting', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { SENTINEL_RATE_LIMIT_PER_MINUTE: '20' });
  });
  after(() => server.close());

  it('limits anonymous callers per IP and signed-in callers per user, with 429, Retry-After and RateLimit headers', async () => {
    const first = await server.api.get('/api/v1/auth/me');
    assert.equal(first.headers.get('ratelimit-limit'), '20');
    assert.equal(first.headers.get('ratelimit-remaining'), '19');
    let limited;
    for (let i = 0; i < 25 && !limited; i++) {
      const response = await server.api.get('/api/v1/auth/me');
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, 'the 21st anonymous request is limited');
    assert.equal(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Health probes are never limited.
    assert.equal((await server.api.get('/health')).status, 200);
  });

  it('keys signed-in callers by user, not by address', async () => {
    const fresh = await startServer('sqlite', { SENTINEL_RATE_LIMIT_PER_MINUTE: '8' });
    try {
      const token = await fresh.api.adminToken();
      for (let i = 0; i < 7; i++) assert.equal((await fresh.api.get('/api/v1/auth/me', token)).status, 200);
      // The address has used its budget on the login and the calls above, the user has its own.
      const anonymous = await fresh.api.get('/api/v1/auth/me');
      assert.equal(anonymous.status, 401);
      assert.equal((await fresh.api.get('/api/v1/auth/me', token)).status, 200);
      assert.equal((await fresh.api.get('/api/v1/auth/me', token)).status, 429);
    } finally {
      await fresh.close();
    }
  });
});

describe('metrics token', () => {
  it('guards /metrics when SENTINEL_METRICS_TOKEN is set', async () => {
    const server = await startServer('sqlite', { SENTINEL_METRICS_TOKEN: 'scrape-secret-123' });
    try {
      assert.equal((await server.api.get('/metrics')).status, 401);
      assert.equal((await server.api.get('/metrics', 'wrong')).status, 401);
      assert.equal((await server.api.get('/metrics', 'scrape-secret-123')).status, 200);
    } finally {
      await server.close();
    }
  });
});

if (process.env.TEST_DATABASE_URL) {
  describe('readiness through a PostgreSQL outage', () => {
    it('answers 503 while the database is unreachable and recovers by itself', async () => {
      const database = await createPostgresDatabase();
      const target = new URL(database.url);
      // A TCP relay we can cut, standing in for the network path to PostgreSQL.
      const sockets = new Set<net.Socket>();
      let relay = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => { client.destroy(); upstream.destroy(); };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      const relayFactory = relay.listeners('connection')[0] as (socket: net.Socket) => void;
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const port = (relay.address() as net.AddressInfo).port;
      const url = new URL(database.url);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', SENTINEL_SECRET_KEY: 'k'.repeat(40) });
      const db = openDatabase(config);
      const app = await buildApp(config, db, createServices(config, db, 'k'.repeat(40)));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const api = new ApiClient(`http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`);
      try {
        await sql`SELECT 1`.execute(db.kysely);
        assert.equal((await api.get('/ready')).status, 200);

        await new Promise<void>((resolve) => relay.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        const down = await api.get('/ready');
        assert.equal(down.status, 503);
        assert.equal(down.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.equal((await api.get('/health')).status, 200, 'liveness does not depend on the database');
        const login = await api.post('/api/v1/auth/login', { username: 'someone', password: 'Whatever-Pass-1' });
        assert.equal(login.status, 503, 'an unreachable database is 503 with Retry-After, not 500');
        assert.equal(login.headers.get('retry-after'), '5');

        relay = net.createServer(relayFactory);
        await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
        let recovered = false;
        for (let i = 0; i < 50 && !recovered; i++) {
          recovered = (await api.get('/ready')).status === 200;
          if (!recovered) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(recovered, 'ready again once the database is reachable');
      } finally {
        await app.close();
        await db.close();
        relay.close();
        for (const socket of sockets) socket.destroy();
        await database.drop();
      }
    });
  });
}
