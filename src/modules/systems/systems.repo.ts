import { sql, type Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { OPEN_ALERT_STATUSES } from '../security-domain/vocabulary.ts';
import { createSystemStatusReads, type SystemSettings } from './system-status.ts';

/** Systems, their assets and their open alerts, by tenant. */
export function createSystemsRepo(db: Kysely<PlatformDatabase>) {
  const reads = createSystemStatusReads(db);
  return {
    settings: reads.settings,
    openAlertCounts: reads.openAlertCounts,

    settingsStamp: async (tenantId: string) =>
      (await db.selectFrom('system_settings').select(['updated_at', 'updated_by']).where('tenant_id', '=', tenantId).executeTakeFirst()) ?? { updated_at: null, updated_by: null },

    async saveSettings(tenantId: string, settings: SystemSettings, by: string | null, now: number): Promise<void> {
      const values = {
        alert_severities: JSON.stringify(settings.alert_severities), warning_severities: JSON.stringify(settings.warning_severities),
        uptime_window_days: settings.uptime_window_days, updated_by: by, updated_at: now,
      };
      await db.insertInto('system_settings').values({ tenant_id: tenantId, ...values, created_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values)).execute();
    },

    /** The availability periods of these systems that overlap [fromMs, now]. */
    async availability(tenantId: string, systemIds: string[], fromMs: number) {
      if (systemIds.length === 0) return [];
      return db.selectFrom('system_availability').select(['system_id', 'up', 'started_at', 'ended_at'])
        .where('tenant_id', '=', tenantId).where('system_id', 'in', systemIds).where('ended_at', '>=', fromMs).execute();
    },

    statusCounts: (tenantId: string) =>
      db.selectFrom('systems').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).groupBy('status').execute(),

    list(tenantId: string, filter: { status?: string; type?: string; changedAfterMs?: number; beforeId?: string; limit: number }) {
      let query = db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.changedAfterMs !== undefined) query = query.where('updated_at', '>', filter.changedAfterMs);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    find: (tenantId: string, id: string) => db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    assets: (tenantId: string, systemId: string) =>
      db.selectFrom('assets').selectAll().where('tenant_id', '=', tenantId).where('system_id', '=', systemId).orderBy('name').limit(10_000).execute(),

    /** The most recent open alerts of each system (at most `perSystem` each). */
    async recentOpenAlerts(tenantId: string, systemIds: string[], perSystem: number) {
      if (systemIds.length === 0) return [];
      return db
        .selectFrom((eb) =>
          eb
            .selectFrom('alerts')
            .select(['id', 'system_id', 'title', 'last_seen', 'severity', 'source'])
            .select(sql<number>`row_number() over (partition by system_id order by last_seen desc, id desc)`.as('rank'))
            .where('tenant_id', '=', tenantId)
            .where('system_id', 'in', systemIds)
            .where('status', 'in', OPEN_ALERT_STATUSES)
            .as('ranked'),
        )
        .selectAll()
        .where('rank', '<=', perSystem)
        .orderBy('last_seen', 'desc')
        .execute();
    },
  };
}

export type SystemsRepo = ReturnType<typeof createSystemsRepo>;
