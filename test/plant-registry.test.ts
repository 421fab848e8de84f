import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { PLANT_MIGRATIONS } from '../src/migrations/plant/index.ts';
import {
  PlantRegistryError,
  createPlantRegistry,
  type PlantDb,
  type PlantRegistry,
  type PlantRegistryOptions,
  type PlantSource,
} from '../src/platform/db/plant-registry.ts';
import { createPostgresDatabase } from './helpers/harness.ts';

interface Fixture {
  registry: PlantRegistry;
  dataDir: string;
  metrics: Registry;
  /** Tenants in the order resolveSource was asked about them: one entry per opening. */
  resolved: string[];
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

const fixtures: Fixture[] = [];

function setup(overrides: Partial<PlantRegistryOptions> = {}, sources: Record<string, PlantSource> = {}): Fixture {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-plant-'));
  const metrics = new Registry();
  const resolved: string[] = [];
  const registry = createPlantRegistry({
    dataDir,
    maxOpen: 10,
    idleMs: 60_000,
    migrations: PLANT_MIGRATIONS,
    metrics,
    async resolveSource(tenantId) {
      resolved.push(tenantId);
      await sleep(10); // a secret-store round trip: concurrent gets overlap it
      return sources[tenantId] ?? { mode: 'embedded' };
    },
    ...overrides,
  });
  const fixture: Fixture = {
    registry, dataDir, metrics, resolved,
    async metric(name, labels = {}) {
      const values = (await metrics.getSingleMetric(name)!.get()).values;
      return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    },
  };
  fixtures.push(fixture);
  return fixture;
}

after(async () => {
  for (const fixture of fixtures) {
    await fixture.registry.close();
    rmSync(fixture.dataDir, { recursive: true, force: true });
  }
});

/** True while the lease's connection still answers. */
async function answers(db: PlantDb): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: PlantRegistryError['kind']): Promise<PlantRegistryError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected a ${kind} error`), (error: unknown) => (caught = error));
  assert.ok(caught instanceof PlantRegistryError, String(caught));
  assert.equal(caught.kind, kind);
  return caught;
}

describe('plant-database registry: embedded', () => {
  it('opens a migrated SQLite file under <dataDir>/tenants/<id>/ on first get, not before', async () => {
    const { registry, dataDir } = setup();
    const file = path.join(dataDir, 'tenants', 'tenant-a', 'plant.db');
    assert.equal(existsSync(file), false);
    const db = await registry.get('tenant-a');
    assert.equal(existsSync(file), true);
    assert.equal(db.mode, 'embedded');
    assert.equal(db.dialect, 'sqlite');
    await db.kysely.insertInto('sentinel_plant_meta').values({ key: 'k', value: 'v' }).execute();
    assert.deepEqual(await db.kysely.selectFrom('sentinel_plant_meta').selectAll().execute(), [{ key: 'k', value: 'v' }]);
    const ran = await sql<{ name: string }>`SELECT name FROM sentinel_plant_migration`.execute(db.kysely);
    assert.deepEqual(ran.rows.map((r) => r.name), ['0001_plant_meta', '0002_plant_structure', '0003_production_state']);
    const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db.kysely);
    assert.equal(journal.rows[0]!.journal_mode, 'wal');
    db.release();
  });

  it('shares one opening between concurrent gets of a tenant', async () => {
    const { registry, resolved, metric } = setup();
    const leases = await Promise.all(Array.from({ length: 5 }, () => registry.get('tenant-b')));
    assert.deepEqual(resolved, ['tenant-b']);
    assert.equal(await metric('sentinel_plant_db_opens_total'), 1);
    assert.ok(leases.every((lease) => lease.kysely === leases[0]!.kysely));
    for (const lease of leases) lease.release();
  });

  it('closes a handle left idle for idleMs, never one that is leased', async () => {
    const { registry, resolved, metric } = setup({ idleMs: 40 });
    const idle = await registry.get('idle');
    idle.release();
    idle.release(); // a second release is harmless
    const held = await registry.get('held');
    await sleep(150);
    assert.equal(await answers(idle), false);
    assert.equal(await answers(held), true);
    assert.equal(await metric('sentinel_plant_db_open_handles'), 1);
    assert.equal(await metric('sentinel_plant_db_closes_total', { reason: 'idle' }), 1);
    held.release();
    const again = await registry.get('idle');
    assert.equal(await answers(again), true);
    assert.deepEqual(resolved, ['idle', 'held', 'idle']);
    again.release();
  });

  it('makes room by closing the least recently used idle handle', async () => {
    const { registry, resolved } = setup({ maxOpen: 2 });
    await registry.use('a', async () => undefined);
    await registry.use('b', async () => undefined);
    await registry.use('a', async () => undefined); // a is now more recent than b
    const c = await registry.get('c');
    assert.deepEqual(resolved, ['a', 'b', 'c']);
    await registry.use('a', async () => undefined); // still open
    assert.deepEqual(resolved, ['a', 'b', 'c']);
    await registry.use('b', async () => undefined); // was evicted: opens again, evicting a (c is leased)
    assert.deepEqual(resolved, ['a', 'b', 'c', 'b']);
    assert.equal(await answers(c), true);
    c.release();
  });

  it('never closes a leased handle to make room: a get waits for a release, or gives up', async () => {
    const { registry, resolved } = setup({ maxOpen: 2, acquireTimeoutMs: 300 });
    const a = await registry.get('a');
    const b = await registry.get('b');
    await rejectsWith(registry.get('c'), 'busy');
    assert.equal(await answers(a), true);
    assert.equal(await answers(b), true);

    const waiting = registry.get('c');
    await sleep(50);
    assert.deepEqual(resolved, ['a', 'b']);
    a.release();
    const c = await waiting;
    assert.equal(await answers(c), true);
    assert.equal(await answers(a), false); // a was the idle one
    assert.equal(await answers(b), true);
    b.release();
    c.release();
  });

  it('invalidate closes an idle handle now and a leased one at its last release', async () => {
    const { registry, resolved } = setup();
    const idle = await registry.get('idle');
    idle.release();
    await registry.invalidate('idle');
    assert.equal(await answers(idle), false);

    const held = await registry.get('held');
    await registry.invalidate('held');
    assert.equal(await answers(held), true);
    const fresh = await registry.get('held');
    assert.notEqual(fresh.kysely, held.kysely);
    held.release();
    await sleep(10);
    assert.equal(await answers(held), false);
    assert.equal(await answers(fresh), true);
    fresh.release();
    await registry.invalidate('never-opened');
    assert.deepEqual(resolved, ['idle', 'held', 'held']);
  });

  it('close closes every handle, fails waiting gets and refuses later ones', async () => {
    const { registry, metric } = setup({ maxOpen: 1 });
    const held = await registry.get('held');
    const waiting = registry.get('other');
    await registry.close();
    await rejectsWith(waiting, 'closed');
    assert.equal(await answers(held), false);
    assert.equal(await metric('sentinel_plant_db_open_handles'), 0);
    await rejectsWith(registry.get('held'), 'closed');
    held.release();
  });

  it('does not keep a failed opening: the next get tries again', async () => {
    let calls = 0;
    const { registry } = setup({
      async resolveSource() {
        calls++;
        if (calls === 1) throw new Error('secret store unavailable');
        return { mode: 'embedded' };
      },
    });
    await assert.rejects(Promise.all([registry.get('t'), registry.get('t')]), /secret store unavailable/);
    assert.equal(calls, 1);
    const db = await registry.get('t');
    assert.equal(await answers(db), true);
    db.release();
  });

  it('refuses a tenant id that is not a safe directory name, before anything is resolved or created', async () => {
    const { registry, resolved, dataDir } = setup();
    for (const id of ['', '.', '..', '../escape', 'a/b', 'a\\b', '.hidden', 'a b', 'a\0b', '%2e%2e', 'é', 'x'.repeat(129)]) {
      const error = await rejectsWith(registry.get(id), 'invalid_tenant_id');
      assert.match(error.message, /tenant id/);
    }
    assert.deepEqual(resolved, []);
    assert.deepEqual(readdirSync(dataDir), []);
    const longest = await registry.get('x'.repeat(128));
    longest.release();
  });

  it('rejects external sources it cannot open without echoing their URL', async () => {
    const { registry } = setup({}, {
      broken: { mode: 'external', url: 'not a url s3cret-pass' },
      ftp: { mode: 'external', url: 'ftp://plant:s3cret-pass@db.example/plant' },
    });
    for (const [tenant, kind] of [['broken', 'invalid_source'], ['ftp', 'unsupported_source']] as const) {
      const error = await rejectsWith(registry.get(tenant), kind);
      assert.doesNotMatch(`${error.message} ${String(error.cause)}`, /s3cret/);
    }
  });

  it('opens MySQL and MariaDB sources lazily; an unreachable server fails the query, not the process', async () => {
    const { registry } = setup({}, {
      mysql: { mode: 'external', url: 'mysql://plant:s3cret-pass@127.0.0.1:1/plant' },
      mariadb: { mode: 'external', url: 'mariadb://plant:s3cret-pass@127.0.0.1:1/plant' },
    });
    for (const tenant of ['mysql', 'mariadb']) {
      const db = await registry.get(tenant);
      assert.equal(db.dialect, 'mysql');
      assert.equal(db.mode, 'external');
      let caught: unknown;
      await sql`SELECT 1`.execute(db.kysely).catch((error: unknown) => (caught = error));
      assert.ok(caught instanceof Error);
      assert.doesNotMatch(caught.message, /s3cret/);
      db.release();
    }
  });
});

describe('plant-database registry: external PostgreSQL', { skip: !process.env.TEST_DATABASE_URL }, () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let admin: pg.Client;

  before(async () => {
    database = await createPostgresDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('CREATE TABLE client_lines (id integer PRIMARY KEY, name text)');
  });
  after(async () => {
    await admin?.end();
    await database?.drop();
  });

  /** Ends a backend from another connection and waits until the server has let it go. */
  async function terminate(pid: number): Promise<void> {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount! > 0) await sleep(10);
    await sleep(50); // the client's socket sees the close
  }

  const backendPid = async (db: PlantDb) => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db.kysely)).rows[0]!.pid;

  it('opens a pool without altering the client database unless a preparation hook is given', async () => {
    const { registry } = setup({}, { plain: { mode: 'external', url: database.url } });
    const db = await registry.get('plain');
    assert.equal(db.mode, 'external');
    assert.equal(db.dialect, 'postgres');
    const tables = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`.execute(db.kysely);
    assert.deepEqual(tables.rows.map((r) => r.name), ['client_lines']);
    db.release();

    const prepared: string[] = [];
    const withHook = setup(
      { prepareExternal: async (_kysely, dialect) => void prepared.push(dialect) },
      { hooked: { mode: 'external', url: database.url } },
    );
    await Promise.all([withHook.registry.use('hooked', async () => undefined), withHook.registry.use('hooked', async () => undefined)]);
    assert.deepEqual(prepared, ['postgres']);
  });

  it('survives the server ending an idle pooled connection and answers on the next query', async () => {
    const { registry } = setup({}, { t: { mode: 'external', url: database.url } });
    const db = await registry.get('t');
    const pid = await backendPid(db);
    await terminate(pid);
    assert.notEqual(await backendPid(db), pid);
    db.release();
  });

  it('survives the server ending a checked-out connection: that query fails, the next one answers', async () => {
    const { registry } = setup({}, { t: { mode: 'external', url: database.url } });
    const db = await registry.get('t');
    let pid = 0;
    await assert.rejects(
      db.kysely.connection().execute(async (connection) => {
        pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(connection)).rows[0]!.pid;
        await terminate(pid);
        await sql`SELECT 1`.execute(connection);
      }),
    );
    assert.notEqual(await backendPid(db), pid);
    db.release();
  });
});
