import { sql, type Expression, type SqlBool } from 'kysely';

/**
 * Case-insensitive "contains" that treats % and _ in user input literally, on every dialect. The
 * escape character is `!`, not a backslash: MySQL reads a backslash in a string literal as an escape
 * of its own, so `ESCAPE '\'` is not valid SQL there.
 */
export function containsText(column: string, text: string): Expression<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) LIKE ${pattern} ESCAPE '!'`;
}
