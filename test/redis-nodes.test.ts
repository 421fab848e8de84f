import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, createServices } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { createRedisSharedState } from '../src/platform/cluster-state/redis-shared-state.ts';
import { ADMIN_PASSWORD, ApiClient, createPostgresDatabase, dialects, PASSWORD, startServer, type TestServer } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';
import { makeAlert } from './helpers/factories.ts';
import { connectLive } from './helpers/live-client.ts';

/** A database number of its own, so that other users of the same Redis do not count into this suite's rate limits. */
const REDIS_URL = process.env.TEST_REDIS_URL === undefined ? undefined : (() => {
  const url = new URL(process.env.TEST_REDIS_URL);
  url.pathname = '/13';
  return url.toString();
})();
/** How soon another node must see a logout or a role change: Redis delivery, well inside the principal cache's TTLs (2 s and 15 s). */
const INVALIDATION_BOUND_MS = 500;
const RATE_LIMIT = 200;

/** Another node of `first`'s deployment: same database, same secret key, its own services and HTTP app. */
async function startNode(first: TestServer, env: Record<string, string>): Promise<{ server: TestServer; close(): Promise<void> }> {
  const config = loadConfig({
    SENTINEL_DATA_DIR: first.config.dataDir, LOG_LEVEL: 'silent', SENTINEL_SYNC: 'off',
    ...(first.config.databaseUrl ? { DATABASE_URL: first.config.databaseUrl } : {}), ...env,
  });
  const db = openDatabase(config);
  const services = createServices(config, db, first.secretKey);
  const app = await buildApp(config, db, services);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    server: { ...first, url, app, db, config, services, api: new ApiClient(url) },
    async close() {
      await app.close();
      await services.shared.close();
      await db.close();
    },
  };
}

/**
 * A documentation address (RFC 5737) of its own per call, so counts by address never meet another
 * test's: consecutive within this run (random draws met an earlier dialect's blocked address now and
 * then), from a random start so that a run soon after another on the same Redis rarely meets its addresses.
 */
let lastIp = Math.floor(Math.random() * 254);
const freshIp = () => `198.51.100.${(lastIp++ % 254) + 1}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return Infinity;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const dialect of dialects()) {
  describe(`two nodes sharing Redis (${dialect})`, { skip: REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, () => {
    const env = { REDIS_URL: REDIS_URL!, SENTINEL_TRUST_PROXY: 'true', SENTINEL_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) };
    let a: TestServer;
    let b: { server: TestServer; close(): Promise<void> };
    let tenantId: string;
    let admin: string;

    before(async () => {
      a = await startServer(dialect, env);
      b = await startNode(a, env);
      admin = await a.api.adminToken();
      tenantId = (await a.api.createTenant(admin, 'Nodes')).id;
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    it('delivers an event published on one node to live clients of the other', async () => {
      const operator = await a.api.createUser(admin, tenantId, 'nodes.operator', 'OPERATOR');
      const live = await connectLive(b.server, operator.token);
      try {
        const alertId = await makeAlert(a, tenantId);
        const acknowledged = await a.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {}, operator.token);
        assert.equal(acknowledged.status, 200, acknowledged.text);
        const event = await live.waitFor((e) => e.type === 'alert.updated' && e.id === alertId, 3_000);
        assert.equal(event.tenant_id, tenantId);
        assert.equal(event.status, 'acknowledged');

        // What every node derives on its own (the line watch's ticks) stays on the node that publishes it.
        const onA = await connectLive(a, operator.token);
        a.services.bus.publish({ type: 'production.counts', tenant_id: tenantId, id: 'this-node-only' }, 'this-node');
        a.services.bus.publish({ type: 'production.counts', tenant_id: tenantId, id: 'everywhere' });
        await live.waitFor((e) => e.id === 'everywhere', 3_000);
        await onA.waitFor((e) => e.id === 'everywhere', 3_000);
        assert.ok(onA.events.some((e) => e.id === 'this-node-only'), 'delivered on its own node');
        assert.ok(!live.events.some((e) => e.id === 'this-node-only'), 'not sent to the other node');
        onA.socket.close();
      } finally {
        live.socket.close();
      }
    });

    it('holds the rate limit across both nodes', async () => {
      const viewer = await a.api.createUser(admin, tenantId, 'nodes.limited', 'VIEWER');
      const statuses: number[] = [];
      for (let i = 0; i < RATE_LIMIT + 10; i++) statuses.push((await (i % 2 === 0 ? a : b.server).api.get('/api/v1/auth/me', viewer.token)).status);
      // The sign-in of createUser counted under the address, not the user: all RATE_LIMIT requests pass, not one more.
      assert.equal(statuses.filter((s) => s === 200).length, RATE_LIMIT, `statuses: ${statuses.join(',')}`);
      assert.ok(statuses.slice(RATE_LIMIT).every((s) => s === 429));
    });

    it('shares the sign-in throttle: five wrong passwords over two nodes block the sixth on either', async () => {
      await a.api.createUser(admin, tenantId, 'nodes.guessed', 'VIEWER');
      const ip = freshIp();
      const attempt = (node: TestServer, password: string) =>
        node.api.request('POST', '/api/v1/auth/login', { body: { username: 'nodes.guessed', password }, headers: from(ip) });
      for (let i = 0; i < 5; i++) assert.equal((await attempt(i % 2 === 0 ? a : b.server, 'wrong-password')).status, 401);
      for (const node of [a, b.server]) {
        const blocked = await attempt(node, PASSWORD);
        assert.equal(blocked.status, 429, blocked.text);
        assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      }
    });

    it('lets exactly 5 of 40 simultaneous wrong passwords through two nodes reach the password check', async () => {
      await a.api.createUser(admin, tenantId, 'nodes.rushed', 'VIEWER');
      const ip = freshIp();
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b.server).api
        .request('POST', '/api/v1/auth/login', { body: { username: 'nodes.rushed', password: 'wrong-password' }, headers: from(ip) })
        .then((response) => response.status)));
      assert.equal(statuses.filter((s) => s === 401).length, 5, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 35);
    });

    it('refuses a token on the other node within the bound once its session logs out', async (t) => {
      const user = await a.api.createUser(admin, tenantId, 'nodes.leaving', 'VIEWER');
      // Node B has the principal in its cache.
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200);
      assert.equal((await a.api.post('/api/v1/auth/logout', undefined, user.token)).status, 204);
      const elapsed = await eventually(async () => (await b.server.api.get('/api/v1/auth/me', user.token)).status === 401, 3_000);
      t.diagnostic(`refused on the other node ${elapsed} ms after the logout answered`);
      assert.ok(elapsed <= INVALIDATION_BOUND_MS, `refused on the other node after ${elapsed} ms`);
    });

    it('invalidates only once the change commits, so the other node cannot re-read and keep the old session', async () => {
      const user = await a.api.createUser(admin, tenantId, 'nodes.disabled', 'VIEWER');
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200);
      await a.db.transaction(async () => {
        await a.services.auth.endUserSessions(user.id, 'user_disabled');
        // Time for a message to cross; the other node meanwhile reads the committed (old) session.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200, 'not committed yet');
      });
      const elapsed = await eventually(async () => (await b.server.api.get('/api/v1/auth/me', user.token)).status === 401, 3_000);
      assert.ok(elapsed <= INVALIDATION_BOUND_MS, `refused on the other node ${elapsed} ms after the commit`);
    });

    it('applies a role change on the other node within the bound', async (t) => {
      const user = await a.api.createUser(admin, tenantId, 'nodes.promoted', 'VIEWER');
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).body.role, 'VIEWER');
      assert.equal((await a.api.patch(`/api/v1/users/${user.id}`, { role: 'OPERATOR' }, admin)).status, 200);
      const elapsed = await eventually(async () => (await b.server.api.get('/api/v1/auth/me', user.token)).body.role === 'OPERATOR', 3_000);
      t.diagnostic(`new role seen on the other node ${elapsed} ms after the change answered`);
      assert.ok(elapsed <= INVALIDATION_BOUND_MS, `new role seen on the other node after ${elapsed} ms`);
    });

    it('never serves a list from one node\'s cache after a write through the other', async () => {
      const operator = await a.api.createUser(admin, tenantId, 'nodes.lister', 'OPERATOR');
      for (let i = 0; i < 5; i++) {
        // Read twice on B (a cacheable page, stored if the cache is on), write on A, read on B again at once.
        for (let read = 0; read < 2; read++) assert.equal((await b.server.api.get('/api/v1/tickets', operator.token)).status, 200);
        const created = await a.api.post('/api/v1/tickets', { title: `Across nodes ${i}` }, operator.token);
        assert.equal(created.status, 201, created.text);
        const list = await b.server.api.get('/api/v1/tickets', operator.token);
        assert.ok(list.body.items.some((ticket: { id: string }) => ticket.id === created.body.id), `ticket ${i} is in node B's list at once`);
      }
    });

    it('keeps a principal past the short TTL only while it hears every message, and drops it once its subscription broke', async (t) => {
      const user = await a.api.createUser(admin, tenantId, 'nodes.unheard', 'VIEWER');
      const heard = () => b.server.services.shared.broadcast('principals').deliveryEpoch() !== undefined;
      assert.ok(heard(), 'node B hears the other nodes');
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200);
      // Ended behind the nodes' backs: no message says so, so node B keeps what it read.
      await a.db.kysely.updateTable('user_logins').set({ ended_at: Date.now(), end_reason: 'revoked' }).where('user_id', '=', user.id).execute();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200, 'still cached past the short TTL while every message is heard');
      // Redis drops this suite's subscribers (its database only: other suites share the server).
      // What was sent meanwhile could be lost, so B falls back to the short TTL at once.
      const { Redis } = await import('ioredis');
      const killer = new Redis(REDIS_URL!);
      try {
        const clients = (await killer.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string).split('\n');
        const ours = clients.filter((line) => / name=sentinel-sub-/.test(line) && / db=13 /.test(line)).map((line) => /^id=(\d+)/.exec(line)![1]!);
        assert.equal(ours.length, 2, 'one subscriber per node');
        for (const id of ours) await killer.call('CLIENT', 'KILL', 'ID', id);
      } finally {
        killer.disconnect();
      }
      const elapsed = await eventually(async () => (await b.server.api.get('/api/v1/auth/me', user.token)).status === 401, 3_000);
      t.diagnostic(`refused ${elapsed} ms after the subscription broke`);
      assert.ok(elapsed <= INVALIDATION_BOUND_MS, `refused ${elapsed} ms after the subscription broke`);
      assert.ok(await eventually(async () => heard() && a.services.shared.broadcast('principals').deliveryEpoch() !== undefined, 5_000) < Infinity, 'both nodes hear again');
    });
  });

  describe(`Redis stopped mid-run (${dialect})`, { skip: REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, () => {
    let redis: { port: number; child: ChildProcess };
    let a: TestServer;
    let b: { server: TestServer; close(): Promise<void> };
    let admin: string;
    let tenantId: string;

    before(async () => {
      redis = await startRedis();
      const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, SENTINEL_TRUST_PROXY: 'true' };
      a = await startServer(dialect, env);
      b = await startNode(a, env);
      admin = await a.api.adminToken();
      tenantId = (await a.api.createTenant(admin, 'Outage')).id;
    });
    after(async () => {
      await b?.close();
      await a?.close();
      redis?.child.kill('SIGKILL');
    });

    it('notices a subscription that went silent (Redis frozen, no reset), falls back to the short TTL and its own counters, and resumes on the same connections', async (t) => {
      const user = await a.api.createUser(admin, tenantId, 'outage.frozen', 'VIEWER');
      const hears = (server: TestServer) => server.services.shared.broadcast('principals').deliveryEpoch() !== undefined;
      assert.ok(await eventually(async () => hears(b.server), 5_000) < Infinity, 'node B hears the other nodes');
      const subscribers = await subscriberIds(redis.port);
      assert.equal(subscribers.length, 2, 'one subscriber per node');
      assert.equal((await b.server.api.get('/api/v1/auth/me', user.token)).status, 200);
      const live = await connectLive(b.server, (await a.api.createUser(admin, tenantId, 'outage.listener', 'OPERATOR')).token);
      await a.db.kysely.updateTable('user_logins').set({ ended_at: Date.now(), end_reason: 'revoked' }).where('user_id', '=', user.id).execute();
      // Frozen, Redis keeps its sockets open and answers nothing: only the subscriber's PING can tell.
      redis.child.kill('SIGSTOP');
      try {
        // Without the PING the principal would be kept for the 15 s TTL.
        const elapsed = await eventually(async () => (await b.server.api.get('/api/v1/auth/me', user.token)).status === 401, 14_000);
        t.diagnostic(`refused ${elapsed} ms after Redis froze`);
        // Well before a PING is taken for a dead connection (10 s), which the checks below rule out.
        assert.ok(elapsed <= 6_000, `refused ${elapsed} ms after Redis froze (a silent subscriber kept the 15 s TTL)`);
        // The first rate-limit count waited out the command timeout; the node now counts alone.
        const started = Date.now();
        assert.equal((await b.server.api.get('/api/v1/auth/me', admin)).status, 200);
        const waited = Date.now() - started;
        t.diagnostic(`a request during the freeze took ${waited} ms`);
        assert.ok(waited < 900, `a request waited ${waited} ms for the frozen Redis (the command timeout is 1 s)`);
        // Its publish times out on A, but it is on the wire: Redis delivers it when it wakes.
        a.services.bus.publish({ type: 'production.counts', tenant_id: tenantId, id: 'sent-while-frozen' });
      } finally {
        redis.child.kill('SIGCONT');
      }
      try {
        await live.waitFor((e) => e.id === 'sent-while-frozen', 5_000);
      } finally {
        live.socket.close();
      }
      assert.ok(await eventually(async () => hears(a) && hears(b.server), 10_000) < Infinity, 'both nodes hear again once Redis answers');
      assert.deepEqual(await subscriberIds(redis.port), subscribers, 'a late answer is waited for, not taken for a dead connection (which would lose the event)');
      // Counted together again: node A's count includes the request made on B in between.
      const remaining = async (server: TestServer) => Number((await server.api.get('/api/v1/auth/me', admin)).headers.get('ratelimit-remaining'));
      const shared = await eventually(async () => {
        const before = await remaining(a);
        await remaining(b.server);
        return (await remaining(a)) === before - 2;
      }, 3_000);
      assert.ok(shared < Infinity, 'both nodes count in Redis again');
    });

    it('keeps serving, counting and delivering locally while Redis is down, and shares again once it is back', async () => {
      const operator = await a.api.createUser(admin, tenantId, 'outage.operator', 'OPERATOR');
      const onA = await connectLive(a, operator.token);
      const onB = await connectLive(b.server, operator.token);
      try {
        redis.child.kill('SIGKILL');
        await once(redis.child, 'exit');

        // Sign-in, reads, writes and the live feed of this node all go on.
        const signIn = await a.api.request('POST', '/api/v1/auth/login', { body: { username: 'outage.operator', password: PASSWORD }, headers: from(freshIp()) });
        assert.equal(signIn.status, 200, signIn.text);
        assert.equal((await a.api.get('/api/v1/auth/me', signIn.body.access_token)).status, 200);
        assert.equal((await b.server.api.post('/api/v1/tickets', { title: 'During the outage' }, operator.token)).status, 201);
        const alertId = await makeAlert(a, tenantId);
        assert.equal((await a.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {}, operator.token)).status, 200);
        await onA.waitFor((e) => e.type === 'alert.updated' && e.id === alertId, 2_000);
        // The throttle still counts (on each node alone).
        const ip = freshIp();
        for (let i = 0; i < 5; i++) {
          const wrong = await a.api.request('POST', '/api/v1/auth/login', { body: { username: 'outage.operator', password: 'wrong-password' }, headers: from(ip) });
          assert.equal(wrong.status, 401);
        }
        assert.equal((await a.api.request('POST', '/api/v1/auth/login', { body: { username: 'outage.operator', password: PASSWORD }, headers: from(ip) })).status, 429);

        // Redis comes back on the same port: events cross nodes again once both reconnected.
        redis = await startRedis(redis.port);
        const crossed = await eventually(async () => {
          const id = await makeAlert(a, tenantId);
          await a.api.post(`/api/v1/alerts/${id}/acknowledge`, {}, operator.token);
          return onB.waitFor((e) => e.id === id, 300).then(() => true, () => false);
        }, 15_000);
        assert.ok(crossed < Infinity, 'events reach the other node again after Redis restarted');
      } finally {
        onA.socket.close();
        onB.socket.close();
      }
    });
  });
}

for (const dialect of dialects()) {
  describe(`two sentinel serve processes sharing Redis (${dialect})`, { skip: REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, () => {
    let dataDir: string;
    let dropDatabase: (() => Promise<void>) | undefined;
    const nodes: { child: ChildProcess; api: ApiClient }[] = [];

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-redis-'));
      const env: Record<string, string> = { SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD, REDIS_URL: REDIS_URL! };
      if (dialect === 'postgres') {
        const database = await createPostgresDatabase();
        env.DATABASE_URL = database.url;
        dropDatabase = database.drop;
      }
      // One after the other: the first creates the schema and the administrator.
      for (let i = 0; i < 2; i++) nodes.push(await startServerProcess(env));
    });
    after(async () => {
      for (const { child } of nodes) if (child.exitCode === null) child.kill('SIGKILL');
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('ends a session on the other process within the bound, and both stop cleanly with their Redis connections', async () => {
      const [first, second] = nodes as [typeof nodes[0], typeof nodes[0]];
      const admin = await first.api.adminToken();
      const tenant = await first.api.createTenant(admin, 'Processes');
      const user = await first.api.createUser(admin, tenant.id, 'processes.viewer', 'VIEWER');
      assert.equal((await second.api.get('/api/v1/auth/me', user.token)).status, 200);
      assert.equal((await first.api.post('/api/v1/auth/logout', undefined, user.token)).status, 204);
      const elapsed = await eventually(async () => (await second.api.get('/api/v1/auth/me', user.token)).status === 401, 3_000);
      assert.ok(elapsed <= INVALIDATION_BOUND_MS, `refused on the other process after ${elapsed} ms`);

      for (const { child } of nodes) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        assert.deepEqual(await exited, [0, null], 'a clean exit: nothing (such as a Redis connection) keeps it alive');
      }
    });
  });
}

describe('Redis outages in the log', { skip: REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, () => {
  it('logs each outage once and its end, whichever connection noticed it', async () => {
    let redis = await startRedis();
    const lines: string[] = [];
    const state = createRedisSharedState(`redis://127.0.0.1:${redis.port}`, {
      warn: (_details, message) => lines.push(`warn ${message}`),
      info: (_details, message) => lines.push(`info ${message}`),
    });
    const channel = state.broadcast('outages');
    channel.receive(() => undefined);
    const logged = (level: string, count: number) => eventually(async () => lines.filter((line) => line.startsWith(level)).length >= count, 10_000);
    try {
      assert.ok(await eventually(async () => channel.deliveryEpoch() !== undefined, 5_000) < Infinity, 'subscribed');
      // Frozen: only the subscriber's PING notices; the command connection stays open throughout.
      redis.child.kill('SIGSTOP');
      assert.ok(await logged('warn', 1) < Infinity, 'the silent outage is logged');
      redis.child.kill('SIGCONT');
      assert.ok(await logged('info', 1) < Infinity, 'and its end, once the subscriber is back');
      // The next outage is logged again.
      redis.child.kill('SIGKILL');
      await once(redis.child, 'exit');
      assert.ok(await logged('warn', 2) < Infinity, `the next outage is logged too: ${lines.join(' | ')}`);
      redis = await startRedis(redis.port);
      assert.ok(await logged('info', 2) < Infinity, 'and its end');
      assert.equal(lines.length, 4, lines.join(' | '));
    } finally {
      await state.close();
      redis.child.kill('SIGKILL');
    }
  });

  it('connects its subscriber again when a PING stays unanswered for 10 s', async () => {
    const redis = await startRedis();
    const state = createRedisSharedState(`redis://127.0.0.1:${redis.port}`, { warn: () => undefined, info: () => undefined });
    const channel = state.broadcast('dead-subscriber');
    channel.receive(() => undefined);
    try {
      assert.ok(await eventually(async () => channel.deliveryEpoch() !== undefined, 5_000) < Infinity, 'subscribed');
      const before = await subscriberIds(redis.port);
      redis.child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      redis.child.kill('SIGCONT');
      assert.ok(await eventually(async () => channel.deliveryEpoch() !== undefined, 10_000) < Infinity, 'hears again');
      const after = await subscriberIds(redis.port);
      assert.equal(after.length, 1, 'one subscriber');
      assert.notDeepEqual(after, before, 'a new connection');
    } finally {
      await state.close();
      redis.child.kill('SIGKILL');
    }
  });
});

/** The ids of Sentinel's subscriber connections on the Redis at `port`. */
async function subscriberIds(port: number): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const client = new Redis(port, '127.0.0.1');
  try {
    const clients = (await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string).split('\n');
    return clients.filter((line) => / name=sentinel-sub-/.test(line)).map((line) => /^id=(\d+)/.exec(line)![1]!).sort();
  } finally {
    client.disconnect();
  }
}

/** A throwaway redis-server without persistence on a free loopback port (or the given one). */
async function startRedis(port?: number): Promise<{ port: number; child: ChildProcess }> {
  if (port === undefined) {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    port = (probe.address() as AddressInfo).port;
    probe.close();
  }
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const ready = await eventually(() => new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  }), 5_000);
  if (ready === Infinity) throw new Error(`redis-server did not start on port ${port}`);
  return { port, child };
}
