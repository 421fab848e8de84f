import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from './helpers/harness.ts';

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

describe('fuzz: hostile input never gets a 5xx', () => {
  let server: TestServer;
  let tokens: string[];

  before(async () => {
    server = await startServer('sqlite');
    const admin = await server.api.adminToken();
    const tenant = (await server.api.createTenant(admin, 'Fuzz Corp')).id;
    const tenantAdmin = await server.api.createUser(admin, tenant, 'fuzz.admin', 'ADMIN');
    tokens = [admin, tenantAdmin.token];
  });
  after(() => server.close());

  it(`sends ${ROUNDS_PER_OPERATION} hostile requests to every documented operation`, async () => {
    const spec = (await server.api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } }; parameters?: { name: string; in: string }[] }>>;
    };
    const random = prng(20261122);
    let sent = 0;
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        // Logging out or deleting the caller would only end the fuzzing session early.
        if (path.endsWith('/auth/logout') || path.includes('change-password')) continue;
        for (let round = 0; round < ROUNDS_PER_OPERATION; round++) {
          const url = path.replace(/\{(\w+)\}/g, () => pct(String(hostileValue(random)).slice(0, 1000)));
          const query = (operation.parameters ?? []).filter((p) => p.in === 'query' && random() < 0.6)
            .map((p) => `${pct(p.name)}=${pct(String(hostileValue(random)).slice(0, 1000))}`).join('&');
          const body = operation.requestBody ? JSON.stringify(hostileBody(random, operation.requestBody.content['application/json'].schema)) : undefined;
          const response = await fetch(`${server.url}${url}${query ? `?${query}` : ''}`, {
            method: method.toUpperCase(),
            headers: { authorization: `Bearer ${tokens[round % tokens.length]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
            ...(body !== undefined ? { body } : {}),
          });
          const text = await response.text();
          sent++;
          assert.ok(response.status < 500 || response.status === 502 || response.status === 504, `${method.toUpperCase()} ${url}?${query} ${body ?? ''} → ${response.status} ${text.slice(0, 300)}`);
          assert.doesNotMatch(text, /at [\w.<>]+ \(.*\.ts:\d+|SQLITE_|syntax error/i, `${method.toUpperCase()} ${url} leaks internals`);
        }
      }
    }
    assert.ok(sent > 500, `sent ${sent} requests`);
  });
});
