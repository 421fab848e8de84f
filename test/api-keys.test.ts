import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('API keys', { tenants: 'Keys' }, (s) => {
  const withKey = (method: string, url: string, key: string) => s.server.api.request(method, url, { headers: { 'x-api-key': key } });
  const createKey = async (token: string, body: Record<string, unknown> = {}) => {
    const response = await s.server.api.post('/api/v1/api-keys', { name: 'Line 1 scanner', scopes: ['production:write'], ...body }, token);
    assert.equal(response.status, 201, response.text);
    return response.body as { id: string; key: string } & Record<string, unknown>;
  };
  let keyA: { id: string; key: string };
  let keyB: { id: string; key: string };
  let linesA: number[];
  const createLine = async (token: string, name: string) => {
    const response = await s.server.api.post('/api/v1/production/lines', { line_name: name }, token);
    assert.equal(response.status, 201, response.text);
    return response.body.line_id as number;
  };

  // The secret is all that follows `snk_<id>_` (it may itself contain `_`).
  const secretOf = (key: { id: string; key: string }) => key.key.slice(`snk_${key.id}_`.length);

  before(async () => {
    linesA = [await createLine(s.a.admin.token, 'Press'), await createLine(s.a.admin.token, 'Packing')];
    keyA = await createKey(s.a.admin.token, { line_ids: linesA });
    keyB = await createKey(s.b.admin.token);
  });

  it('refuses a key limited to lines the tenant does not have, and stores nothing', async () => {
    const before = (await s.server.api.get('/api/v1/api-keys', s.b.admin.token)).body.items.length;
    // Tenant B has no plant yet: no line id is one of its lines, not even tenant A's.
    const foreign = await s.server.api.post('/api/v1/api-keys', { name: 'Foreign lines', scopes: ['production:write'], line_ids: [linesA[0]] }, s.b.admin.token);
    assert.equal(foreign.status, 400, foreign.text);
    assert.equal(foreign.body.errors[0].field, 'line_ids');
    const missing = await s.server.api.post('/api/v1/api-keys', { name: 'Missing line', scopes: ['production:write'], line_ids: [linesA[0], Math.max(...linesA) + 1000] }, s.a.admin.token);
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.body.detail, new RegExp(`${Math.max(...linesA) + 1000}`));
    assert.equal((await s.server.api.get('/api/v1/api-keys', s.b.admin.token)).body.items.length, before);
    assert.equal((await s.server.api.get('/api/v1/api-keys', s.a.admin.token)).body.items.filter((k: { name: string }) => k.name === 'Missing line').length, 0);
  });

  it('shows the key once, in the answer that creates it, and never in a list or a read', async () => {
    assert.match(keyA.key, /^snk_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    assert.ok(keyA.key.startsWith(`snk_${keyA.id}_`));
    const list = await s.server.api.get('/api/v1/api-keys', s.a.admin.token);
    assert.equal(list.status, 200);
    assert.ok(list.body.items.some((k: { id: string }) => k.id === keyA.id));
    const one = await s.server.api.get(`/api/v1/api-keys/${keyA.id}`, s.a.admin.token);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.line_ids, linesA);
    assert.deepEqual(one.body.scopes, ['production:write']);
    for (const text of [list.text, one.text]) {
      assert.ok(!text.includes(secretOf(keyA)), 'the secret must not be listed');
      assert.ok(!/"key"/.test(text));
    }
    const row = await s.server.db.kysely.selectFrom('api_keys').selectAll().where('id', '=', keyA.id).executeTakeFirstOrThrow();
    assert.ok(!row.secret_hash.includes(secretOf(keyA)), 'only a hash is stored');
  });

  it('authenticates with X-API-Key within its scopes only, and records when it was used', async () => {
    const self = await withKey('GET', '/api/v1/api-keys/self', keyA.key);
    assert.equal(self.status, 200, self.text);
    assert.equal(self.body.id, keyA.id);
    assert.equal(self.body.tenant_id, s.a.id);
    assert.equal(self.body.status, 'active');
    assert.notEqual(self.body.last_used_at, null);
    assert.equal((await withKey('GET', '/api/v1/tickets', keyA.key)).status, 403);
    assert.equal((await withKey('GET', '/api/v1/api-keys', keyA.key)).status, 403);
    assert.equal((await withKey('GET', '/api/v1/auth/me', keyA.key)).status, 403, 'routes for any signed-in person are not for keys');
    assert.equal((await withKey('POST', '/api/v1/api-keys', keyA.key)).status, 403);
    // A person has no key view.
    assert.equal((await s.server.api.get('/api/v1/api-keys/self', s.a.admin.token)).status, 403);
    const denied = await s.server.db.kysely.selectFrom('audit_logs').selectAll().where('action', '=', 'permission.denied').where('actor_id', '=', keyA.id).execute();
    assert.ok(denied.length > 0 && denied.every((entry) => entry.actor_username === 'apikey:Line 1 scanner' && entry.tenant_id === s.a.id));
  });

  it('refuses malformed, unknown and wrong keys with 401', async () => {
    const secret = secretOf(keyA);
    const wrongSecret = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const key of ['nope', `snk_${keyA.id}_${wrongSecret}`, `snk_00000000-0000-4000-8000-000000000000_${secret}`, `snk_${keyB.id}_${secret}`]) {
      const response = await withKey('GET', '/api/v1/api-keys/self', key);
      assert.equal(response.status, 401, key);
      assert.match(response.body.detail, /API key/);
    }
  });

  it('refuses scopes that are not key scopes, or that the creator does not hold, with 400', async () => {
    const unknown = await s.server.api.post('/api/v1/api-keys', { name: 'x', scopes: ['tickets:read'] }, s.a.admin.token);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.detail, /production:write, telemetry:write, assistant/);
    // Every key scope is a permission an ADMIN holds; a MANAGER allowed to manage keys lacks production:write.
    const grant = (permissions: string[]) => s.server.api.patch(`/api/v1/users/${s.a.manager.id}`, { permissions }, s.a.admin.token);
    assert.equal((await grant(['api_keys:write'])).status, 200);
    try {
      const notHeld = await s.server.api.post('/api/v1/api-keys', { name: 'x', scopes: ['production:write'] }, s.a.manager.token);
      assert.equal(notHeld.status, 400, notHeld.text);
      assert.match(notHeld.body.detail, /you do not hold it/);
    } finally {
      assert.equal((await grant([])).status, 200);
    }
    const past = await s.server.api.post('/api/v1/api-keys', { name: 'x', scopes: ['production:write'], expires_at: '2020-01-01T00:00:00Z' }, s.a.admin.token);
    assert.equal(past.status, 400);
  });

  it('lets only ADMIN manage keys', async () => {
    for (const user of [s.a.manager, s.a.operator, s.a.viewer]) {
      assert.equal((await s.server.api.post('/api/v1/api-keys', { name: 'x', scopes: ['production:write'] }, user.token)).status, 403, user.username);
      assert.equal((await s.server.api.get('/api/v1/api-keys', user.token)).status, 403, user.username);
      assert.equal((await s.server.api.delete(`/api/v1/api-keys/${keyA.id}`, user.token)).status, 403, user.username);
    }
  });

  it('keeps each tenant\'s keys to itself', async () => {
    const listB = await s.server.api.get('/api/v1/api-keys', s.b.admin.token);
    assert.ok(listB.body.items.length > 0);
    assert.ok(listB.body.items.every((k: { tenant_id: string }) => k.tenant_id === s.b.id));
    assert.equal((await s.server.api.get(`/api/v1/api-keys/${keyA.id}`, s.b.admin.token)).status, 404);
    assert.equal((await s.server.api.delete(`/api/v1/api-keys/${keyA.id}`, s.b.admin.token)).status, 404);
    assert.equal((await withKey('GET', '/api/v1/api-keys/self', keyA.key)).status, 200, 'still live');
  });

  it('refuses a revoked key within 2 s and an expired one', async () => {
    const key = await createKey(s.a.admin.token, { name: 'Short-lived' });
    assert.equal((await withKey('GET', '/api/v1/api-keys/self', key.key)).status, 200);
    assert.equal((await s.server.api.delete(`/api/v1/api-keys/${key.id}`, s.a.admin.token)).status, 204);
    const revokedAt = Date.now();
    while ((await withKey('GET', '/api/v1/api-keys/self', key.key)).status !== 401) {
      assert.ok(Date.now() - revokedAt < 2_000, 'the revoked key still works after 2 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Revoked by another instance (no cache of this one is cleared): refused within 2 s too.
    const other = await createKey(s.a.admin.token, { name: 'Revoked elsewhere' });
    assert.equal((await withKey('GET', '/api/v1/api-keys/self', other.key)).status, 200);
    await s.server.db.kysely.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', other.id).execute();
    const elsewhereAt = Date.now();
    while ((await withKey('GET', '/api/v1/api-keys/self', other.key)).status !== 401) {
      assert.ok(Date.now() - elsewhereAt < 2_000, 'the key revoked elsewhere still works after 2 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const listed = await s.server.api.get(`/api/v1/api-keys/${key.id}`, s.a.admin.token);
    assert.equal(listed.body.status, 'revoked');

    const expiring = await createKey(s.a.admin.token, { name: 'Expiring', expires_at: new Date(Date.now() + 1_000).toISOString() });
    assert.equal((await withKey('GET', '/api/v1/api-keys/self', expiring.key)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal((await withKey('GET', '/api/v1/api-keys/self', expiring.key)).status, 401);
    assert.equal((await s.server.api.get(`/api/v1/api-keys/${expiring.id}`, s.a.admin.token)).body.status, 'expired');
  });
});
