import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, FOREIGN_CODE, startServer, type TestServer } from './helpers/harness.ts';
import { WebClient } from './helpers/web-client.ts';

/** A small deterministic PRNG, so that a failure can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const HOSTILE_STRINGS = [
  '', ' ', 'a'.repeat(10_000), '\u0000', '\uD800', '😀'.repeat(50), "' OR 1=1 --", '"; DROP TABLE users; --', '<script>alert(1)</script>',
  '../../etc/passwd', '%00', '${7*7}', '{{7*7}}', 'null', 'NaN', '-1', '1e309', '9'.repeat(400), 'now-99999999w', '2026-13-45T99:99:99Z',
  '01900000-0000-7000-8000-000000000000', 'not-a-uuid', 'true', '[]', '{}',
];

function hostileValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * 12);
  switch (pick) {
    case 0: return HOSTILE_STRINGS[Math.floor(random() * HOSTILE_STRINGS.length)];
    case 1: return Math.floor(random() * 2 ** 53) * (random() < 0.5 ? -1 : 1);
    case 2: return random() * 1e308;
    case 3: return null;
    case 4: return random() < 0.5;
    case 5: return depth > 3 ? [] : Array.from({ length: Math.floor(random() * 4) }, () => hostileValue(random, depth + 1));
    case 6: return depth > 3 ? {} : { [HOSTILE_STRINGS[Math.floor(random() * HOSTILE_STRINGS.length)]!]: hostileValue(random, depth + 1) };
    default: return HOSTILE_STRINGS[Math.floor(random() * HOSTILE_STRINGS.length)];
  }
}

/** A body that keeps the field names an operation expects but fills them with hostile values. */
function hostileBody(random: () => number, schema: { properties?: Record<string, unknown> } | undefined): unknown {
  if (random() < 0.15) return hostileValue(random);
  const body: Record<string, unknown> = {};
  for (const name of Object.keys(schema?.properties ?? {})) if (random() < 0.8) body[name] = hostileValue(random);
  return body;
}

const ROUNDS_PER_OPERATION = 25;

/** Percent-encodes every byte (lone surrogates become U+FFFD instead of throwing). */
const pct = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** What no answer may contain: stack frames, driver codes and messages, addresses, SQL, Fastify's default error body. */
const INTERNALS = new RegExp(String.raw`at [\w.<>]+ \(.*\.ts:\d+|SQLITE_|syntax error|ECONN|57P0\d|\b22021\b|\b22P02\b|invalid byte sequence|\b\d{1,3}(\.\d{1,3}){3}:\d+|\bSELECT\b.{1,200}?\bFROM\b|\bINSERT INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE FROM\b|"statusCode":|${FOREIGN_CODE}`, 'i');

interface Operation {
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
  parameters?: { name: string; in: string }[];
}

for (const dialect of dialects()) {
  describe(`fuzz: hostile input never gets a 5xx (${dialect})`, () => {
    let server: TestServer;
    let tokens: string[];
    let operations: { path: string; method: string; operation: Operation }[];

    before(async () => {
      server = await startServer(dialect);
      const admin = await server.api.adminToken();
      const tenant = (await server.api.createTenant(admin, 'Fuzz Corp')).id;
      const tenantAdmin = await server.api.createUser(admin, tenant, 'fuzz.admin', 'ADMIN');
      tokens = [admin, tenantAdmin.token];
      const spec = (await server.api.get('/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
      // Logging out or changing the password would only end the fuzzing session early.
      operations = Object.entries(spec.paths)
        .filter(([path]) => !path.endsWith('/auth/logout') && !path.includes('change-password'))
        .flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })));
    });
    after(() => server.close());

    async function send(method: string, url: string, token: string, body: string | undefined): Promise<void> {
      const response = await fetch(`${server.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await response.text();
      const what = `${method} ${url.slice(0, 300)} ${body?.slice(0, 300) ?? ''}`;
      assert.ok(response.status < 500 || response.status === 502 || response.status === 504, `${what} → ${response.status} ${text.slice(0, 300)}`);
      assert.doesNotMatch(text, INTERNALS, `${what} leaks internals: ${text.slice(0, 300)}`);
      if (response.status < 400) return;
      // The MCP endpoint speaks JSON-RPC: its protocol errors are JSON-RPC error objects, as MCP clients expect.
      if (url.startsWith('/mcp') && /^application\/json/.test(response.headers.get('content-type') ?? '')) {
        assert.equal((JSON.parse(text) as { jsonrpc?: string }).jsonrpc, '2.0', `${what} → ${response.status} ${text.slice(0, 300)}`);
        return;
      }
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, `${what} → ${response.status} ${text.slice(0, 300)}`);
    }

    it(`sends ${ROUNDS_PER_OPERATION} hostile requests to every documented operation`, async () => {
      const random = prng(20261122);
      let sent = 0;
      for (const { path, method, operation } of operations) {
        for (let round = 0; round < ROUNDS_PER_OPERATION; round++) {
          const url = path.replace(/\{(\w+)\}/g, () => pct(String(hostileValue(random)).slice(0, 1000)));
          const query = (operation.parameters ?? []).filter((p) => p.in === 'query' && random() < 0.6)
            .map((p) => `${pct(p.name)}=${pct(String(hostileValue(random)).slice(0, 1000))}`).join('&');
          const body = operation.requestBody ? JSON.stringify(hostileBody(random, operation.requestBody.content['application/json'].schema)) : undefined;
          await send(method, `${url}${query ? `?${query}` : ''}`, tokens[round % tokens.length]!, body);
          sent++;
        }
      }
      assert.ok(sent > 500, `sent ${sent} requests`);
    });

    it('a NUL byte in any path parameter, query parameter or body field is a clean 4xx (or ignored)', async () => {
      for (const { path, method, operation } of operations) {
        for (const token of tokens) {
          // In the path: alone, and inside a well-formed id.
          for (const nul of ['%00', 'a%00b', '01900000-0000-7000-8000-%0000000000000']) {
            if (path.includes('{')) await send(method, path.replace(/\{(\w+)\}/g, nul), token, operation.requestBody ? '{}' : undefined);
          }
          const concrete = path.replace(/\{(\w+)\}/g, '01900000-0000-7000-8000-000000000000');
          for (const parameter of (operation.parameters ?? []).filter((p) => p.in === 'query')) {
            await send(method, `${concrete}?${pct(parameter.name)}=x%00y`, token, operation.requestBody ? '{}' : undefined);
          }
          for (const field of Object.keys(operation.requestBody?.content['application/json'].schema.properties ?? {})) {
            await send(method, concrete, token, JSON.stringify({ [field]: 'x\u0000y' }));
          }
        }
      }
    });

    it('malformed JSON, wrong content types and oversized bodies are a clean 4xx on every write', async () => {
      const writes = operations.filter(({ operation }) => operation.requestBody !== undefined);
      // Past every route's body limit (telemetry's 4 MiB is the largest).
      const huge = JSON.stringify({ name: 'x'.repeat(5 * 1024 * 1024) });
      for (const { path, method } of writes) {
        const url = path.replace(/\{(\w+)\}/g, '01900000-0000-7000-8000-000000000000');
        for (const body of ['{"a":', '[1,2', '"text"', '{"__proto__":{"admin":true}}']) await send(method, url, tokens[1]!, body);
        // The body limit is the framework's, the same on every route: the routes added last are enough.
        if (/tenant\/settings|jobs|reports|alert-rules|notification|telemetry$/.test(path)) await send(method, url, tokens[1]!, huge);
      }
    });

    it('web form posts with hostile fields and ids, with and without the CSRF token, never get a 5xx or leak internals', async () => {
      const web = new WebClient(server);
      assert.equal((await web.signIn('fuzz.admin')).status, 303);
      const csrf = await web.csrf();
      const forms = ['/admin/users', '/admin/users/{id}', '/admin/sessions/{id}/revoke', '/admin/users/{id}/sessions/end', '/admin/api-keys', '/admin/api-keys/{id}/revoke',
        '/admin/dashboards/{id}', '/admin/dashboards/{id}/delete', '/admin/tenant', '/admin/tenants', '/admin/tenants/{id}', '/integrations', '/integrations/{id}',
        '/integrations/{id}/test', '/integrations/{id}/sync', '/integrations/{id}/delete', '/production/lines/{id}/downtime/{id}', '/security/alerts/{id}/acknowledge',
        '/security/alerts/{id}/resolve', '/security/alerts/{id}/ticket', '/security/vulnerabilities/{id}/patch', '/security/vulnerabilities/{id}/patch-jobs/{id}',
        '/security/tickets/{id}/status', '/security/tickets/{id}/comments'];
      const fields = ['name', 'username', 'email', 'role', 'password', 'enabled', 'note', 'resolution_note', 'reason_id', 'status', 'comment', 'body', 'timezone', 'language',
        'type', 'title', 'description', 'priority', 'scopes', 'line_ids', 'expires_at', 'config', 'secret', 'url', 'layout', 'widgets', 'template', 'is_active'];
      const random = prng(20261130);
      for (const form of forms) {
        for (let round = 0; round < 12; round++) {
          const url = form.replace(/\{id\}/g, () => pct(String(hostileValue(random)).slice(0, 300)));
          const body: Record<string, string> = {};
          for (const field of fields) if (random() < 0.5) body[field] = String(hostileValue(random)).slice(0, 5_000);
          if (round % 4 !== 0) body._csrf = csrf;
          const response = await web.post(url, body, round % 2 === 0 ? { 'hx-request': 'true' } : undefined);
          const what = `POST ${url.slice(0, 200)} ${JSON.stringify(body).slice(0, 300)}`;
          assert.ok(response.status < 500, `${what} → ${response.status} ${response.text.slice(0, 300)}`);
          assert.doesNotMatch(response.text, /at [\w.<>]+ \(.*\.ts:\d+|SQLITE_|syntax error|\b22021\b|\b22P02\b|invalid byte sequence|\bINSERT INTO\b|\bDELETE FROM\b/i, `${what} leaks internals: ${response.text.slice(0, 300)}`);
          if (round % 4 === 0) assert.ok(response.status >= 400, `${what}: accepted without the CSRF token (${response.status})`);
        }
      }
    });
  });
}
