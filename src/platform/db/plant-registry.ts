import { createRequire } from 'node:module';
import path from 'node:path';
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import type * as Mysql from 'mysql2';
import type * as Pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import { openSqliteFile } from './database.ts';
import { runMigrations, type DialectMigration, type MigrationTables } from './migrator.ts';
import { nodeSqliteDialect } from './node-sqlite-dialect.ts';

export type PlantDialect = 'sqlite' | 'postgres' | 'mysql';

/** Where a tenant's plant data lives: a SQLite file Sentinel owns, or the client's own database. */
export type PlantSource = { mode: 'embedded' } | { mode: 'external'; url: string };

/** The tables Sentinel owns in a plant database (all prefixed `sentinel_`). */
export interface PlantDatabase {
  sentinel_plant_meta: { key: string; value: string };
}

/** A lease on a tenant's plant database. Call `release()` when done; later calls do nothing. */
export interface PlantDb {
  readonly kysely: Kysely<PlantDatabase>;
  readonly dialect: PlantDialect;
  readonly mode: PlantSource['mode'];
  release(): void;
}

export interface PlantRegistryOptions {
  dataDir: string;
  /** Most handles open at once (in use or idle); idle ones are closed least recently used first to make room. */
  maxOpen: number;
  /** A handle nobody has leased for this long is closed. */
  idleMs: number;
  resolveSource(tenantId: string): Promise<PlantSource>;
  /** Applied to every embedded plant database when it opens. */
  migrations: Record<string, DialectMigration<PlantDialect>>;
  /** Runs on an external database when its handle opens. None by default: the client's database is not altered. */
  prepareExternal?: (kysely: Kysely<PlantDatabase>, dialect: PlantDialect) => Promise<void>;
  /** How long `get` waits for a slot when all `maxOpen` handles are leased (default 10 s). */
  acquireTimeoutMs?: number;
  /** Where to register the open-handles gauge and the opens/closes counters. */
  metrics?: Registry;
}

export interface PlantRegistry {
  /** Leases the tenant's plant database, opening (and migrating) it on first use. */
  get(tenantId: string): Promise<PlantDb>;
  /** Runs `fn` with a lease that is released when `fn` settles. */
  use<T>(tenantId: string, fn: (db: PlantDb) => Promise<T>): Promise<T>;
  /** Drops the tenant's handle (its source changed): closed now if idle, else at its last release. */
  invalidate(tenantId: string): Promise<void>;
  /** Closes every handle, leased or not; `get` rejects afterwards. */
  close(): Promise<void>;
}

export class PlantRegistryError extends Error {
  override name = 'PlantRegistryError';
  readonly kind: 'invalid_tenant_id' | 'invalid_source' | 'unsupported_source' | 'busy' | 'closed';

  constructor(kind: PlantRegistryError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The tenant id becomes a directory name: no dots, no separators, so no way out of `<dataDir>/tenants`. */
const SAFE_TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Plant migrations record themselves in `sentinel_`-prefixed tables, so a client database that
 * already uses Kysely's default `kysely_migration` never mixes with ours.
 */
export const PLANT_MIGRATION_TABLES: MigrationTables = {
  migrationTableName: 'sentinel_plant_migration',
  migrationLockTableName: 'sentinel_plant_migration_lock',
};

/** Per-tenant pools against client databases stay small: many tenants share one Sentinel. */
const EXTERNAL_POOL_MAX = 4;
const EXTERNAL_CONNECTION_IDLE_MS = 10_000;
const EXTERNAL_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;

/** Where a tenant's embedded plant database lives; it exists once the tenant's plant was first used. */
export function embeddedPlantFile(dataDir: string, tenantId: string): string {
  return path.join(dataDir, 'tenants', tenantId, 'plant.db');
}

interface OpenedDb {
  kysely: Kysely<PlantDatabase>;
  dialect: PlantDialect;
  mode: PlantSource['mode'];
}

type ExternalOpener = (url: string) => OpenedDb;

// The drivers are loaded when a plant database of theirs is first opened, not at start-up (~0.2 s of CPU).
const requireDriver = createRequire(import.meta.url);

function openPostgresPool(url: string): OpenedDb {
  const pg = requireDriver('pg') as typeof Pg;
  const pool = new pg.Pool({
    connectionString: url,
    max: EXTERNAL_POOL_MAX,
    idleTimeoutMillis: EXTERNAL_CONNECTION_IDLE_MS,
    connectionTimeoutMillis: EXTERNAL_CONNECT_TIMEOUT_MS,
    application_name: 'sentinel',
  });
  // A connection the server drops emits 'error': on the pool while idle, on the client while
  // checked out. Unheard, either ends the process; the query in flight still rejects for its caller
  // and the pool replaces the connection.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { kysely: new Kysely<PlantDatabase>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', mode: 'external' };
}

function openMysqlPool(url: string): OpenedDb {
  const mysql = requireDriver('mysql2') as typeof Mysql;
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: EXTERNAL_POOL_MAX,
    maxIdle: 0,
    idleTimeout: EXTERNAL_CONNECTION_IDLE_MS,
    connectTimeout: EXTERNAL_CONNECT_TIMEOUT_MS,
    // DATETIME values are UTC both ways, and big integer ids and sums arrive as exact strings.
    timezone: 'Z',
    charset: 'utf8mb4',
    supportBigNumbers: true,
  });
  // Same as PostgreSQL: a dropped connection emits 'error' on itself (the pool listens only once,
  // and a second emission would be unheard) and the query in flight rejects for its caller.
  pool.on('error', () => undefined);
  pool.on('connection', (connection) => connection.on('error', () => undefined));
  const dialect = new MysqlDialect({
    pool,
    // TIMESTAMP columns and NOW() follow the session time zone: UTC, like everything Sentinel stores.
    onCreateConnection: async (connection) => {
      await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
    },
  });
  return { kysely: new Kysely<PlantDatabase>({ dialect }), dialect: 'mysql', mode: 'external' };
}

/** External databases by URL scheme. */
const EXTERNAL_OPENERS: Record<string, ExternalOpener> = {
  'postgres:': openPostgresPool,
  'postgresql:': openPostgresPool,
  'mysql:': openMysqlPool,
  'mariadb:': openMysqlPool,
};

function openExternal(tenantId: string, url: string): OpenedDb {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    // Never the URL itself in the message: it carries the password.
    throw new PlantRegistryError('invalid_source', `the plant database URL of tenant ${tenantId} is not a valid URL`);
  }
  const opener = EXTERNAL_OPENERS[scheme];
  if (opener === undefined) throw new PlantRegistryError('unsupported_source', `plant databases of type ${scheme} are not supported`);
  return opener(url);
}

interface Handle {
  tenantId: string;
  ready: Promise<OpenedDb>;
  leases: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Out of the lookup map (invalidated): closes at its last release. */
  retired: boolean;
  closed: boolean;
}

interface Waiter {
  wake(): void;
  fail(error: Error): void;
}

/**
 * One handle per tenant, opened on first `get` and shared by every lease until it has been idle for
 * `idleMs`, evicted to make room, invalidated or the registry closes. Concurrent `get`s of a tenant
 * share one opening. A leased handle is never closed under its user (except by `close()`); when all
 * `maxOpen` handles are leased, `get` for another tenant waits for a release.
 */
export function createPlantRegistry(options: PlantRegistryOptions): PlantRegistry {
  const { dataDir, maxOpen, idleMs, resolveSource, migrations, prepareExternal } = options;
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  if (!Number.isInteger(maxOpen) || maxOpen < 1) throw new RangeError('maxOpen must be a positive integer');
  /** Current handle per tenant, least recently leased first (a lease moves its handle to the end). */
  const handles = new Map<string, Handle>();
  /** Every handle not yet closed, retired ones included: the count `maxOpen` bounds. */
  const live = new Set<Handle>();
  const closing = new Set<Promise<void>>();
  const waiters: Waiter[] = [];
  let closed = false;

  const registers = options.metrics ? [options.metrics] : [];
  new Gauge({
    name: 'sentinel_plant_db_open_handles',
    help: 'Plant-database handles currently open',
    registers,
    collect() {
      this.set(live.size);
    },
  });
  const opens = new Counter({ name: 'sentinel_plant_db_opens_total', help: 'Plant-database handles opened', registers });
  const closes = new Counter({
    name: 'sentinel_plant_db_closes_total',
    help: 'Plant-database handles closed, by reason',
    labelNames: ['reason'] as const,
    registers,
  });

  async function openDb(tenantId: string): Promise<OpenedDb> {
    const source = await resolveSource(tenantId);
    if (source.mode === 'external') {
      const opened = openExternal(tenantId, source.url);
      if (prepareExternal !== undefined) await destroyOnFailure(opened, prepareExternal(opened.kysely, opened.dialect));
      return opened;
    }
    const database = openSqliteFile(embeddedPlantFile(dataDir, tenantId));
    const opened: OpenedDb = { kysely: new Kysely<PlantDatabase>({ dialect: nodeSqliteDialect(database) }), dialect: 'sqlite', mode: 'embedded' };
    await destroyOnFailure(opened, runMigrations(opened.kysely, opened.dialect, migrations, PLANT_MIGRATION_TABLES));
    return opened;
  }

  function open(tenantId: string): Handle {
    const handle: Handle = { tenantId, ready: openDb(tenantId), leases: 0, idleTimer: undefined, retired: false, closed: false };
    handles.set(tenantId, handle);
    live.add(handle);
    opens.inc();
    // A failed opening is not kept: the next get tries again.
    handle.ready.catch(() => closeHandle(handle, 'failed'));
    return handle;
  }

  function closeHandle(handle: Handle, reason: string): Promise<void> {
    if (handle.closed) return Promise.resolve();
    handle.closed = true;
    if (handles.get(handle.tenantId) === handle) handles.delete(handle.tenantId);
    clearTimeout(handle.idleTimer);
    live.delete(handle);
    closes.inc({ reason });
    waiters.shift()?.wake();
    // Nothing to do about a connection that fails to close: it is gone either way.
    const done = handle.ready.then((opened) => opened.kysely.destroy()).catch(() => undefined);
    closing.add(done);
    void done.finally(() => closing.delete(done));
    return done;
  }

  /** Closes the least recently leased idle handle; false when every handle is leased. */
  function evictIdle(): boolean {
    for (const handle of handles.values()) {
      if (handle.leases === 0) {
        void closeHandle(handle, 'evicted');
        return true;
      }
    }
    return false;
  }

  function waitForSlot(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new PlantRegistryError('busy', `all ${maxOpen} plant-database handles stayed in use for ${acquireTimeoutMs} ms`));
      }, Math.max(0, deadline - Date.now()));
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.push(waiter);
    });
  }

  function release(handle: Handle): void {
    handle.leases--;
    if (handle.leases > 0 || handle.closed) return;
    if (handle.retired) {
      void closeHandle(handle, 'invalidated');
      return;
    }
    handle.idleTimer = setTimeout(() => void closeHandle(handle, 'idle'), idleMs);
    handle.idleTimer.unref();
    // A get waiting for a slot may now evict an idle handle.
    waiters.shift()?.wake();
  }

  async function lease(handle: Handle): Promise<PlantDb> {
    // Counted before the first await, so eviction cannot pick a handle that is being handed out.
    handle.leases++;
    clearTimeout(handle.idleTimer);
    handles.delete(handle.tenantId);
    handles.set(handle.tenantId, handle);
    let opened: OpenedDb;
    try {
      opened = await handle.ready;
    } catch (error) {
      handle.leases--;
      throw error;
    }
    let released = false;
    return {
      kysely: opened.kysely,
      dialect: opened.dialect,
      mode: opened.mode,
      release() {
        if (released) return;
        released = true;
        release(handle);
      },
    };
  }

  async function get(tenantId: string): Promise<PlantDb> {
    if (!SAFE_TENANT_ID.test(tenantId)) {
      throw new PlantRegistryError('invalid_tenant_id', "a tenant id must be 1-128 letters, digits, '-' or '_', starting with a letter or digit");
    }
    const deadline = Date.now() + acquireTimeoutMs;
    for (;;) {
      if (closed) throw new PlantRegistryError('closed', 'the plant-database registry is closed');
      const existing = handles.get(tenantId);
      if (existing !== undefined) return lease(existing);
      if (live.size < maxOpen || evictIdle()) return lease(open(tenantId));
      await waitForSlot(deadline);
    }
  }

  return {
    get,
    async use(tenantId, fn) {
      const db = await get(tenantId);
      try {
        return await fn(db);
      } finally {
        db.release();
      }
    },
    async invalidate(tenantId) {
      const handle = handles.get(tenantId);
      if (handle === undefined) return;
      handles.delete(tenantId);
      handle.retired = true;
      if (handle.leases === 0) await closeHandle(handle, 'invalidated');
    },
    async close() {
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.fail(new PlantRegistryError('closed', 'the plant-database registry is closed'));
      for (const handle of [...live]) void closeHandle(handle, 'shutdown');
      await Promise.all(closing);
    },
  };
}

/** Destroys a freshly opened database whose preparation failed, then passes the failure on. */
async function destroyOnFailure(opened: OpenedDb, preparation: Promise<unknown>): Promise<void> {
  try {
    await preparation;
  } catch (error) {
    await opened.kysely.destroy().catch(() => undefined);
    throw error;
  }
}
