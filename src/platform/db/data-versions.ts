import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { sql, type Kysely } from 'kysely';

/** What a version check found: the data's version now, and whether a stored page's version still stands for the same data. */
export interface VersionCheck {
  current: string;
  unchanged: boolean;
}

/**
 * Versions of a tenant's data per resource, for the response cache: a stored page is served again
 * only while the version it was read under still holds.
 */
export interface DataVersions {
  /**
   * `stored` is a `current` an earlier check answered, taken before the page was read (undefined: no
   * page stored). Answers undefined when the version cannot be read safely: then the caller must
   * neither serve nor store a page. Records under the tenant `*` (a platform user, a TRUNCATE) count
   * for every tenant. Throws when the database fails.
   */
  check(tenantId: string, resources: readonly string[], stored: string | undefined): VersionCheck | undefined | Promise<VersionCheck | undefined>;
  /** How long a version may be kept at most; a page older than this must be read again. */
  maxAgeMs?: number;
  /** Drops what no version younger than `maxAgeMs` can need; every API process runs it each `compactEveryMs`. */
  compact?(): Promise<void>;
  compactEveryMs?: number;
}

/**
 * SQLite: the sum of the trigger-maintained counters of migration 0004, read straight from the
 * connection without Kysely: this runs on every cacheable request, so it must cost microseconds.
 * Inside an open transaction on this connection it answers undefined, because it would see that
 * transaction's uncommitted bump, and a rollback would later let the same number stand for other
 * data. Node releases without `isTransaction` (before 22.16) never cache for the same reason.
 */
export function sqliteDataVersions(database: DatabaseSync): DataVersions {
  const statements = new Map<string, StatementSync>();
  return {
    check(tenantId, resources, stored) {
      if (database.isTransaction !== false) return undefined;
      const key = resources.join(',');
      let statement = statements.get(key);
      if (statement === undefined) {
        const placeholders = resources.map(() => '?').join(', ');
        statement = database.prepare(`SELECT COALESCE(SUM(version), 0) FROM data_versions WHERE tenant_id IN (?, '*') AND resource IN (${placeholders})`);
        statement.setReturnArrays(true);
        statements.set(key, statement);
      }
      const current = String((statement.get(tenantId, ...resources) as unknown as [number])[0]);
      return { current, unchanged: current === stored };
    },
  };
}

interface PendingCheck {
  tenantId: string;
  resources: readonly string[];
  snapshot: string | undefined;
  incarnation: string | undefined;
}

/** At most this many checks share one statement. */
const MAX_CHECKS_PER_STATEMENT = 256;

/**
 * Gathers the checks asked for during one turn of the event loop and runs them as one statement
 * after that turn's I/O callbacks: under load a node sends one round trip, one parse and one plan
 * for a batch of requests instead of one each. Each check still takes its snapshot after it was
 * asked for, which is all its guarantee needs.
 */
function checkBatcher(run: (checks: readonly PendingCheck[]) => Promise<VersionCheck[]>) {
  const waiting: { check: PendingCheck; resolve: (result: VersionCheck) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = waiting.splice(0, MAX_CHECKS_PER_STATEMENT);
    if (waiting.length > 0) setImmediate(flush);
    run(batch.map((entry) => entry.check)).then(
      (results) => batch.forEach((entry, position) => entry.resolve(results[position]!)),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  };
  return {
    add(check: PendingCheck): Promise<VersionCheck> {
      return new Promise((resolve, reject) => {
        if (waiting.push({ check, resolve, reject }) === 1) setImmediate(flush);
      });
    },
  };
}

/** A stored page on PostgreSQL is read again after this, so change records older than the horizon below can go. */
const PG_VERSION_MAX_AGE_MS = 5 * 60_000;
const PG_COMPACTION_HORIZON_MS = 2 * PG_VERSION_MAX_AGE_MS;
const PG_COMPACT_EVERY_MS = 60_000;
/** When the server answering started: a restarted or promoted server may reuse transaction ids a stored snapshot saw end. */
const SERVER_STARTED = sql<string>`extract(epoch FROM pg_postmaster_start_time())::text`;

/** What pgDataVersions learns from the connection pool it runs on. */
export interface PgVersionContext {
  /** Whether a transaction is open in this async context: a page would then be read inside it, seeing its uncommitted writes. */
  inTransaction(): boolean;
  /** How many of the pool's connections have died so far (a server crash ends them all). */
  connectionsLost(): number;
  /** A monotonic clock in ms. */
  now?(): number;
}

/**
 * PostgreSQL: a version is the snapshot (`pg_current_snapshot()`) of the check, which runs before
 * the page is read, so the page sees at least what that snapshot saw, and the server incarnation
 * that took it. The stored version still holds when it comes from the same incarnation and no
 * `data_changes` record (migration 0006) of the tenant (or `*`) and resources belongs to a
 * transaction that snapshot did not see and that has committed since: one index range from the
 * snapshot's xmin, in the same statement that takes the new snapshot. A check that finds the page
 * unchanged answers that new snapshot, so a page read often keeps its range short.
 *
 * The incarnation: a restarted, promoted or crashed-and-recovered server may hand out again
 * transaction ids a stored snapshot saw end. So a version names the server's start time and how
 * many pool connections had died when it was taken (a crash ends them all, a restart after one
 * keeps the start time), and a snapshot whose xmax is below the stored one's (ids handed out again)
 * counts as a change.
 *
 * Compaction deletes records of transactions that had all ended before a snapshot taken more than
 * twice `maxAgeMs` ago by the same incarnation, which every snapshot younger than that saw. Each
 * process samples its own horizons, so nodes need no shared clock.
 */
export function pgDataVersions<DB>(kysely: Kysely<DB>, context: PgVersionContext): DataVersions {
  const now = context.now ?? (() => performance.now());
  const horizons: { takenAt: number; xmin: string; incarnation: string }[] = [];
  const incarnation = (started: string, lost: number) => `${started}/${lost}`;
  const batches = checkBatcher(async (checks: readonly PendingCheck[]) => {
    const lost = context.connectionsLost();
    // One row per compared check and resource, so each probe is one range of the (tenant_id, resource, xid) key.
    const probes = checks.flatMap((check, position) => check.snapshot === undefined ? [] : check.resources.map((resource) => ({ ...check, position, resource })));
    const { rows } = await sql<{ snapshot: string; started: string; changed: number[] }>`SELECT pg_current_snapshot()::text AS snapshot,
      ${SERVER_STARTED} AS started, ARRAY(
        SELECT DISTINCT c.position FROM unnest(${probes.map((probe) => probe.position)}::int[], ${probes.map((probe) => probe.tenantId)}::text[],
          ${probes.map((probe) => probe.resource)}::text[], ${probes.map((probe) => probe.snapshot!)}::text[])
          AS c(position, tenant_id, resource, snapshot)
        WHERE pg_snapshot_xmax(pg_current_snapshot()) < pg_snapshot_xmax(c.snapshot::pg_snapshot) OR EXISTS (
          SELECT 1 FROM data_changes WHERE tenant_id IN (c.tenant_id, '*') AND resource = c.resource
          AND xid >= pg_snapshot_xmin(c.snapshot::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, c.snapshot::pg_snapshot))
      ) AS changed`.execute(kysely);
    const row = rows[0]!;
    const current = incarnation(row.started, lost);
    const changed = new Set(row.changed);
    return checks.map((check, position): VersionCheck => ({
      current: `${row.snapshot}@${current}`,
      unchanged: check.snapshot !== undefined && !changed.has(position) && current === check.incarnation,
    }));
  });
  return {
    check(tenantId, resources, stored) {
      if (context.inTransaction()) return undefined;
      const separator = stored?.lastIndexOf('@') ?? -1;
      return separator < 0
        ? batches.add({ tenantId, resources, snapshot: undefined, incarnation: undefined })
        : batches.add({ tenantId, resources, snapshot: stored!.slice(0, separator), incarnation: stored!.slice(separator + 1) });
    },
    maxAgeMs: PG_VERSION_MAX_AGE_MS,
    compactEveryMs: PG_COMPACT_EVERY_MS,
    async compact() {
      const lost = context.connectionsLost();
      let horizon: (typeof horizons)[number] | undefined;
      while (horizons.length > 0 && horizons[0]!.takenAt <= now() - PG_COMPACTION_HORIZON_MS) horizon = horizons.shift()!;
      const sample = sql<{ xmin: string; started: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, ${SERVER_STARTED} AS started`;
      const { rows } = horizon === undefined
        ? await sample.execute(kysely)
        : await sql<{ xmin: string; started: string }>`WITH gone AS (DELETE FROM data_changes WHERE xid < ${horizon.xmin}::xid8
            AND ${SERVER_STARTED} || '/' || ${String(lost)} = ${horizon.incarnation}) ${sample}`.execute(kysely);
      // Taken once the snapshot surely exists: every version checked after this time saw what ended before xmin.
      horizons.push({ takenAt: now(), xmin: rows[0]!.xmin, incarnation: incarnation(rows[0]!.started, lost) });
    },
  };
}
