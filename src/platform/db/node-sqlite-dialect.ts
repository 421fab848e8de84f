import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely';

type SqliteValue = null | number | bigint | string | Uint8Array;

/**
 * Kysely ships a SQLite dialect written against better-sqlite3's interface. Node's built-in
 * `node:sqlite` has the same synchronous model with a slightly different statement API, so this
 * adapter lets Sentinel use SQLite without a native add-on to compile at install time.
 */
function adaptStatement(statement: StatementSync, sql: string): SqliteStatement {
  const run = (parameters: readonly unknown[]) => statement.run(...(parameters as SqliteValue[]));
  // Node releases before 22.16 lack columns(); there the SQL text tells whether rows come back.
  if (typeof statement.columns !== 'function') {
    return {
      reader: returnsRows(sql),
      all: (parameters) => statement.all(...(parameters as SqliteValue[])),
      run,
      iterate: (parameters) => statement.iterate(...(parameters as SqliteValue[])),
    };
  }
  // columns() is empty for statements that return no rows (INSERT/UPDATE/DELETE without RETURNING).
  const columns = statement.columns().map((column) => column.name);
  if (columns.length > 0) statement.setReturnArrays(true);
  // Rows come back as arrays and become objects here: about a third cheaper than node:sqlite
  // building them, which matters for list endpoints.
  const toRow = (values: unknown[]) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row;
  };
  return {
    reader: columns.length > 0,
    all: (parameters) => (statement.all(...(parameters as SqliteValue[])) as unknown as unknown[][]).map(toRow),
    run,
    *iterate(parameters) {
      for (const values of statement.iterate(...(parameters as SqliteValue[]))) yield toRow(values as unknown as unknown[]);
    },
  };
}

/** Whether a statement produces rows, judged from SQL that Kysely generated (values are bound, not inlined). */
export function returnsRows(sql: string): boolean {
  return /^\s*(select|with|pragma|values|explain)\b/i.test(sql) || /\breturning\b/i.test(sql);
}

/** Prepared statements are reused: the same few hundred queries run all day. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * How long a statement may wait for another process's write lock in total, and how long SQLite's
 * own busy handler may wait per attempt. node:sqlite is synchronous, so SQLite's handler sleeps on
 * the event loop: it only covers the short waits; the long ones are awaited between attempts.
 */
const LOCK_WAIT_BUDGET_MS = 5000;
const SYNC_BUSY_TIMEOUT_MS = 10;
const MAX_RETRY_DELAY_MS = 25;

const SQLITE_BUSY = 5;

function isBusy(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  // Extended codes (SQLITE_BUSY_SNAPSHOT = 517, …) keep the primary code in the low byte.
  return typeof errcode === 'number' && (errcode & 0xff) === SQLITE_BUSY;
}

/**
 * Kysely's SQLite driver with two changes for a database file that other processes write too:
 *  - transactions begin IMMEDIATE, taking the write lock up front. A deferred BEGIN that reads and
 *    then writes cannot upgrade its lock once another process has committed in between: SQLite
 *    fails it at once with SQLITE_BUSY, whatever the busy timeout.
 *  - a statement that finds the database locked is retried after an asynchronous pause until
 *    LOCK_WAIT_BUDGET_MS, so that waiting for another process never blocks the event loop for
 *    long. SQLite allows retrying a COMMIT or a statement outside a transaction (it changed
 *    nothing); inside an IMMEDIATE transaction the lock is already held, so it cannot happen there.
 */
class NodeSqliteDriver extends SqliteDriver {
  #inTransaction = false;
  #connection: DatabaseConnection | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#connection === undefined) {
      const connection = await super.acquireConnection();
      this.#connection = {
        executeQuery: <R>(query: CompiledQuery) => this.#retryWhileLocked(query, () => connection.executeQuery<R>(query)),
        streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
      };
    }
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    this.#inTransaction = true;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    this.#inTransaction = false;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#inTransaction = false;
    await super.rollbackTransaction(connection);
  }

  async #retryWhileLocked<R>(query: CompiledQuery, execute: () => Promise<QueryResult<R>>): Promise<QueryResult<R>> {
    const retryable = !this.#inTransaction || /^\s*commit\b/i.test(query.sql);
    const deadline = Date.now() + LOCK_WAIT_BUDGET_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await execute();
      } catch (error) {
        if (!retryable || !isBusy(error) || Date.now() >= deadline) throw error;
      }
      // Jittered, growing pauses: two processes waiting on each other do not retry in lockstep.
      await sleep(Math.random() * Math.min(MAX_RETRY_DELAY_MS, 2 ** attempt));
    }
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new NodeSqliteDriver({ database: this.#database });
  }
}

/**
 * A Kysely dialect over a node:sqlite connection. It takes over waiting for locks (see
 * NodeSqliteDriver), so it shortens the connection's busy timeout to SYNC_BUSY_TIMEOUT_MS.
 */
export function nodeSqliteDialect(database: DatabaseSync): SqliteDialect {
  database.exec(`PRAGMA busy_timeout = ${SYNC_BUSY_TIMEOUT_MS}`);
  const statements = new Map<string, SqliteStatement>();
  const adapted: SqliteDatabase = {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = adaptStatement(database.prepare(sql), sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  return new NodeSqliteDialect(adapted);
}
