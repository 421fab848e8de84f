import { sql, type ExpressionBuilder, type Kysely, type Updateable } from 'kysely';
import { containsText } from '../../platform/db/like.ts';
import type { Dialect } from '../../platform/db/database.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { TimeCursor } from '../../platform/http/pagination.ts';
import { OPEN_TICKET_STATUSES } from '../tickets/tickets.schemas.ts';
import type { AlertRow, AlertsTable } from './alerts.tables.ts';

export interface AlertFilter {
  statuses?: readonly string[];
  severities?: readonly string[];
  systemIds?: readonly string[];
  source?: string;
  /** Text in the title, description, source or asset. */
  q?: string;
  changedAfterMs?: number;
  fromMs?: number;
  toMs?: number;
}

/** An alert with what the API shows next to its references: system and user names, its ticket. */
export type AlertDetailRow = AlertRow & {
  system_name: string | null;
  acknowledged_by_username: string | null;
  resolved_by_username: string | null;
  ticket_id: string | null;
};

type AlertsFrom = ExpressionBuilder<PlatformDatabase & { a: AlertsTable }, 'a'>;

/** The alert's open ticket, else its most recent one. */
const ticketOf = (eb: AlertsFrom) =>
  eb
    .selectFrom('tickets as t')
    .select('t.id')
    .whereRef('t.tenant_id', '=', 'a.tenant_id')
    .whereRef('t.alert_id', '=', 'a.id')
    .orderBy(sql`CASE WHEN ${sql.ref('t.status')} IN (${sql.join(OPEN_TICKET_STATUSES)}) THEN 0 ELSE 1 END`)
    .orderBy('t.id', 'desc')
    .limit(1)
    .as('ticket_id');

/**
 * The username of the user in `column` (a tenant user or a SUPER_ADMIN), one primary-key lookup per
 * alert on the page. Not a join: PostgreSQL hash-joined a page of alerts against every user of
 * every tenant (two sequential scans of the users table per page, growing with the platform).
 */
const usernameOf = (column: 'a.acknowledged_by' | 'a.resolved_by', alias: 'acknowledged_by_username' | 'resolved_by_username') => (eb: AlertsFrom) =>
  eb.selectFrom('users as u').select('u.username').whereRef('u.id', '=', column).as(alias);

/** Alerts by tenant (the first argument, from the caller's principal). */
export function createAlertsRepo(db: Kysely<PlatformDatabase>, dialect: Dialect) {
  /**
   * Holds the tenant's named alerts until the transaction ends, without writing them (a write would
   * count as a change for the response cache and the WAL): `FOR UPDATE` on PostgreSQL and MySQL; a
   * SQLite transaction holds the database's write lock from its start (it begins IMMEDIATE).
   */
  const hold = (tenantId: string, ids: readonly string[]) => {
    const query = db.selectFrom('alerts').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids);
    return (dialect === 'sqlite' ? query : query.forUpdate()).execute();
  };

  /** The tenant's alerts with their system. */
  const joined = (tenantId: string) =>
    db
      .selectFrom('alerts as a')
      .leftJoin('systems as s', (join) => join.onRef('s.id', '=', 'a.system_id').onRef('s.tenant_id', '=', 'a.tenant_id'))
      .where('a.tenant_id', '=', tenantId);

  const detailed = (query: ReturnType<typeof joined>) =>
    query.selectAll('a').select(['s.name as system_name', usernameOf('a.acknowledged_by', 'acknowledged_by_username'), usernameOf('a.resolved_by', 'resolved_by_username'), ticketOf]);

  /** Matching alerts newest first by the alert's own time, then id; `after` is the previous page's last item. */
  function newestFirst(tenantId: string, filter: AlertFilter, after: TimeCursor | undefined) {
    let query = joined(tenantId);
    if (filter.statuses !== undefined) query = query.where('a.status', 'in', filter.statuses);
    if (filter.severities !== undefined) query = query.where('a.severity', 'in', filter.severities);
    if (filter.systemIds !== undefined) query = query.where('a.system_id', 'in', filter.systemIds);
    if (filter.source !== undefined) query = query.where('a.source', '=', filter.source);
    if (filter.q !== undefined) {
      const q = filter.q;
      query = query.where((eb) => eb.or([containsText('a.title', q), containsText('a.description', q), containsText('a.source', q), containsText('a.asset', q)]));
    }
    if (filter.changedAfterMs !== undefined) query = query.where('a.updated_at', '>', filter.changedAfterMs);
    if (filter.fromMs !== undefined) query = query.where('a.last_seen', '>=', filter.fromMs);
    if (filter.toMs !== undefined) query = query.where('a.last_seen', '<', filter.toMs);
    if (after !== undefined) {
      query = query.where((eb) => eb.or([eb('a.last_seen', '<', after.ms), eb.and([eb('a.last_seen', '=', after.ms), eb('a.id', '<', after.id)])]));
    }
    return query.orderBy('a.last_seen', 'desc').orderBy('a.id', 'desc');
  }

  return {
    find: (tenantId: string, id: string): Promise<AlertDetailRow | undefined> => detailed(joined(tenantId)).where('a.id', '=', id).executeTakeFirst(),

    /** One page (limit + 1 rows, so the caller can tell whether another follows). */
    list: (tenantId: string, filter: AlertFilter, after: TimeCursor | undefined, limit: number): Promise<AlertDetailRow[]> =>
      detailed(newestFirst(tenantId, filter, after)).limit(limit + 1).execute(),

    /** The ids of the first `limit` matching alerts (newest first), for bulk actions. */
    matchingIds: async (tenantId: string, filter: AlertFilter, limit: number) =>
      (await newestFirst(tenantId, filter, undefined).select('a.id').limit(limit).execute()).map((row) => row.id),

    /**
     * Applies a state change to those of `ids` still in one of `fromStatuses`; returns the changed
     * alerts with what their live events tell.
     */
    transition: (tenantId: string, ids: readonly string[], fromStatuses: readonly string[], changes: Updateable<AlertsTable>) =>
      db.transaction().execute(async () => {
        // No RETURNING (MySQL has none): every named alert is held first, so the ones read as
        // changeable are still so when updated, and read back after.
        await hold(tenantId, ids);
        const changeable = (await db.selectFrom('alerts').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).where('status', 'in', fromStatuses).execute()).map((row) => row.id);
        if (changeable.length === 0) return [];
        await db.updateTable('alerts').set(changes).where('tenant_id', '=', tenantId).where('id', 'in', changeable).execute();
        return db.selectFrom('alerts').select(['id', 'title', 'severity', 'status', 'system_id', 'last_seen']).where('tenant_id', '=', tenantId).where('id', 'in', changeable).execute();
      }),

    statuses: (tenantId: string, ids: readonly string[]) => db.selectFrom('alerts').select(['id', 'status']).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute(),

    /**
     * Holds the alert's row until the transaction ends, so that concurrent requests about it run one
     * after the other. Changes nothing; false when the tenant has no such alert.
     */
    lock: async (tenantId: string, id: string): Promise<boolean> => (await hold(tenantId, [id])).length === 1,

    /** The alert changed in a way that its own columns do not show (its ticket). */
    async touch(tenantId: string, id: string, now: number): Promise<void> {
      await db.updateTable('alerts').set({ updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },
  };
}

export type AlertsRepo = ReturnType<typeof createAlertsRepo>;
