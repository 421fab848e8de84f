import type { Kysely, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { AlertsTable } from './alerts.tables.ts';

export interface AlertFilter {
  statuses?: readonly string[];
  severity?: string;
  source?: string;
  systemId?: string;
  changedAfterMs?: number;
  fromMs?: number;
  toMs?: number;
  beforeId?: string;
  limit: number;
}

/** Alerts by tenant (the first argument, from the caller's principal). */
export function createAlertsRepo(db: Kysely<PlatformDatabase>) {
  return {
    find: (tenantId: string, id: string) => db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: AlertFilter) {
      let query = db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId);
      if (filter.statuses !== undefined) query = query.where('status', 'in', filter.statuses);
      if (filter.severity !== undefined) query = query.where('severity', '=', filter.severity);
      if (filter.source !== undefined) query = query.where('source', '=', filter.source);
      if (filter.systemId !== undefined) query = query.where('system_id', '=', filter.systemId);
      if (filter.changedAfterMs !== undefined) query = query.where('updated_at', '>', filter.changedAfterMs);
      if (filter.fromMs !== undefined) query = query.where('last_seen', '>=', filter.fromMs);
      if (filter.toMs !== undefined) query = query.where('last_seen', '<', filter.toMs);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    /** Applies a state change only if the alert is still in one of `fromStatuses`; false if not. */
    async transition(tenantId: string, id: string, fromStatuses: readonly string[], changes: Updateable<AlertsTable>): Promise<boolean> {
      const result = await db.updateTable('alerts').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).where('status', 'in', fromStatuses).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type AlertsRepo = ReturnType<typeof createAlertsRepo>;
