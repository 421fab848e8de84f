import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import type { Config } from '../../config.ts';
import { pgDataVersions, sqliteDataVersions, type DataVersions } from './data-versions.ts';
import { nodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { PlatformDatabase } from './schema.ts';
import { mysqlQueryPlugin } from './mysql-compat.ts';
import { createMysqlPlatformDialect } from './mysql.ts';
import { cachePgStatements, DEFAULT_STATEMENTS_PER_CONNECTION } from './pg-statement-cache.ts';
import { createTransactionScope } from './transaction-scope.ts';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export interface Db {
  /** Queries through this handle join the transaction `transaction()` has open in the same async context. */
  kysely: Kysely<PlatformDatabase>;
  /** Runs `work` in one transaction that every query through `kysely` joins (nested calls join too). */
  transaction<T>(work: (trx: Transaction<PlatformDatabase>) => Promise<T>): Promise<T>;
  /** Runs `effect` once the transaction open in this async context commits (at once outside one). */
  afterCommit(effect: () => void): void;
  /** Runs `work` in a savepoint: on failure its writes and its after-commit effects are dropped, the rest of the transaction goes on. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
  dialect: Dialect;
  /** Cheap round trip used by /ready. */
  ping(timeoutMs: number): Promise<void>;
  /** Versions of each tenant's data for the response cache; undefined where there are none (MySQL). */
  dataVersions: DataVersions | undefined;
  close(): Promise<void>;
}

/** Where the database layer reports what it survives (a lost connection); Fastify's logger fits. */
export interface DbLog {
  warn(obj: object, msg: string): void;
}

const stderrLog: DbLog = {
  warn: (obj, msg) => console.warn(`${msg} ${JSON.stringify(obj)}`),
};

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

function openPostgres(url: string, statementCache: number, log: DbLog): Db {
  // pg is loaded only when a PostgreSQL URL is configured (not on SQLite).
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  // Epoch-millisecond columns are BIGINT: read them back as numbers (safe up to year 285616).
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: 10, types, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
  /*
   * A connection can die at any moment (PostgreSQL restarting or stopped, a network cut). pg emits
   * 'error' on the client when no query is running to receive it, which crashes the process unless
   * someone listens: the pool listens only while a client is idle, not while it is checked out
   * (Kysely holds one between the queries of a transaction). So every client gets its own listener
   * from the moment it connects; the query in flight (if any) fails on its own, and the pool drops
   * the broken client when it is released.
   */
  // Counted for the response cache: a server that crashed and recovered may reuse transaction ids.
  let connectionsLost = 0;
  pool.on('connect', (client) => {
    client.once('error', (error: Error & { code?: string }) => {
      connectionsLost += 1;
      log.warn({ code: error.code, reason: error.message }, 'database connection lost');
      // A dying connection may report more than one error (the server's 57P01, then the socket's end).
      client.on('error', () => undefined);
    });
  });
  // The pool re-emits an idle client's error: already logged above.
  pool.on('error', () => undefined);
  cachePgStatements(pool, statementCache);
  const raw = new Kysely<PlatformDatabase>({ dialect: new PostgresDialect({ pool }) });
  const scope = createTransactionScope(raw);
  const kysely = scope.db;
  return {
    kysely,
    transaction: scope.run,
    afterCommit: scope.afterCommit,
    savepoint: scope.savepoint,
    dialect: 'postgres',
    async ping(timeoutMs) {
      await withTimeout(pool.query('SELECT 1'), timeoutMs);
    },
    dataVersions: pgDataVersions(raw, { inTransaction: scope.inTransaction, connectionsLost: () => connectionsLost }),
    close: () => kysely.destroy(),
  };
}

function openMysql(url: string, log: DbLog): Db {
  const mysql = createMysqlPlatformDialect(url, log);
  const scope = createTransactionScope(new Kysely<PlatformDatabase>({ dialect: mysql.dialect, plugins: [mysqlQueryPlugin()] }));
  const kysely = scope.db;
  return {
    kysely,
    transaction: scope.run,
    afterCommit: scope.afterCommit,
    savepoint: scope.savepoint,
    dialect: 'mysql',
    ping: (timeoutMs) => withTimeout(mysql.ping(), timeoutMs),
    dataVersions: undefined,
    close: () => kysely.destroy(),
  };
}

/** The platform database's dialect by DATABASE_URL scheme: mysql:// and mariadb:// are MySQL; the rest (postgres[ql]://) PostgreSQL. */
export function dialectOfUrl(url: string): Exclude<Dialect, 'sqlite'> {
  return /^(mysql|mariadb):/i.test(url) ? 'mysql' : 'postgres';
}

/** Opens (creating it and its directory if needed) a SQLite file with Sentinel's connection settings. */
export function openSqliteFile(file: string): DatabaseSync {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const database = new DatabaseSync(file);
  // The busy timeout comes first: switching to WAL needs a lock that a second process starting at
  // the same moment may hold (the dialect shortens it afterwards and waits for locks asynchronously).
  // WAL lets readers run beside the writer; FULL sync so an acknowledged write survives a power cut.
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
  const scope = createTransactionScope(new Kysely<PlatformDatabase>({ dialect: nodeSqliteDialect(database) }));
  const kysely = scope.db;
  return {
    kysely,
    transaction: scope.run,
    afterCommit: scope.afterCommit,
    savepoint: scope.savepoint,
    dialect: 'sqlite',
    async ping() {
      await sql`SELECT 1`.execute(kysely);
    },
    dataVersions: sqliteDataVersions(database),
    close: () => kysely.destroy(),
  };
}

export function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'pgStatementCache'>>, log: DbLog = stderrLog): Db {
  if (config.databaseUrl !== undefined) {
    return dialectOfUrl(config.databaseUrl) === 'mysql'
      ? openMysql(config.databaseUrl, log)
      : openPostgres(config.databaseUrl, config.pgStatementCache ?? DEFAULT_STATEMENTS_PER_CONNECTION, log);
  }
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
