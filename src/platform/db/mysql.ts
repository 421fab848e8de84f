import { createRequire } from 'node:module';
import { CompiledQuery, MysqlDialect } from 'kysely';
import type * as Mysql from 'mysql2';

/** Where the pool reports a connection it lost (the query in flight fails on its own). */
export interface MysqlLog {
  warn(obj: object, msg: string): void;
}

/**
 * Every session runs as the other dialects do: UTC, READ COMMITTED (PostgreSQL's default, so a
 * transaction sees rows others committed after it began, as services written for PostgreSQL
 * expect), and a strict sql_mode set here rather than left to the server (shared hosts often run
 * with sql_mode='', where an over-long value is silently truncated instead of refused).
 * ONLY_FULL_GROUP_BY is MySQL 8's default: set on MariaDB too, so tests there catch queries MySQL refuses.
 */
const SESSION_SETUP = [
  "SET time_zone = '+00:00', sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

export interface MysqlPlatform {
  dialect: MysqlDialect;
  ping(): Promise<void>;
}

/** A MySQL/MariaDB pool for the platform database, as a Kysely dialect. */
export function createMysqlPlatformDialect(url: string, log: MysqlLog): MysqlPlatform {
  // mysql2 is loaded only when a MySQL URL is configured.
  const mysql = createRequire(import.meta.url)('mysql2') as typeof Mysql;
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: 10,
    maxIdle: 10,
    idleTimeout: 30_000,
    // mysql2's default. A connection opened while the pool grows under a burst takes seconds on a busy
    // host; a server that is down refuses at once (ECONNREFUSED) whatever this is.
    connectTimeout: 10_000,
    charset: 'utf8mb4',
    timezone: 'Z',
    // Epoch-millisecond BIGINTs arrive as numbers (exact strings only past 2^53, which they never reach);
    // SUM/AVG are DECIMAL in MySQL: numbers too, as PostgreSQL's NUMERIC is read on that dialect.
    supportBigNumbers: true,
    decimalNumbers: true,
  });
  // A dropped connection emits 'error' on itself; unheard it would end the process.
  pool.on('connection', (connection) => {
    connection.once('error', (error: Error & { code?: string }) => {
      log.warn({ code: error.code, reason: error.message }, 'database connection lost');
      connection.on('error', () => undefined);
    });
  });
  const dialect = new MysqlDialect({
    pool,
    onCreateConnection: async (connection) => {
      for (const statement of SESSION_SETUP) await connection.executeQuery(CompiledQuery.raw(statement));
    },
  });
  return {
    dialect,
    ping: () => new Promise<void>((resolve, reject) => pool.query('SELECT 1', (error) => (error ? reject(error) : resolve()))),
  };
}
