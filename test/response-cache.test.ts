import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { pgDataVersions, sqliteDataVersions } from '../src/platform/db/data-versions.ts';
import { registerResponseCache } from '../src/platform/http/response-cache.ts';
import { newId } from '../src/platform/ids.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';
import { setupTenants } from './helpers/suite.ts';

/** The response cache's lookup counters from /metrics. */
async function lookups(server: TestServer): Promise<{ hit: number; miss: number; bypass: number }> {
  const text = (await server.api.get('/metrics')).text;
  const count = (result: string) => Number(new RegExp(`sentinel_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss'), bypass: count('bypass') };
}

/** A connection of its own to the server's database: how the sync worker, another node or a client's own writer writes. */
interface OtherConnection {
  run(text: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** SQLite's `?` placeholders as PostgreSQL's `$1…`. */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

async function otherConnectionTo(server: TestServer): Promise<OtherConnection> {
  if (server.db.dialect === 'sqlite') {
    const database = new DatabaseSync(path.join(server.config.dataDir, 'sentinel.db'));
    database.exec('PRAGMA busy_timeout = 5000');
    return { run: async (text, ...params) => void database.prepare(text).run(...(params as string[])), close: async () => database.close() };
  }
  const client = new pg.Client({ connectionString: server.config.databaseUrl });
  await client.connect();
  return {
    run: async (text, ...params) => void await client.query(numbered(text), params),
    close: () => client.end(),
  };
}

for (const dialect of dialects().filter((name) => name !== 'mysql')) describe(`response cache (${dialect})`, () => {
  let server: TestServer;
  let admin: string;
  let tenantA: string;
  let tenantB: string;
  let userA: { id: string; token: string };
  let userB: { id: string; token: string };
  let otherConnection: OtherConnection;

  const insertAlertSql = `INSERT INTO alerts (id, tenant_id, integration_id, system_id, external_id, title, description, severity, vendor_severity, source, asset, status,
      first_seen, last_seen, occurrences, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, created_at, updated_at)
      VALUES (?, ?, NULL, NULL, ?, ?, '', 'high', NULL, 'test', NULL, 'active', ?, ?, 1, NULL, NULL, NULL, NULL, NULL, ?, ?)`;
  async function insertAlert(tenantId: string, title: string, connection = otherConnection): Promise<string> {
    const id = newId();
    const now = Date.now();
    await connection.run(insertAlertSql, id, tenantId, id, title, now, now, now, now);
    return id;
  }

  before(async () => {
    server = await startServer(dialect, { SENTINEL_SYNC: 'off' });
    const tenants = await setupTenants(server, 'Cache', ['ADMIN']);
    ({ superAdmin: admin, a: { id: tenantA, admin: userA }, b: { id: tenantB, admin: userB } } = tenants);
    otherConnection = await otherConnectionTo(server);
  });
  after(async () => {
    await otherConnection.close();
    await server.close();
  });

  it('answers a repeated read from memory, byte for byte, and still audits it', async () => {
    await insertAlert(tenantA, 'Disk full on db-01');
    const before = await lookups(server);
    const first = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
    const second = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
    assert.equal(first.status, 200, first.text);
    assert.equal(second.status, 200);
    assert.equal(second.text, first.text);
    assert.equal(second.headers.get('content-type'), 'application/json; charset=utf-8');
    const afterReads = await lookups(server);
    assert.equal(afterReads.miss - before.miss, 1);
    assert.equal(afterReads.hit - before.hit, 1);
    const audit = await server.api.get('/api/v1/audit-logs?action=alert.list_active', userA.token);
    assert.equal(audit.body.items.length, 2, 'the cached read is audited like the first');
    assert.ok(audit.body.items.every((entry: { tenant_id: string }) => entry.tenant_id === tenantA));
  });

  it('a write through the API shows on the very next read', async () => {
    const url = '/api/v1/tickets?limit=50';
    assert.equal((await server.api.get(url, userA.token)).body.items.length, 0);
    assert.equal((await server.api.get(url, userA.token)).body.items.length, 0);
    const created = await server.api.post('/api/v1/tickets', { title: 'Investigate disk' }, userA.token);
    assert.equal(created.status, 201);
    const list = await server.api.get(url, userA.token);
    assert.deepEqual(list.body.items.map((t: { id: string }) => t.id), [created.body.id]);

    const alertId = await insertAlert(tenantA, 'CPU saturated');
    assert.equal((await server.api.get('/api/v1/alerts/active?limit=50', userA.token)).body.items[0].status, 'active');
    assert.equal((await server.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {}, userA.token)).status, 200);
    const open = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
    assert.equal(open.body.items.find((a: { id: string }) => a.id === alertId).status, 'acknowledged');
  });

  it('an alert page changes with the tickets linked to its alerts, not with every ticket filed', async () => {
    const url = '/api/v1/alerts/active?limit=50';
    const alertId = await insertAlert(tenantA, 'Needs a ticket');
    await server.api.get(url, userA.token);
    const before = await lookups(server);
    assert.equal((await server.api.post('/api/v1/tickets', { title: 'Unrelated chore' }, userA.token)).status, 201);
    assert.equal((await server.api.get(url, userA.token)).status, 200);
    assert.equal((await lookups(server)).hit - before.hit, 1, 'served from memory after a ticket about no alert');
    const ticket = await server.api.post('/api/v1/tickets', { title: 'About the alert', alert_id: alertId }, userA.token);
    assert.equal(ticket.status, 201, ticket.text);
    const linked = await server.api.get(url, userA.token);
    assert.equal(linked.body.items.find((alert: { id: string }) => alert.id === alertId).ticket_id, ticket.body.id);
    assert.equal((await server.api.patch(`/api/v1/tickets/${ticket.body.id}`, { alert_id: null }, userA.token)).status, 200);
    const unlinked = await server.api.get(url, userA.token);
    assert.equal(unlinked.body.items.find((alert: { id: string }) => alert.id === alertId).ticket_id, null);
  });

  it('a deleted user\'s name leaves the alert pages, a platform user\'s on every tenant\'s', async () => {
    const url = '/api/v1/alerts?limit=50';
    const username = async (id: string) => (await server.api.get(url, userA.token)).body.items.find((alert: { id: string }) => alert.id === id).acknowledged_by_username;
    const operator = await server.api.createUser(admin, tenantA, 'cache.operator.a', 'OPERATOR');
    const byOperator = await insertAlert(tenantA, 'Acknowledged by a tenant user');
    assert.equal((await server.api.post(`/api/v1/alerts/${byOperator}/acknowledge`, {}, operator.token)).status, 200);
    assert.equal(await username(byOperator), 'cache.operator.a');
    assert.equal((await server.api.delete(`/api/v1/users/${operator.id}`, admin)).status, 204);
    assert.equal(await username(byOperator), null);

    // A platform user (no tenant) can act on any tenant; it is made and deleted by the database's other writers here.
    const platformUser = newId();
    const now = Date.now();
    await otherConnection.run(`INSERT INTO users (id, tenant_id, username, role, permissions, password_hash, is_active, created_at, updated_at)
      VALUES (?, NULL, 'cache.platform', 'SUPER_ADMIN', '[]', 'not-a-hash', 1, ?, ?)`, platformUser, now, now);
    const byPlatform = await insertAlert(tenantA, 'Acknowledged by a platform user');
    await otherConnection.run(`UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? WHERE id = ?`, platformUser, now, byPlatform);
    assert.equal(await username(byPlatform), 'cache.platform');
    const before = await lookups(server);
    assert.equal(await username(byPlatform), 'cache.platform');
    assert.equal((await lookups(server)).hit - before.hit, 1);
    await otherConnection.run('DELETE FROM users WHERE id = ?', platformUser);
    assert.equal(await username(byPlatform), null);
  });

  it('a refused transition or an alert\'s existing ticket changes nothing, so the alert pages stay cached', async () => {
    const url = '/api/v1/alerts/active?limit=50';
    const id = await insertAlert(tenantA, 'Already handled');
    assert.equal((await server.api.post(`/api/v1/alerts/${id}/acknowledge`, {}, userA.token)).status, 200);
    assert.equal((await server.api.post(`/api/v1/alerts/${id}/ticket`, {}, userA.token)).status, 201);
    await server.api.get(url, userA.token);
    const before = await lookups(server);
    assert.equal((await server.api.post(`/api/v1/alerts/${id}/acknowledge`, {}, userA.token)).status, 409);
    assert.equal((await server.api.post(`/api/v1/alerts/bulk`, { action: 'acknowledge', ids: [id] }, userA.token)).status, 200);
    assert.equal((await server.api.post(`/api/v1/alerts/${id}/ticket`, {}, userA.token)).status, 200);
    assert.equal((await server.api.get(url, userA.token)).status, 200);
    assert.equal((await lookups(server)).hit - before.hit, 1, 'served from memory');
  });

  it('a write from another connection (the sync worker, another process) shows on the next read', async () => {
    const url = '/api/v1/alerts?limit=50';
    const before = (await server.api.get(url, userA.token)).body.items.length;
    assert.equal((await server.api.get(url, userA.token)).body.items.length, before);
    const id = await insertAlert(tenantA, 'Link down');
    const list = await server.api.get(url, userA.token);
    assert.equal(list.body.items.length, before + 1);
    assert.equal(list.body.items[0].id, id);
    await otherConnection.run('DELETE FROM alerts WHERE id = ?', id);
    assert.equal((await server.api.get(url, userA.token)).body.items.length, before);
    await otherConnection.run(`UPDATE alerts SET title = 'Renamed' WHERE tenant_id = ?`, tenantA);
    assert.ok((await server.api.get(url, userA.token)).body.items.every((a: { title: string }) => a.title === 'Renamed'));
  });

  it('each tenant gets its own page for the same URL, and another tenant\'s writes do not touch it', async () => {
    await insertAlert(tenantB, 'Only in B');
    for (let round = 0; round < 2; round++) {
      const a = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
      const b = await server.api.get('/api/v1/alerts/active?limit=50', userB.token);
      assert.ok(a.body.items.length > 0 && b.body.items.length === 1);
      assert.ok(!a.body.items.some((alert: { title: string }) => alert.title === 'Only in B'));
      assert.equal(b.body.items[0].title, 'Only in B');
    }
    const versions = server.db.dataVersions!;
    const current = async (resources: string[]) => (await versions.check(tenantA, resources, undefined))!.current;
    const [alertsVersion, otherVersion] = [await current(['alerts']), await current(['systems', 'tickets'])];
    await insertAlert(tenantB, 'Another in B');
    assert.equal((await versions.check(tenantA, ['alerts'], alertsVersion))?.unchanged, true, 'another tenant\'s write leaves the version alone');
    await insertAlert(tenantA, 'Another in A');
    assert.equal((await versions.check(tenantA, ['systems', 'tickets'], otherVersion))?.unchanged, true, 'as does a write to another resource');
    assert.equal((await versions.check(tenantA, ['alerts'], alertsVersion))?.unchanged, false);
  });

  // PostgreSQL's case: a version is a snapshot, and this write is in progress when it is taken (on SQLite the open write would hold the file's lock).
  if (dialect === 'postgres') it('a write that began before a page was stored and commits after it shows on the next read', async () => {
    const url = '/api/v1/alerts?limit=50';
    const writer = await otherConnectionTo(server);
    try {
      await writer.run('BEGIN');
      const id = await insertAlert(tenantA, 'Slow commit', writer);
      // A later transaction commits first, so snapshots list the slow one as in progress below their xmax.
      await insertAlert(tenantB, 'Committed meanwhile');
      const before = await server.api.get(url, userA.token);
      assert.ok(!before.body.items.some((alert: { id: string }) => alert.id === id));
      assert.equal((await server.api.get(url, userA.token)).text, before.text, 'stored and served without the uncommitted alert');
      await writer.run('COMMIT');
      const after = await server.api.get(url, userA.token);
      assert.equal(after.body.items[0].id, id);
      // A rolled-back write changes nothing that was read, and the page is served from memory again.
      await writer.run('BEGIN');
      await insertAlert(tenantA, 'Rolled back', writer);
      await writer.run('ROLLBACK');
      const misses = (await lookups(server)).miss;
      assert.equal((await server.api.get(url, userA.token)).text, after.text);
      assert.equal((await lookups(server)).miss, misses, 'a rolled-back transaction is never seen as a change');
    } finally {
      await writer.close();
    }
  });

  it('reads no version inside the request\'s open transaction', async () => {
    const check = await server.db.transaction(async () => server.db.dataVersions!.check(tenantA, ['alerts'], undefined));
    assert.equal(check, undefined);
  });

  it('authentication, permissions and validation still come first', async () => {
    const url = '/api/v1/systems/status';
    const viewer = await server.api.createUser(admin, tenantA, 'cache.viewer.a', 'VIEWER');
    assert.equal((await server.api.get(url, viewer.token)).status, 200);
    assert.equal((await server.api.get(url, viewer.token)).status, 200);
    assert.equal((await server.api.get(url)).status, 401);
    assert.equal((await server.api.get('/api/v1/tickets?limit=0', viewer.token)).status, 400);
    assert.equal((await server.api.patch(`/api/v1/users/${viewer.id}`, { is_active: false }, userA.token)).status, 200);
    assert.equal((await server.api.get(url, viewer.token)).status, 401);
  });

  it('keys on the validated query: spellings of one request share an entry, one-off reads are not stored', async () => {
    await server.api.get('/api/v1/alerts/active?limit=20&severity=high', userA.token);
    const before = await lookups(server);
    const variants = ['/api/v1/alerts/active?severity=high&limit=20', `/api/v1/alerts/active?limit=20&severity=high&tenant_id=${tenantB}`, `/api/v1/alerts/active?limit=20&severity=high&tenant_id=${newId()}`];
    for (const url of variants) {
      const response = await server.api.get(url, userA.token);
      assert.equal(response.status, 200, response.text);
      assert.ok(response.body.items.length > 0, url);
      assert.ok(response.body.items.every((alert: { title: string }) => alert.title !== 'Only in B'));
    }
    const afterVariants = await lookups(server);
    assert.equal(afterVariants.hit - before.hit, variants.length);
    assert.equal(afterVariants.miss, before.miss);
    const page = await server.api.get('/api/v1/alerts/active?limit=1', userA.token);
    const oneOff = [`/api/v1/alerts/active?since=${new Date(0).toISOString()}`, `/api/v1/alerts/active?limit=1&cursor=${page.body.next_cursor}`, '/api/v1/tickets?q=disk'];
    for (const url of [...oneOff, ...oneOff]) assert.equal((await server.api.get(url, userA.token)).status, 200);
    const afterOneOff = await lookups(server);
    assert.equal(afterOneOff.hit, afterVariants.hit);
    assert.equal(afterOneOff.miss, afterVariants.miss + 1, 'only the limit=1 page was looked up');
  });

  it('a SUPER_ADMIN naming a tenant is never served from the cache', async () => {
    const before = await lookups(server);
    for (let i = 0; i < 2; i++) assert.equal((await server.api.get(`/api/v1/alerts/active?tenant_id=${tenantA}`, admin)).status, 200);
    const afterReads = await lookups(server);
    assert.deepEqual(afterReads, before);
  });

  if (dialect === 'postgres') it('a TRUNCATE counts as a change for every tenant', async () => {
    const versions = server.db.dataVersions!;
    // A tenant with no tickets: the rows put back below record nothing for it, only the TRUNCATE can.
    const tenantC = (await server.api.createTenant(admin, 'Cache C')).id;
    const version = (await versions.check(tenantC, ['tickets'], undefined))!.current;
    assert.equal((await versions.check(tenantC, ['tickets'], version))?.unchanged, true);
    await otherConnection.run('BEGIN');
    await otherConnection.run('CREATE TEMP TABLE kept_tickets ON COMMIT DROP AS SELECT * FROM tickets');
    await otherConnection.run('CREATE TEMP TABLE kept_comments ON COMMIT DROP AS SELECT * FROM ticket_comments');
    await otherConnection.run('TRUNCATE tickets CASCADE');
    await otherConnection.run('INSERT INTO tickets SELECT * FROM kept_tickets');
    await otherConnection.run('INSERT INTO ticket_comments SELECT * FROM kept_comments');
    await otherConnection.run('COMMIT');
    assert.equal((await versions.check(tenantC, ['tickets'], version))?.unchanged, false);
  });

  if (dialect === 'postgres') it('checks asked for at once share a statement, and each gets its own tenant\'s and resources\' answer', async () => {
    const versions = server.db.dataVersions!;
    const [alertsA, alertsB, ticketsB] = await Promise.all([
      versions.check(tenantA, ['alerts'], undefined), versions.check(tenantB, ['alerts'], undefined), versions.check(tenantB, ['tickets'], undefined),
    ]);
    assert.equal(alertsA!.current, alertsB!.current, 'one statement, one snapshot');
    await insertAlert(tenantB, 'Changes only B\'s alerts');
    const answers = await Promise.all([
      versions.check(tenantA, ['alerts'], alertsA!.current), versions.check(tenantB, ['alerts'], alertsB!.current),
      versions.check(tenantB, ['tickets'], ticketsB!.current), versions.check(tenantA, ['tickets', 'alerts'], undefined),
      versions.check(tenantB, ['systems', 'alerts'], ticketsB!.current),
    ]);
    assert.deepEqual(answers.map((answer) => answer!.unchanged), [true, false, true, false, false]);
  });

  if (dialect === 'postgres') it('a version from another server incarnation never holds: restarted, crashed (connections lost), or ids handed out again', async () => {
    let lost = 0;
    const versions = pgDataVersions(server.db.kysely, { inTransaction: () => false, connectionsLost: () => lost });
    const fresh = (await versions.check(tenantA, ['alerts'], undefined))!.current;
    assert.equal((await versions.check(tenantA, ['alerts'], fresh))?.unchanged, true);
    const [snapshot, incarnation] = [fresh.slice(0, fresh.lastIndexOf('@')), fresh.slice(fresh.lastIndexOf('@') + 1)];
    const [started] = incarnation.split('/');
    assert.equal((await versions.check(tenantA, ['alerts'], `${snapshot}@${Number(started) - 60}/0`))?.unchanged, false, 'another start time');
    const [xmin, xmax] = snapshot.split(':');
    assert.equal((await versions.check(tenantA, ['alerts'], `${xmin}:${BigInt(xmax!) + 1000n}:@${incarnation}`))?.unchanged, false, 'a snapshot ahead of the server');
    lost += 1;
    assert.equal((await versions.check(tenantA, ['alerts'], fresh))?.unchanged, false, 'a connection died since');
  });

  if (dialect === 'postgres') it('records the writes of another database role that has no rights on the change records, whatever its temporary tables', async () => {
    const role = `sentinel_t_writer_${process.pid}`;
    await otherConnection.run(`CREATE ROLE ${role} LOGIN PASSWORD 'writer'`);
    try {
      await otherConnection.run(`GRANT INSERT ON alerts TO ${role}`);
      const url = new URL(server.config.databaseUrl!);
      [url.username, url.password] = [role, 'writer'];
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const page = '/api/v1/alerts?limit=50';
        await server.api.get(page, userA.token);
        // A temporary table of the same name must not catch the records (the functions run as their owner).
        await client.query('CREATE TEMP TABLE data_changes (tenant_id TEXT, resource TEXT, xid XID8 DEFAULT pg_current_xact_id(), PRIMARY KEY (tenant_id, resource, xid))');
        const id = newId();
        const now = Date.now();
        await client.query(numbered(insertAlertSql), [id, tenantA, id, 'From another role', now, now, now, now]);
        assert.equal((await server.api.get(page, userA.token)).body.items[0].id, id);
        assert.equal((await client.query('SELECT count(*)::int AS n FROM pg_temp.data_changes')).rows[0].n, 0);
      } finally {
        await client.end();
      }
    } finally {
      await otherConnection.run(`REVOKE ALL ON alerts FROM ${role}`);
      await otherConnection.run(`DROP ROLE ${role}`);
    }
  });

  if (dialect === 'postgres') it('compaction keeps every record a version younger than its maximum age may need', async () => {
    let clock = 0;
    const versions = pgDataVersions(server.db.kysely, { inTransaction: () => false, connectionsLost: () => 0, now: () => clock });
    const horizonPassed = async () => {
      clock += 2 * versions.maxAgeMs! + 1;
      await versions.compact!();
    };
    const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM data_changes WHERE tenant_id = ${tenantA}`.execute(server.db.kysely)).rows[0]!.n);
    // A horizon is the cluster's oldest running transaction: another suite's open transaction holds it
    // back, so records go once the horizons pass them, which may take a few rounds.
    const deletedWithin = async (rounds: number) => {
      for (let round = 0; round < rounds && (await count()) > 0; round++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await horizonPassed();
      }
      return count();
    };
    await versions.compact!();
    await horizonPassed();
    assert.equal(await deletedWithin(100), 0, 'every snapshot younger than the horizons saw the earlier writes: deleted');
    const version = (await versions.check(tenantA, ['alerts'], undefined))!.current;
    await insertAlert(tenantA, 'After the horizon');
    assert.equal(await count(), 1);
    await horizonPassed();
    assert.equal(await count(), 1, 'the write came after the only horizon old enough: kept');
    assert.equal((await versions.check(tenantA, ['alerts'], version))?.unchanged, false);
    assert.equal(await deletedWithin(100), 0);
  });

  if (dialect === 'sqlite') it('does not read a version inside an open transaction on its connection', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-versions-'));
    const database = new DatabaseSync(path.join(dir, 'v.db'));
    try {
      database.exec('CREATE TABLE data_versions (tenant_id TEXT, resource TEXT, version INTEGER, PRIMARY KEY (tenant_id, resource))');
      database.exec(`INSERT INTO data_versions VALUES ('t', 'alerts', 3), ('t', 'systems', 4), ('u', 'alerts', 9)`);
      const versions = sqliteDataVersions(database);
      const read = (tenantId: string, resources: string[]) => (versions.check(tenantId, resources, undefined) as { current: string } | undefined)?.current;
      assert.equal(read('t', ['alerts']), '3');
      assert.equal(read('t', ['alerts', 'systems']), '7');
      assert.equal(read('nobody', ['alerts']), '0');
      database.exec('BEGIN');
      database.exec(`UPDATE data_versions SET version = 5 WHERE tenant_id = 't' AND resource = 'alerts'`);
      assert.equal(read('t', ['alerts']), undefined);
      database.exec('ROLLBACK');
      assert.equal(read('t', ['alerts']), '3');
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('response cache: off', () => {
  for (const dialect of dialects()) {
    it(`is off with SENTINEL_RESPONSE_CACHE_MB=0, and on MySQL (${dialect})`, async () => {
      const server = await startServer(dialect, { SENTINEL_SYNC: 'off', ...(dialect === 'mysql' ? {} : { SENTINEL_RESPONSE_CACHE_MB: '0' }) });
      try {
        const admin = await server.api.adminToken();
        const tenant = (await server.api.createTenant(admin, 'No cache')).id;
        const user = await server.api.createUser(admin, tenant, 'nocache.admin', 'ADMIN');
        for (let i = 0; i < 2; i++) assert.equal((await server.api.get('/api/v1/tickets', user.token)).status, 200);
        assert.doesNotMatch((await server.api.get('/metrics')).text, /sentinel_response_cache_lookups_total/);
      } finally {
        await server.close();
      }
    });
  }
});

describe('response cache: cached routes', () => {
  it('must act on one tenant and name at least one declared resource, or the app does not start', async () => {
    const route = (config: Record<string, unknown>) => async () => {
      const app = Fastify();
      registerResponseCache(app, { resources: new Set(['alerts']), maxBytes: 1_000_000, dataVersions: undefined, registry: new Registry() });
      app.get('/page', { config }, async () => ({}));
      try {
        await app.ready();
      } finally {
        await app.close();
      }
    };
    await route({ tenant: 'required', cache: ['alerts'] })();
    await assert.rejects(route({ tenant: 'required', cache: [] }), /must name the resources its page shows/);
    await assert.rejects(route({ tenant: 'required', cache: ['tickets'] }), /no module declares the cached resource tickets/);
    await assert.rejects(route({ cache: ['alerts'] }), /must declare config.tenant 'required'/);
  });
});
