import type { Kysely, Updateable } from 'kysely';
import { containsText } from '../../platform/db/like.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { TicketCommentRow, TicketRow, TicketsTable } from './tickets.tables.ts';
import { OPEN_TICKET_STATUSES } from './tickets.schemas.ts';

export interface TicketFilter {
  status?: string;
  priority?: string;
  /** null = unassigned. */
  assigneeId?: string | null;
  alertId?: string;
  vulnerabilityId?: string;
  q?: string;
  changedAfterMs?: number;
  beforeId?: string;
  limit: number;
}

/** A ticket with the usernames of the users it refers to. */
export type TicketDetailRow = TicketRow & { created_by_username: string | null; assignee_username: string | null };
export type CommentDetailRow = TicketCommentRow & { author_username: string | null };

/** Every query is scoped by tenant: the first argument, taken from the caller's principal. */
export function createTicketsRepo(db: Kysely<PlatformDatabase>) {
  const detailed = (tenantId: string) =>
    db
      .selectFrom('tickets as t')
      .leftJoin('users as creator', 'creator.id', 't.created_by')
      .leftJoin('users as assignee', 'assignee.id', 't.assignee_id')
      .selectAll('t')
      .select(['creator.username as created_by_username', 'assignee.username as assignee_username'])
      .where('t.tenant_id', '=', tenantId);

  return {
    find: (tenantId: string, id: string): Promise<TicketDetailRow | undefined> => detailed(tenantId).where('t.id', '=', id).executeTakeFirst(),

    /** The alert's open ticket (the most recent, should there be several). */
    openOfAlert: (tenantId: string, alertId: string): Promise<TicketDetailRow | undefined> =>
      detailed(tenantId).where('t.alert_id', '=', alertId).where('t.status', 'in', OPEN_TICKET_STATUSES).orderBy('t.id', 'desc').limit(1).executeTakeFirst(),

    list(tenantId: string, filter: TicketFilter): Promise<TicketDetailRow[]> {
      let query = detailed(tenantId);
      if (filter.status !== undefined) query = query.where('t.status', '=', filter.status);
      if (filter.priority !== undefined) query = query.where('t.priority', '=', filter.priority);
      if (filter.assigneeId === null) query = query.where('t.assignee_id', 'is', null);
      else if (filter.assigneeId !== undefined) query = query.where('t.assignee_id', '=', filter.assigneeId);
      if (filter.alertId !== undefined) query = query.where('t.alert_id', '=', filter.alertId);
      if (filter.vulnerabilityId !== undefined) query = query.where('t.vulnerability_id', '=', filter.vulnerabilityId);
      if (filter.q !== undefined) query = query.where((eb) => eb.or([containsText('t.title', filter.q!), containsText('t.description', filter.q!)]));
      if (filter.changedAfterMs !== undefined) query = query.where('t.updated_at', '>', filter.changedAfterMs);
      if (filter.beforeId !== undefined) query = query.where('t.id', '<', filter.beforeId);
      return query.orderBy('t.id', 'desc').limit(filter.limit + 1).execute();
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

    comments: (tenantId: string, ticketId: string, limit: number): Promise<CommentDetailRow[]> =>
      db
        .selectFrom('ticket_comments as c')
        .leftJoin('users as author', 'author.id', 'c.author_id')
        .selectAll('c')
        .select('author.username as author_username')
        .where('c.tenant_id', '=', tenantId)
        .where('c.ticket_id', '=', ticketId)
        .orderBy('c.id', 'asc')
        .limit(limit)
        .execute(),

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

    /** The username of a user of the tenant, or undefined when the tenant has no such user. */
    usernameInTenant: async (tenantId: string, userId: string) =>
      (await db.selectFrom('users').select('username').where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst())?.username,
  };
}

export type TicketsRepo = ReturnType<typeof createTicketsRepo>;
