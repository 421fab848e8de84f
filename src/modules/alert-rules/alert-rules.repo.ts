import type { Kysely, Insertable, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { AlertRulesTable } from './alert-rules.tables.ts';

/** The type of integration (and system) that stands for a tenant's rules in the security dashboard. */
export const RULES_INTEGRATION_TYPE = 'sentinel_rules';

/** Alert rules by tenant (the first argument, from the caller's principal), and the evaluation slots. */
export function createAlertRulesRepo(db: Kysely<PlatformDatabase>) {
  return {
    find: (tenantId: string, id: string) => db.selectFrom('alert_rules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: { kind?: string; enabled?: boolean; beforeId?: string; limit?: number }) {
      let query = db.selectFrom('alert_rules').selectAll().where('tenant_id', '=', tenantId);
      if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
      if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled ? 1 : 0);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      query = query.orderBy('id', 'desc');
      return (filter.limit === undefined ? query : query.limit(filter.limit + 1)).execute();
    },

    async insert(row: Insertable<AlertRulesTable>): Promise<void> {
      await db.insertInto('alert_rules').values(row).execute();
    },

    async update(tenantId: string, id: string, changes: Updateable<AlertRulesTable>): Promise<void> {
      await db.updateTable('alert_rules').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    /** Several rules' changes in one transaction (one sync of the database file instead of one per rule). */
    async updateMany(tenantId: string, changes: readonly { id: string; changes: Updateable<AlertRulesTable> }[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const change of changes) await trx.updateTable('alert_rules').set(change.changes).where('tenant_id', '=', tenantId).where('id', '=', change.id).execute();
      });
    },

    async delete(tenantId: string, id: string): Promise<boolean> {
      return Number((await db.deleteFrom('alert_rules').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()).numDeletedRows) === 1;
    },

    /** Puts the tenant on the evaluation schedule (due at once); kept after its last rule goes, so its open alerts still resolve. */
    async schedule(tenantId: string, now: number): Promise<void> {
      await db.insertInto('alert_rule_schedules').values({ tenant_id: tenantId, next_eval_at: now }).onConflict((oc) => oc.column('tenant_id').doUpdateSet({ next_eval_at: now })).execute();
    },

    due: (now: number, limit: number) =>
      db.selectFrom('alert_rule_schedules').innerJoin('tenants', 'tenants.id', 'alert_rule_schedules.tenant_id')
        .select(['alert_rule_schedules.tenant_id', 'alert_rule_schedules.next_eval_at'])
        .where('alert_rule_schedules.next_eval_at', '<=', now).where('tenants.is_active', '=', 1)
        .orderBy('alert_rule_schedules.next_eval_at').limit(limit).execute(),

    /** Moves the tenant's slot forward if it is still what the caller saw; true when this caller won it. */
    async claim(tenantId: string, seenNextEvalAt: number, nextEvalAt: number): Promise<boolean> {
      const result = await db.updateTable('alert_rule_schedules').set({ next_eval_at: nextEvalAt })
        .where('tenant_id', '=', tenantId).where('next_eval_at', '=', seenNextEvalAt).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** The tenant's rules integration, if it has one. */
    rulesIntegration: (tenantId: string) =>
      db.selectFrom('integrations').select(['id', 'name']).where('tenant_id', '=', tenantId).where('type', '=', RULES_INTEGRATION_TYPE).executeTakeFirst(),

    /**
     * Creates the tenant's rules integration: the alerts table keys feed alerts by integration, and
     * a system belongs to one. Disabled and without config, so no sync ever picks it up.
     */
    async insertRulesIntegration(tenantId: string, id: string, name: string, now: number): Promise<void> {
      await db.insertInto('integrations').values({
        id, tenant_id: tenantId, name, type: RULES_INTEGRATION_TYPE, capabilities: '["ALERTING"]', config: '{}', secret_ref: null, keyvault_secret_id: null,
        enabled: 0, last_sync_at: null, last_sync_status: null, last_error: null, consecutive_failures: 0, next_sync_at: null, created_at: now, updated_at: now,
      }).onConflict((oc) => oc.doNothing()).execute();
    },
  };
}

export type AlertRulesRepo = ReturnType<typeof createAlertRulesRepo>;
