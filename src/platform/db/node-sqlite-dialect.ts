import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

type SqliteValue = null | number | bigint | string | Uint8Array;

/**
 * Kysely ships a SQLite dialect written against better-sqlite3's interface. Node's built-in
 * `node:sqlite` has the same synchronous model with a slightly different statement API, so this
 * adapter lets Sentinel use SQLite without a native add-on to compile at install time.
 */
function adaptStatement(statement: StatementSync, sql: string): SqliteStatement {
  // columns() is empty for statements that return no rows (INSERT/UPDATE/DELETE without RETURNING);
  // Node releases before 22.16 lack it, and there the SQL text tells.
  const reader = typeof statement.columns === 'function' ? statement.columns().length > 0 : returnsRows(sql);
  return {
    reader,
    all: (parameters) => statement.all(...(parameters as SqliteValue[])),
    run: (parameters) => statement.run(...(parameters as SqliteValue[])),
    iterate: (parameters) => statement.iterate(...(parameters as SqliteValue[])),
  };
}

/** Whether a statement produces rows, judged from SQL that Kysely generated (values are bound, not inlined). */
export function returnsRows(sql: string): boolean {
  return /^\s*(select|with|pragma|values|explain)\b/i.test(sql) || /\breturning\b/i.test(sql);
}

/** Prepared statements are reused: the same few hundred queries run all day. */
const STATEMENT_CACHE_SIZE = 500;

export function nodeSqliteDialect(database: DatabaseSync): SqliteDialect {
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
  return new SqliteDialect({ database: adapted });
}
