import type { Kysely } from 'kysely';
import { containsText } from '../../platform/db/like.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { TenantRow, TenantsTable } from './tenants.tables.ts';
import type { Updateable } from 'kysely';

export function createTenantsRepo(db: Kysely<PlatformDatabase>) {
  return {
    db,
    findById: (id: string) => db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst(),
    exists: async (id: string) => (await db.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,
    findBySlug: (slug: string) => db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst(),

    list(filter: { isActive?: boolean; q?: string; beforeId?: string; limit: number }) {
      let query = db.selectFrom('tenants').selectAll();
      if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive ? 1 : 0);
      if (filter.q !== undefined) query = query.where((eb) => eb.or([containsText('name', filter.q!), containsText('slug', filter.q!)]));
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    async insert(row: TenantRow): Promise<void> {
      await db.insertInto('tenants').values(row).execute();
    },

    async update(id: string, changes: Updateable<TenantsTable>): Promise<void> {
      await db.updateTable('tenants').set(changes).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}

export type TenantsRepo = ReturnType<typeof createTenantsRepo>;
