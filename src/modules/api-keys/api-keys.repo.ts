import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { ApiKeyRow } from './api-keys.tables.ts';

export function createApiKeysRepo(db: Kysely<PlatformDatabase>) {
  return {
    async insert(row: ApiKeyRow): Promise<void> {
      await db.insertInto('api_keys').values(row).execute();
    },

    list(tenantId: string, filter: { beforeId?: string; limit: number }) {
      let query = db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    find: (tenantId: string, id: string) => db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    /** A key presented by a caller, with whether its tenant is active. */
    findForAuthentication: (id: string) =>
      db.selectFrom('api_keys as k').innerJoin('tenants as t', 't.id', 'k.tenant_id')
        .select(['k.id', 'k.tenant_id', 'k.name', 'k.secret_hash', 'k.scopes', 'k.line_ids', 'k.expires_at', 'k.revoked_at', 'k.last_used_at', 't.is_active as tenant_active'])
        .where('k.id', '=', id).executeTakeFirst(),

    /** Revokes a live key; false when there is none (unknown, another tenant's, or revoked already). */
    async revoke(tenantId: string, id: string, now: number): Promise<boolean> {
      const result = await db.updateTable('api_keys').set({ revoked_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async touch(id: string, now: number): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
