import type { Kysely, Updateable } from 'kysely';
import { containsText } from '../../platform/db/like.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { TicketCommentRow, TicketRow, TicketsTable } from './tickets.tables.ts';

export interface TicketFilter {
  status?: string;
  priority?: string;
  /** null = unassigned. */
  assigneeId?: string | null;
  q?: string;
  changedAfterMs?: number;
  beforeId?: string;
  limit: number;
}

/** Every query is scoped by tenant: the first argument, taken from the caller's principal. */
export function createTicketsRepo(db: Kysely<PlatformDatabase>) {
  return {
    find: (tenantId: string, id: string) =>
      db.selectFrom('tickets').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: TicketFilter) {
      let query = db.selectFrom('tickets').selectAll().where('tenant_id', '=', tenantId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.priority !== undefined) query = query.where('priority', '=', filter.priority);
      if (filter.assigneeId === null) query = query.where('assignee_id', 'is', null);
      else if (filter.assigneeId !== undefined) query = query.where('assignee_id', '=', filter.assigneeId);
      if (filter.q !== undefined) query = query.where((eb) => eb.or([containsText('title', filter.q!), containsText('description', filter.q!)]));
      if (filter.changedAfterMs !== undefined) query = query.where('updated_at', '>', filter.changedAfterMs);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    async insert(row: TicketRow): Promise<void> {
      await db.insertInto('tickets').values(row).execute();
    },

    async update(tenantId: string, id: string, changes: Updateable<TicketsTable>): Promise<void> {
      await db.updateTable('tickets').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    async delete(tenantId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('tickets').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    comments: (tenantId: string, ticketId: string, limit: number) =>
      db.selectFrom('ticket_comments').selectAll().where('tenant_id', '=', tenantId).where('ticket_id', '=', ticketId).orderBy('id', 'asc').limit(limit).execute(),

    async insertComment(row: TicketCommentRow): Promise<void> {
      await db.insertInto('ticket_comments').values(row).execute();
    },

    async touch(tenantId: string, id: string, now: number): Promise<void> {
      await db.updateTable('tickets').set({ updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    alertInTenant: async (tenantId: string, alertId: string) =>
      (await db.selectFrom('alerts').select('id').where('tenant_id', '=', tenantId).where('id', '=', alertId).executeTakeFirst()) !== undefined,

    vulnerabilityInTenant: async (tenantId: string, vulnerabilityId: string) =>
      (await db.selectFrom('vulnerabilities').select('id').where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).executeTakeFirst()) !== undefined,

    userInTenant: async (tenantId: string, userId: string) =>
      (await db.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst()) !== undefined,
  };
}

export type TicketsRepo = ReturnType<typeof createTicketsRepo>;
