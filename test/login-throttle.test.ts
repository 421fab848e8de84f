import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLoginThrottle, type Reservation } from '../src/modules/auth/login-throttle.ts';
import { PASSWORD, dialects, startServer, type TestServer } from './helpers/harness.ts';

describe('login throttle reservations', () => {
  const allowed = (reservation: Reservation) => {
    assert.ok(reservation.allowed, 'the attempt may go ahead');
    return reservation.attempt;
  };

  it('counts an attempt when it is reserved, and takes it back when it succeeds or is withdrawn', async () => {
    const throttle = createLoginThrottle();
    const start = Date.now();
    const attempts = [];
    for (let i = 0; i < 5; i++) attempts.push(allowed(await throttle.reserve('alice', '192.0.2.1', start)));
    const denied = await throttle.reserve('alice', '192.0.2.1', start + 1000);
    assert.deepEqual(denied, { allowed: false, retryAfterSeconds: 299 });
    // An attempt that could not be judged gives its place back.
    await attempts[4]!.withdraw();
    const sixth = allowed(await throttle.reserve('alice', '192.0.2.1', start + 1000));
    // A right password forgives this account's failures from this address; others still count.
    await sixth.succeeded();
    for (let i = 0; i < 5; i++) allowed(await throttle.reserve('alice', '192.0.2.1', start + 2000));
    assert.equal((await throttle.reserve('alice', '192.0.2.1', start + 2000)).allowed, false);
    assert.equal((await throttle.reserve('alice', '192.0.2.2', start + 2000)).allowed, true, 'another address is not blocked');
    // Blocks end by themselves when the window slides past the failures.
    assert.equal((await throttle.reserve('alice', '192.0.2.1', start + 2000 + 5 * 60_000)).allowed, true);
  });
});

for (const dialect of dialects()) {
  describe(`login throttle under concurrency (${dialect})`, () => {
    let server: TestServer;
    let tenantId: string;

    before(async () => {
      // Each test signs in from an address of its own (X-Forwarded-For), so their counts stay apart.
      server = await startServer(dialect, { SENTINEL_TRUST_PROXY: 'true' });
      const admin = await server.api.adminToken();
      tenantId = (await server.api.createTenant(admin, 'Throttle Corp')).id;
      await server.api.createUser(admin, tenantId, 'guessed', 'VIEWER');
    });
    after(() => server.close());

    const attempt = (username: string, password: string, ip: string) =>
      server.api.request('POST', '/api/v1/auth/login', { body: { username, password }, headers: { 'x-forwarded-for': ip } });

    const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, s) => ({ ...counts, [s]: (counts[s] ?? 0) + 1 }), {});

    it('lets exactly 5 of 50 simultaneous wrong passwords for one account from one address reach the password check', async () => {
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt('guessed', `Wrong-Guess-${i}`, '198.51.100.1')));
      assert.deepEqual(tally(responses.map((r) => r.status)), { 401: 5, 429: 45 });
      // The account is blocked from that address, even with the right password, and not from another.
      assert.equal((await attempt('guessed', PASSWORD, '198.51.100.1')).status, 429);
      assert.equal((await attempt('guessed', PASSWORD, '198.51.100.2')).status, 200);
    });

    it('lets exactly 30 of 200 simultaneous wrong passwords from one address across accounts through', async () => {
      const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => attempt(`nobody.${i}`, `Wrong-Guess-${i}`, '198.51.100.3')));
      assert.deepEqual(tally(responses.map((r) => r.status)), { 401: 30, 429: 170 });
      assert.equal((await attempt('guessed', PASSWORD, '198.51.100.3')).status, 429);
    });
  });
}
