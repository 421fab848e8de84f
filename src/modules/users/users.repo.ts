import type { Kysely, Updateable } from 'kysely';
import { containsText } from '../../platform/db/like.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { UserRow, UsersTable } from './users.tables.ts';

/** `tenantId` undefined means every tenant: only SUPER_ADMIN services pass it. */
export function createUsersRepo(db: Kysely<PlatformDatabase>) {
  return {
    find(tenantId: string | undefined, id: string) {
      let query = db.selectFrom('users').selectAll().where('id', '=', id);
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      return query.executeTakeFirst();
    },

    list(tenantId: string | undefined, filter: { role?: string; isActive?: boolean; q?: string; beforeId?: string; limit: number }) {
      let query = db.selectFrom('users').selectAll();
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      if (filter.role !== undefined) query = query.where('role', '=', filter.role);
      if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive ? 1 : 0);
      if (filter.q !== undefined) query = query.where((eb) => eb.or([containsText('username', filter.q!), containsText('email', filter.q!)]));
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    findByUsername: (username: string) => db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),

    countAll: async () => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),

    async insert(row: UserRow): Promise<void> {
      await db.insertInto('users').values(row).execute();
    },

    async update(tenantId: string | undefined, id: string, changes: Updateable<UsersTable>): Promise<void> {
      let query = db.updateTable('users').set(changes).where('id', '=', id);
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      await query.execute();
    },

    async delete(tenantId: string | undefined, id: string): Promise<boolean> {
      let query = db.deleteFrom('users').where('id', '=', id);
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      return Number((await query.executeTakeFirst()).numDeletedRows) === 1;
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
