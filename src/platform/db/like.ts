import { sql, type Expression, type SqlBool } from 'kysely';

/** Case-insensitive "contains" that treats % and _ in user input literally, on every dialect. */
export function containsText(column: string, text: string): Expression<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) LIKE ${pattern} ESCAPE '\\'`;
}
