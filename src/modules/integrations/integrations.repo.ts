import type { Kysely, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { IntegrationRow, IntegrationsTable } from './integrations.tables.ts';

/** Integrations by tenant (the first argument, from the caller's principal). */
export function createIntegrationsRepo(db: Kysely<PlatformDatabase>) {
  return {
    find: (tenantId: string, id: string) =>
      db.selectFrom('integrations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: { type?: string; enabled?: boolean; beforeId?: string; limit: number }) {
      let query = db.selectFrom('integrations').selectAll().where('tenant_id', '=', tenantId);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled ? 1 : 0);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    /** Whether another of the tenant's integrations has this name (the unique index decides races). */
    async nameTaken(tenantId: string, name: string, exceptId?: string): Promise<boolean> {
      let query = db.selectFrom('integrations').select('id').where('tenant_id', '=', tenantId).where('name', '=', name);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      return (await query.executeTakeFirst()) !== undefined;
    },

    async insert(row: IntegrationRow): Promise<void> {
      await db.insertInto('integrations').values(row).execute();
    },

    async update(tenantId: string, id: string, changes: Updateable<IntegrationsTable>): Promise<void> {
      await db.updateTable('integrations').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    async delete(tenantId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('integrations').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /**
     * Platform scheduler (every tenant): enabled integrations of active tenants whose next sync is
     * due. Claiming is a separate conditional update so that only one node runs each sync.
     */
    due: (now: number, limit: number) =>
      db
        .selectFrom('integrations')
        .innerJoin('tenants', 'tenants.id', 'integrations.tenant_id')
        .select(['integrations.id', 'integrations.tenant_id', 'integrations.next_sync_at'])
        .where('integrations.enabled', '=', 1)
        .where('tenants.is_active', '=', 1)
        .where((eb) => eb.or([eb('integrations.next_sync_at', 'is', null), eb('integrations.next_sync_at', '<=', now)]))
        .orderBy('integrations.next_sync_at')
        .limit(limit)
        .execute(),

    /** Moves next_sync_at forward if it is still what the caller saw; true when this caller won. */
    async claim(tenantId: string, id: string, seenNextSyncAt: number | null, nextSyncAt: number): Promise<boolean> {
      let query = db.updateTable('integrations').set({ next_sync_at: nextSyncAt }).where('tenant_id', '=', tenantId).where('id', '=', id);
      query = seenNextSyncAt === null ? query.where('next_sync_at', 'is', null) : query.where('next_sync_at', '=', seenNextSyncAt);
      return Number((await query.executeTakeFirst()).numUpdatedRows) === 1;
    },
  };
}

export type IntegrationsRepo = ReturnType<typeof createIntegrationsRepo>;
