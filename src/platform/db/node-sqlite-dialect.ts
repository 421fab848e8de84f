import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

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
