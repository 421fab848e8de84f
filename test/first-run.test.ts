// First sign-in and sessions as a user meets them (docs/requirements.md, PLT-3, PLT-11): a generated
// password must be changed before anything else (403 with a code until then), and a sign-in beyond
// the session limit says which session it ended, as does that session's 401.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

const NEW_PASSWORD = 'Brand-New-Secret-42';

forEachDialect('first sign-in and session limit', { tenants: 'First', roles: ['ADMIN', 'VIEWER'] }, (s) => {
  const api = () => s.server.api;

  it('makes a user with a generated password change it first, then lets everything through', async () => {
    const created = await api().post('/api/v1/users', { username: 'generated.one', password: PASSWORD, role: 'OPERATOR', tenant_id: s.a.id }, s.superAdmin);
    assert.equal(created.status, 201, created.text);
    await s.server.services.auth.requirePasswordChange(created.body.id);

    const login = await api().post('/api/v1/auth/login', { username: 'generated.one', password: PASSWORD });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.password_change_required, true);
    assert.match(login.body.notice, /change it/);
    const token = login.body.access_token as string;

    for (const [method, url] of [['GET', '/api/v1/tickets'], ['GET', '/api/v1/alerts/active'], ['POST', '/api/v1/tickets']] as const) {
      const refused = await api().request(method, url, { token, ...(method === 'POST' ? { body: { title: 'x' } } : {}) });
      assert.equal(refused.status, 403, `${method} ${url}`);
      assert.equal(refused.body.code, 'password_change_required');
      assert.match(refused.body.detail, /change-password/);
    }
    assert.equal((await api().get('/api/v1/tickets?limit=1', s.a.admin.token)).status, 200, 'other users are not affected');
    const mcp = await api().request('POST', '/mcp', { token, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: { accept: 'application/json, text/event-stream' } });
    assert.equal(mcp.status, 403);
    assert.equal(mcp.body.code, 'password_change_required');
    const me = await api().get('/api/v1/auth/me', token);
    assert.equal(me.status, 200);
    assert.equal(me.body.password_change_required, true);

    const weak = await api().post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: 'short' }, token);
    assert.equal(weak.status, 400);
    const changed = await api().post('/api/v1/auth/change-password', { current_password: PASSWORD, new_password: NEW_PASSWORD }, token);
    assert.equal(changed.status, 204, changed.text);
    assert.equal((await api().get('/api/v1/tickets', token)).status, 200, 'the same session goes on, now unrestricted');
    const again = await api().post('/api/v1/auth/login', { username: 'generated.one', password: NEW_PASSWORD });
    assert.equal(again.body.password_change_required, false);
    assert.equal(again.body.notice, undefined);
    assert.equal((await api().get('/api/v1/auth/me', again.body.access_token)).body.password_change_required, false);
  });

  it('states in the 4th sign-in which session it ended, and tells that session why in its 401', async () => {
    const username = s.a.viewer.username;
    const logins: { access_token: string; ended_sessions: { id: string; reason: string }[]; notice?: string }[] = [];
    // The suite's own sign-in of this user is the oldest; make it end first, and sign in until the limit.
    const oldest = s.a.viewer.token;
    const oldestSession = (await api().get('/api/v1/auth/me', oldest)).body.session_id as string;
    for (let i = 0; i < 3; i++) {
      const login = await api().post('/api/v1/auth/login', { username, password: PASSWORD });
      assert.equal(login.status, 200, login.text);
      logins.push(login.body);
    }
    assert.deepEqual(logins[0]!.ended_sessions, [], 'the 2nd and 3rd sessions fit');
    assert.deepEqual(logins[1]!.ended_sessions, []);
    const fourth = logins[2]!;
    assert.deepEqual(fourth.ended_sessions.map((session) => [session.id, session.reason]), [[oldestSession, 'session_limit']]);
    assert.match(fourth.notice!, /ended your oldest session .*at most 3 sessions/);

    const evicted = await api().get('/api/v1/auth/me', oldest);
    assert.equal(evicted.status, 401);
    assert.equal(evicted.body.code, 'session_evicted');
    assert.match(evicted.body.detail, /newer sign-in .* at most 3 sessions/);
    assert.equal(evicted.headers.get('www-authenticate'), 'Bearer');
    for (const login of logins) assert.equal((await api().get('/api/v1/auth/me', login.access_token)).status, 200);

    const signedOut = logins[0]!.access_token;
    assert.equal((await api().post('/api/v1/auth/logout', undefined, signedOut)).status, 204);
    const ended = await api().get('/api/v1/auth/me', signedOut);
    assert.equal(ended.status, 401);
    assert.equal(ended.body.code, 'session_ended');
    assert.match(ended.body.detail, /signed out/);
    const forged = await api().get('/api/v1/auth/me', 'not.a.token');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, undefined, 'a token that is no token has nothing to explain');
  });
});
