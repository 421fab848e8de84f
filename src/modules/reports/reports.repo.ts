import { sql, type Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { ReportRow } from './reports.tables.ts';

/** Every query is scoped by tenant: the first argument. */
export function createReportsRepo(db: Kysely<PlatformDatabase>) {
  const count = sql<number>`count(*)`;
  return {
    transaction: <T>(work: () => Promise<T>) => db.transaction().execute(() => work()),

    /** The report's rows without their files. */
    list: (tenantId: string, filter: { beforeId?: string; limit: number }) => {
      let query = db.selectFrom('reports').select(['id', 'tenant_id', 'day', 'time_zone', 'from_at', 'to_at', 'summary', 'created_at', 'updated_at']).where('tenant_id', '=', tenantId);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    find: (tenantId: string, id: string) => db.selectFrom('reports').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    /** Which tenants have the report of each of these days, as `tenantId day` keys (the day's index entries only). */
    async reportedDays(days: string[]): Promise<Set<string>> {
      const rows = await db.selectFrom('reports').select(['tenant_id', 'day']).where('day', 'in', days).execute();
      return new Set(rows.map((row) => `${row.tenant_id} ${row.day}`));
    },

    findDay: (tenantId: string, day: string) => db.selectFrom('reports').select(['id', 'created_at']).where('tenant_id', '=', tenantId).where('day', '=', day).executeTakeFirst(),

    /** Stores a new day's report; false when one for that day exists (another worker made it). */
    async insert(row: ReportRow): Promise<boolean> {
      const result = await db.insertInto('reports').values(row).onConflict((oc) => oc.columns(['tenant_id', 'day']).doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async replace(tenantId: string, id: string, row: Pick<ReportRow, 'summary' | 'pdf' | 'csv' | 'time_zone' | 'from_at' | 'to_at' | 'updated_at'>): Promise<void> {
      await db.updateTable('reports').set(row).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    settings: (tenantId: string) => db.selectFrom('report_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst(),

    async saveSettings(tenantId: string, values: { send_at: string; enabled: number }, now: number): Promise<void> {
      await db.insertInto('report_settings').values({ tenant_id: tenantId, ...values, updated_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...values, updated_at: now })).execute();
    },

    /** Active tenants with their settings (null: the defaults), for the schedule. */
    tenantsWithSettings: () =>
      db.selectFrom('tenants').leftJoin('report_settings', 'report_settings.tenant_id', 'tenants.id')
        .select(['tenants.id', 'tenants.name', 'tenants.config', 'tenants.created_at', 'report_settings.send_at', 'report_settings.enabled'])
        .where('tenants.is_active', '=', 1).orderBy('tenants.id').execute(),

    tenant: (tenantId: string) => db.selectFrom('tenants').select(['id', 'name', 'config']).where('id', '=', tenantId).executeTakeFirstOrThrow(),

    isSubscribed: async (tenantId: string, userId: string) =>
      (await db.selectFrom('report_subscriptions').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst()) !== undefined,

    async subscribe(tenantId: string, userId: string, now: number): Promise<void> {
      await db.insertInto('report_subscriptions').values({ tenant_id: tenantId, user_id: userId, created_at: now }).onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doNothing()).execute();
    },

    async unsubscribe(tenantId: string, userId: string): Promise<void> {
      await db.deleteFrom('report_subscriptions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    },

    /** The e-mail addresses of the tenant's active subscribers that have one. */
    subscriberEmails: async (tenantId: string) =>
      (await db.selectFrom('report_subscriptions').innerJoin('users', (join) => join.onRef('users.id', '=', 'report_subscriptions.user_id').onRef('users.tenant_id', '=', 'report_subscriptions.tenant_id'))
        .select('users.email').where('report_subscriptions.tenant_id', '=', tenantId).where('users.is_active', '=', 1).where('users.email', 'is not', null).execute()).map((row) => row.email!),

    userInTenant: async (tenantId: string, userId: string) =>
      (await db.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst()) !== undefined,

    // The security figures of [from, to).
    alertsOpenedBySeverity: (tenantId: string, from: number, to: number) =>
      db.selectFrom('alerts').select(['severity', count.as('n')]).where('tenant_id', '=', tenantId).where('first_seen', '>=', from).where('first_seen', '<', to).groupBy('severity').execute(),

    alertsResolved: (tenantId: string, from: number, to: number) =>
      db.selectFrom('alerts').select([count.as('n'), sql<number | null>`avg(resolved_at - first_seen)`.as('mean_ms')])
        .where('tenant_id', '=', tenantId).where('resolved_at', '>=', from).where('resolved_at', '<', to).executeTakeFirstOrThrow(),

    alertsOpenAtBySeverity: (tenantId: string, at: number) =>
      db.selectFrom('alerts').select(['severity', count.as('n')]).where('tenant_id', '=', tenantId).where('first_seen', '<', at)
        .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', at)])).groupBy('severity').execute(),

    alertsOpened: (tenantId: string, from: number, to: number, limit: number) =>
      db.selectFrom('alerts').select(['id', 'title', 'severity', 'source', 'asset', 'status', 'first_seen']).where('tenant_id', '=', tenantId)
        .where('first_seen', '>=', from).where('first_seen', '<', to).orderBy('first_seen').limit(limit).execute(),

    vulnerabilitiesFound: async (tenantId: string, from: number, to: number) =>
      Number((await db.selectFrom('vulnerabilities').select(count.as('n')).where('tenant_id', '=', tenantId).where('first_seen', '>=', from).where('first_seen', '<', to).executeTakeFirstOrThrow()).n),

    vulnerabilitiesResolved: async (tenantId: string, from: number, to: number) =>
      Number((await db.selectFrom('vulnerabilities').select(count.as('n')).where('tenant_id', '=', tenantId).where('resolved_at', '>=', from).where('resolved_at', '<', to).executeTakeFirstOrThrow()).n),

    vulnerabilitiesOpenAtBySeverity: (tenantId: string, at: number) =>
      db.selectFrom('vulnerabilities').select(['severity', count.as('n')]).where('tenant_id', '=', tenantId).where('first_seen', '<', at)
        .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', at)])).groupBy('severity').execute(),

    systemsByStatus: (tenantId: string) =>
      db.selectFrom('systems').select(['status', count.as('n')]).where('tenant_id', '=', tenantId).groupBy('status').execute(),
  };
}

export type ReportsRepo = ReturnType<typeof createReportsRepo>;
