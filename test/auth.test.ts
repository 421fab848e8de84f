import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { deriveKey } from '../src/platform/auth/secret-key.ts';
import { ADMIN_PASSWORD, PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

const decodePayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

forEachDialect('auth', { tenants: 'Auth', roles: [] }, (ctx) => {
  it('logs in by username or e-mail (any case) and answers the token pair', async () => {
    await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'Alice.Ops', 'OPERATOR', { email: 'Alice@Example.com' });
    for (const login of ['alice.ops', 'ALICE.OPS', 'alice@example.com']) {
      const response = await ctx.server.api.post('/api/v1/auth/login', { username: login, password: PASSWORD });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.token_type, 'bearer');
      assert.equal(response.body.expires_in, 15 * 60);
      const claims = decodePayload(response.body.access_token);
      assert.equal(claims.tenant_id, ctx.a.id);
      assert.equal(claims.role, 'OPERATOR');
      assert.equal(claims.typ, 'access');
      assert.equal(claims.iss, 'sentinel');
      assert.equal(claims.aud, 'sentinel-api');
      assert.ok(claims.sid && claims.sub);
    }
    const me = await ctx.server.api.get('/api/v1/auth/me', (await ctx.server.api.login('alice.ops', PASSWORD)).access_token);
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'alice.ops');
    assert.equal(me.body.email, 'alice@example.com');
    assert.ok(me.body.effective_permissions.includes('tickets:write'));
    assert.ok(!me.body.effective_permissions.includes('users:write'));
    assert.deepEqual(me.body.permissions, [], '`permissions` are the extra grants, as on the user');
  });

  it('rejects a wrong password or unknown user with the same 401 and audits both', async () => {
    const wrong = await ctx.server.api.post('/api/v1/auth/login', { username: 'admin', password: 'Wrong-Password-1' });
    const unknown = await ctx.server.api.post('/api/v1/auth/login', { username: 'nobody-here', password: 'Wrong-Password-1' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.detail, unknown.body.detail);
    assert.equal(wrong.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const audit = await ctx.server.api.get('/api/v1/audit-logs?action=auth.login&outcome=failure', ctx.superAdmin);
    assert.equal(audit.status, 200);
    const reasons = audit.body.items.map((e: { detail: { reason: string } }) => e.detail.reason);
    assert.ok(reasons.includes('bad_password'));
    assert.ok(reasons.includes('unknown_user'));
  });

  it('rotates refresh tokens; a reused one ends the session and answers 401', async () => {
    await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'rotator', 'VIEWER');
    const first = await ctx.server.api.login('rotator', PASSWORD);
    const second = await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: first.refresh_token });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', second.body.access_token)).status, 200);

    // Replaying the spent token (as a thief would) revokes the whole session family.
    const replay = await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: first.refresh_token });
    assert.equal(replay.status, 401);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', second.body.access_token)).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: second.body.refresh_token })).status, 401);
    const audit = await ctx.server.api.get('/api/v1/audit-logs?action=auth.refresh', ctx.superAdmin);
    assert.ok(audit.body.items.some((e: { detail: { reason: string } }) => e.detail.reason === 'reuse'));
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const tokens = await ctx.server.api.login('rotator', PASSWORD);
    const results = await Promise.all([1, 2].map(() => ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401]);
  });

  it('rejects unknown refresh tokens and malformed refresh bodies', async () => {
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: 'not-a-real-token' })).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: 42 })).status, 400);
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', {})).status, 400);
  });

  it('logout makes the access token fail at once', async () => {
    const tokens = await ctx.server.api.login('rotator', PASSWORD);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', tokens.access_token)).status, 200);
    assert.equal((await ctx.server.api.post('/api/v1/auth/logout', undefined, tokens.access_token)).status, 204);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', tokens.access_token)).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).status, 401);
  });

  it('keeps at most 3 sessions per user, ending the oldest', async () => {
    await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'juggler', 'VIEWER');
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await ctx.server.api.login('juggler', PASSWORD));
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', sessions[0]!.access_token)).status, 401);
    for (const s of sessions.slice(1)) assert.equal((await ctx.server.api.get('/api/v1/auth/me', s.access_token)).status, 200);
    const list = await ctx.server.api.get('/api/v1/auth/sessions', sessions[3]!.access_token);
    assert.equal(list.body.items.length, 3);
    assert.equal(list.body.items.filter((s: { current: boolean }) => s.current).length, 1);
  });

  it('lists and revokes own sessions only', async () => {
    const a = await ctx.server.api.login('juggler', PASSWORD);
    const b = await ctx.server.api.login('juggler', PASSWORD);
    const bId = decodePayload(b.access_token).sid;
    const other = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'bystander', 'VIEWER');
    assert.equal((await ctx.server.api.delete(`/api/v1/auth/sessions/${bId}`, other.token)).status, 404);
    assert.equal((await ctx.server.api.delete(`/api/v1/auth/sessions/${bId}`, a.access_token)).status, 204);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', b.access_token)).status, 401);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', a.access_token)).status, 200);
    assert.equal((await ctx.server.api.delete('/api/v1/auth/sessions/not-a-uuid', a.access_token)).status, 400);
  });

  it('ends a session after the idle timeout', async () => {
    const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'sleeper', 'VIEWER');
    const sid = decodePayload(user.token).sid;
    await ctx.server.db.kysely.updateTable('user_logins').set({ last_seen_at: Date.now() - 31 * 60_000 }).where('id', '=', sid).execute();
    // Past the principal cache's lifetime, the session is read again and found idle.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: user.refresh })).status, 401);
  });

  it('change-password checks the current one and the policy, and ends the other sessions', async () => {
    const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'changer', 'VIEWER');
    const other = await ctx.server.api.login('changer', PASSWORD);
    const bad = await ctx.server.api.post('/api/v1/auth/change-password', { current_password: 'Nope-Nope-1', new_password: 'Brand-New-Pass-42' }, user.token);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, [{ field: 'current_password', message: 'is wrong', code: 'password_wrong' }]);
    const weak = await ctx.server.api.post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: 'Password1' }, user.token);
    assert.equal(weak.status, 400);
    assert.ok(weak.body.errors.some((e: { message: string; code: string }) => e.message === 'is too common' && e.code === 'password_common'));
    // Each rule broken has its code (and the numbers its sentence names), for a client to say it in its own language.
    const lower = await ctx.server.api.post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: 'lower-case-only' }, user.token);
    assert.deepEqual(lower.body.errors.map((e: { code: string }) => e.code), ['password_upper', 'password_digit']);
    // So has a value the request schema refuses, with the numbers its sentence names.
    const long = await ctx.server.api.post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: 'x'.repeat(1_000) }, user.token);
    assert.equal(long.status, 400);
    assert.deepEqual(long.body.errors.map((e: { field: string; code: string; params?: object }) => [e.field, e.code, e.params]), [['new_password', 'max_length', { limit: 128 }]]);
    const ok = await ctx.server.api.post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: 'Brand-New-Pass-42' }, user.token);
    assert.equal(ok.status, 204);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 200);
    assert.equal((await ctx.server.api.get('/api/v1/auth/me', other.access_token)).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'changer', password: PASSWORD })).status, 401);
    assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'changer', password: 'Brand-New-Pass-42' })).status, 200);
  });

  describe('token tampering', () => {
    let valid: string;
    before(async () => {
      valid = (await ctx.server.api.login('admin', ADMIN_PASSWORD)).access_token;
    });

    it('rejects alg:none', async () => {
      const claims = decodePayload(valid);
      const unsigned = new UnsecuredJWT(claims).encode();
      const response = await ctx.server.api.get('/api/v1/auth/me', unsigned);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    });

    it('rejects a token signed with another key', async () => {
      const claims = decodePayload(valid);
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', forged)).status, 401);
    });

    it('rejects a token whose payload was edited', async () => {
      const [header, , signature] = valid.split('.');
      const original = decodePayload(valid);
      const claims = { ...original, exp: original.exp + 86_400 };
      const edited = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', edited)).status, 401);
    });

    it('rejects an expired token signed with the right key', async () => {
      const claims = decodePayload(valid);
      const key = deriveKey(ctx.server.secretKey, 'jwt-access');
      const expired = await new SignJWT({ ...claims, iat: undefined, exp: undefined })
        .setProtectedHeader({ alg: 'HS256' }).setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', expired)).status, 401);
      const fresh = await new SignJWT({ ...claims, iat: undefined, exp: undefined })
        .setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(key);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', fresh)).status, 200, 'the same claims, unexpired, pass: the check above is about expiry');
    });

    it('rejects a refresh token, garbage and a wrong scheme as access tokens', async () => {
      const { refresh_token } = await ctx.server.api.login('admin', ADMIN_PASSWORD);
      for (const header of [`Bearer ${refresh_token}`, 'Bearer abc.def.ghi', 'Bearer ', `Basic ${valid}`]) {
        const response = await ctx.server.api.request('GET', '/api/v1/auth/me', { headers: { authorization: header } });
        assert.equal(response.status, 401, header);
      }
      assert.equal((await ctx.server.api.get('/api/v1/auth/me')).status, 401);
    });
  });

  it('throttles repeated failures for one account with 429 and Retry-After, without locking out other addresses', async () => {
    await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'target', 'VIEWER');
    for (let i = 0; i < 5; i++) {
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'target', password: `Wrong-Guess-${i}` })).status, 401);
    }
    const blocked = await ctx.server.api.post('/api/v1/auth/login', { username: 'target', password: PASSWORD });
    assert.equal(blocked.status, 429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 300, `Retry-After ${retryAfter}`);
    // The throttle keys on account + address: the owner signing in from elsewhere is not locked out.
    const fromElsewhere = await ctx.server.services.auth.login('target', PASSWORD, { ip: '203.0.113.9', userAgent: null, requestId: 'test' });
    assert.ok(fromElsewhere.access_token);
    const audit = await ctx.server.api.get('/api/v1/audit-logs?action=auth.login&outcome=denied', ctx.superAdmin);
    assert.ok(audit.body.items.some((e: { actor_username: string }) => e.actor_username === 'target'));
  });
});
