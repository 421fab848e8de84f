import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../../config.ts';
import { sqliteDataVersionReader, type DataVersionReader } from './data-versions.ts';
import { nodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { PlatformDatabase } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<PlatformDatabase>;
  dialect: Dialect;
  /** Cheap round trip used by /ready. */
  ping(timeoutMs: number): Promise<void>;
  /** Per-tenant change counters for the response cache; undefined where there are none (PostgreSQL). */
  dataVersion: DataVersionReader | undefined;
  close(): Promise<void>;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

function openPostgres(url: string): Db {
  // Epoch-millisecond columns are BIGINT: read them back as numbers (safe up to year 285616).
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: 10, types, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const kysely = new Kysely<PlatformDatabase>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    async ping(timeoutMs) {
      await withTimeout(pool.query('SELECT 1'), timeoutMs);
    },
    dataVersion: undefined,
    close: () => kysely.destroy(),
  };
}

/** Opens (creating it and its directory if needed) a SQLite file with Sentinel's connection settings. */
export function openSqliteFile(file: string): DatabaseSync {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const database = new DatabaseSync(file);
  // The busy timeout comes first: switching to WAL needs a lock that a second process starting at
  // the same moment may hold. WAL lets readers run beside the writer; FULL sync so an acknowledged
  // write survives a power cut.
  database.exec(`
    PRAGMA busy_timeout = 5000;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
  `);
  return database;
}

function openSqlite(file: string): Db {
  const database = openSqliteFile(file);
  const kysely = new Kysely<PlatformDatabase>({ dialect: nodeSqliteDialect(database) });
  return {
    kysely,
    dialect: 'sqlite',
    async ping() {
      await sql`SELECT 1`.execute(kysely);
    },
    dataVersion: sqliteDataVersionReader(database),
    close: () => kysely.destroy(),
  };
}

export function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Db {
  if (config.databaseUrl !== undefined) return openPostgres(config.databaseUrl);
  return openSqlite(path.join(config.dataDir, 'sentinel.db'));
}

/** An in-memory SQLite database, for commands that need the app but no data (OpenAPI export). */
export function openMemoryDatabase(): Db {
  return openSqlite(':memory:');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
