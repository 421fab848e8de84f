import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { sqliteDataVersionReader } from '../src/platform/db/data-versions.ts';
import { newId } from '../src/platform/ids.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';
import { setupTenants } from './helpers/suite.ts';

/** The response cache's lookup counters from /metrics. */
async function lookups(server: TestServer): Promise<{ hit: number; miss: number; bypass: number }> {
  const text = (await server.api.get('/metrics')).text;
  const count = (result: string) => Number(new RegExp(`sentinel_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss'), bypass: count('bypass') };
}

describe('response cache (sqlite)', () => {
  let server: TestServer;
  let admin: string;
  let tenantA: string;
  let tenantB: string;
  let userA: { id: string; token: string };
  let userB: { id: string; token: string };
  let otherConnection: DatabaseSync;

  function insertAlert(tenantId: string, title: string): string {
    const id = newId();
    const now = Date.now();
    otherConnection.prepare(`INSERT INTO alerts (id, tenant_id, integration_id, system_id, external_id, title, description, severity, vendor_severity, source, asset, status,
      first_seen, last_seen, occurrences, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, created_at, updated_at)
      VALUES (?, ?, NULL, NULL, ?, ?, '', 'high', NULL, 'test', NULL, 'active', ?, ?, 1, NULL, NULL, NULL, NULL, NULL, ?, ?)`)
      .run(id, tenantId, id, title, now, now, now, now);
    return id;
  }

  before(async () => {
    server = await startServer('sqlite', { SENTINEL_SYNC: 'off' });
    const tenants = await setupTenants(server, 'Cache', ['ADMIN']);
    ({ superAdmin: admin, a: { id: tenantA, admin: userA }, b: { id: tenantB, admin: userB } } = tenants);
    // Another connection to the same file: how the sync worker and other processes write.
    otherConnection = new DatabaseSync(path.join(server.config.dataDir, 'sentinel.db'));
    otherConnection.exec('PRAGMA busy_timeout = 5000');
  });
  after(async () => {
    otherConnection.close();
    await server.close();
  });

  it('answers a repeated read from memory, byte for byte, and still audits it', async () => {
    insertAlert(tenantA, 'Disk full on db-01');
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

    const alertId = insertAlert(tenantA, 'CPU saturated');
    assert.equal((await server.api.get('/api/v1/alerts/active?limit=50', userA.token)).body.items[0].status, 'active');
    assert.equal((await server.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {}, userA.token)).status, 200);
    const open = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
    assert.equal(open.body.items.find((a: { id: string }) => a.id === alertId).status, 'acknowledged');
  });

  it('a write from another connection (the sync worker, another process) shows on the next read', async () => {
    const url = '/api/v1/alerts?limit=50';
    const before = (await server.api.get(url, userA.token)).body.items.length;
    assert.equal((await server.api.get(url, userA.token)).body.items.length, before);
    const id = insertAlert(tenantA, 'Link down');
    const list = await server.api.get(url, userA.token);
    assert.equal(list.body.items.length, before + 1);
    assert.equal(list.body.items[0].id, id);
    otherConnection.prepare('DELETE FROM alerts WHERE id = ?').run(id);
    assert.equal((await server.api.get(url, userA.token)).body.items.length, before);
    otherConnection.prepare(`UPDATE alerts SET title = 'Renamed' WHERE tenant_id = ?`).run(tenantA);
    assert.ok((await server.api.get(url, userA.token)).body.items.every((a: { title: string }) => a.title === 'Renamed'));
  });

  it('each tenant gets its own page for the same URL, and another tenant\'s writes do not touch it', async () => {
    insertAlert(tenantB, 'Only in B');
    for (let round = 0; round < 2; round++) {
      const a = await server.api.get('/api/v1/alerts/active?limit=50', userA.token);
      const b = await server.api.get('/api/v1/alerts/active?limit=50', userB.token);
      assert.ok(a.body.items.length > 0 && b.body.items.length === 1);
      assert.ok(!a.body.items.some((alert: { title: string }) => alert.title === 'Only in B'));
      assert.equal(b.body.items[0].title, 'Only in B');
    }
    const versions = sqliteDataVersionReader(otherConnection);
    const versionA = versions(tenantA, ['alerts']);
    insertAlert(tenantB, 'Another in B');
    assert.equal(versions(tenantA, ['alerts']), versionA);
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

  it('does not read a version inside an open transaction on its connection', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-versions-'));
    const database = new DatabaseSync(path.join(dir, 'v.db'));
    try {
      database.exec('CREATE TABLE data_versions (tenant_id TEXT, resource TEXT, version INTEGER, PRIMARY KEY (tenant_id, resource))');
      database.exec(`INSERT INTO data_versions VALUES ('t', 'alerts', 3), ('t', 'systems', 4), ('u', 'alerts', 9)`);
      const read = sqliteDataVersionReader(database);
      assert.equal(read('t', ['alerts']), 3);
      assert.equal(read('t', ['alerts', 'systems']), 7);
      assert.equal(read('nobody', ['alerts']), 0);
      database.exec('BEGIN');
      database.exec(`UPDATE data_versions SET version = 5 WHERE tenant_id = 't' AND resource = 'alerts'`);
      assert.equal(read('t', ['alerts']), undefined);
      database.exec('ROLLBACK');
      assert.equal(read('t', ['alerts']), 3);
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('response cache: off', () => {
  for (const dialect of dialects()) {
    it(`is off with SENTINEL_RESPONSE_CACHE_MB=0, and on PostgreSQL (${dialect})`, async () => {
      const server = await startServer(dialect, { SENTINEL_SYNC: 'off', ...(dialect === 'sqlite' ? { SENTINEL_RESPONSE_CACHE_MB: '0' } : {}) });
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
