import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * A tenant's change counter over some resources (the sum of their per-resource counters, each of
 * which only grows), or undefined when it cannot be read safely: then the caller must not cache.
 */
export type DataVersionReader = (tenantId: string, resources: readonly string[]) => number | undefined;

/**
 * Reads the trigger-maintained counters of migration 0004 straight from the SQLite connection,
 * without Kysely: this runs on every cacheable request, so it must cost microseconds. Inside an
 * open transaction on this connection it answers undefined, because it would see that
 * transaction's uncommitted bump, and a rollback would later let the same number stand for other
 * data. Node releases without `isTransaction` (before 22.16) never cache for the same reason.
 */
export function sqliteDataVersionReader(database: DatabaseSync): DataVersionReader {
  const statements = new Map<string, StatementSync>();
  return (tenantId, resources) => {
    if (database.isTransaction !== false) return undefined;
    const key = resources.join(',');
    let statement = statements.get(key);
    if (statement === undefined) {
      const placeholders = resources.map(() => '?').join(', ');
      statement = database.prepare(`SELECT COALESCE(SUM(version), 0) FROM data_versions WHERE tenant_id = ? AND resource IN (${placeholders})`);
      statement.setReturnArrays(true);
      statements.set(key, statement);
    }
    const row = statement.get(tenantId, ...resources) as unknown as [number];
    return row[0];
  };
}
