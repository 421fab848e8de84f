import { badRequest, notFound, type FieldError } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import type { TicketCommentRow, TicketRow } from './tickets.tables.ts';
import type { CommentDetailRow, TicketDetailRow, TicketsRepo } from './tickets.repo.ts';
import { OPEN_TICKET_STATUSES, type CreateTicketInput, type ListTicketsInput, type TicketView, type UpdateTicketInput } from './tickets.schemas.ts';

/** Comments returned with a ticket; a ticket with more is a conversation for another tool. */
const MAX_COMMENTS_SHOWN = 500;
const isDone = (status: string) => !(OPEN_TICKET_STATUSES as readonly string[]).includes(status);

export function ticketView(row: TicketDetailRow): TicketView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    title: row.title,
    description: row.description,
    status: row.status as TicketView['status'],
    priority: row.priority as TicketView['priority'],
    assignee_id: row.assignee_id,
    assignee_username: row.assignee_username,
    alert_id: row.alert_id,
    vulnerability_id: row.vulnerability_id,
    created_by: row.created_by,
    created_by_username: row.created_by_username,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    resolved_at: toIsoOrNull(row.resolved_at),
  };
}

const commentView = (row: CommentDetailRow) => ({
  id: row.id,
  ticket_id: row.ticket_id,
  author_id: row.author_id,
  author_username: row.author_username,
  body: row.body,
  created_at: toIso(row.created_at),
});

export function createTicketsService(repo: TicketsRepo) {
  async function get(tenantId: string, id: string): Promise<TicketDetailRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Ticket not found', 'No se ha encontrado el ticket'));
    return row;
  }

  /**
   * The assignee and the linked alert and vulnerability must all belong to the ticket's tenant.
   * Answers the assignee's username (null without one), which a new ticket's answer shows.
   */
  async function assertReferences(tenantId: string, input: { assignee_id?: string | null; alert_id?: string | null; vulnerability_id?: string | null }): Promise<string | null> {
    const errors: FieldError[] = [];
    const assigneeUsername = input.assignee_id == null ? null : await repo.usernameInTenant(tenantId, input.assignee_id);
    if (assigneeUsername === undefined) errors.push({ field: 'assignee_id', message: 'is not a user of this tenant', code: 'unknown_reference', params: { value: input.assignee_id! } });
    if (input.alert_id != null && !(await repo.alertInTenant(tenantId, input.alert_id))) errors.push({ field: 'alert_id', message: 'is not an alert of this tenant', code: 'unknown_reference', params: { value: input.alert_id } });
    if (input.vulnerability_id != null && !(await repo.vulnerabilityInTenant(tenantId, input.vulnerability_id))) errors.push({ field: 'vulnerability_id', message: 'is not a vulnerability of this tenant', code: 'unknown_reference', params: { value: input.vulnerability_id } });
    if (errors.length > 0) throw badRequest(say('The ticket refers to something this tenant does not have', 'El ticket hace referencia a algo que este cliente no tiene'), errors);
    return assigneeUsername ?? null;
  }

  return {
    async list(tenantId: string, input: ListTicketsInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, {
        limit,
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        ...(input.assignee_id !== undefined ? { assigneeId: input.assignee_id === 'none' ? null : input.assignee_id } : {}),
        ...(input.alert_id !== undefined ? { alertId: input.alert_id } : {}),
        ...(input.vulnerability_id !== undefined ? { vulnerabilityId: input.vulnerability_id } : {}),
        ...(input.q !== undefined ? { q: input.q } : {}),
        ...(input.since !== undefined ? { changedAfterMs: Date.parse(input.since) } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, ticketView);
    },

    async get(tenantId: string, id: string) {
      const row = await get(tenantId, id);
      const comments = await repo.comments(tenantId, id, MAX_COMMENTS_SHOWN);
      return { ...ticketView(row), comments: comments.map(commentView) };
    },

    async create(tenantId: string, principal: Principal, input: CreateTicketInput): Promise<TicketView> {
      const assigneeUsername = await assertReferences(tenantId, input);
      const now = Date.now();
      const status = input.status ?? 'open';
      const row: TicketRow = {
        id: newId(now),
        tenant_id: tenantId,
        title: input.title.trim(),
        description: input.description ?? '',
        status,
        priority: input.priority ?? 'medium',
        assignee_id: input.assignee_id ?? null,
        alert_id: input.alert_id ?? null,
        vulnerability_id: input.vulnerability_id ?? null,
        // A SUPER_ADMIN is not a user of the tenant; the audit log still names them.
        created_by: principal.tenantId === null ? null : principal.userId,
        created_at: now,
        updated_at: now,
        resolved_at: isDone(status) ? now : null,
      };
      await repo.insert(row);
      // Answered from what was written: reading the row back would cost a query per ticket (API
      // keys have no ticket scopes, so the creator is a signed-in user).
      return ticketView({ ...row, created_by_username: row.created_by === null ? null : principal.username, assignee_username: assigneeUsername });
    },

    /** The alert's open ticket, if it has one. */
    openTicketOfAlert: async (tenantId: string, alertId: string): Promise<TicketView | undefined> => {
      const row = await repo.openOfAlert(tenantId, alertId);
      return row === undefined ? undefined : ticketView(row);
    },

    async update(tenantId: string, id: string, input: UpdateTicketInput): Promise<TicketView> {
      const current = await get(tenantId, id);
      await assertReferences(tenantId, input);
      const now = Date.now();
      let resolvedAt = current.resolved_at;
      if (input.status !== undefined) resolvedAt = isDone(input.status) ? (current.resolved_at ?? now) : null;
      await repo.update(tenantId, id, {
        ...(input.title !== undefined ? { title: input.title.trim() } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        ...(input.assignee_id !== undefined ? { assignee_id: input.assignee_id } : {}),
        ...(input.alert_id !== undefined ? { alert_id: input.alert_id } : {}),
        ...(input.vulnerability_id !== undefined ? { vulnerability_id: input.vulnerability_id } : {}),
        resolved_at: resolvedAt,
        updated_at: now,
      });
      return ticketView(await get(tenantId, id));
    },

    async delete(tenantId: string, id: string): Promise<void> {
      if (!(await repo.delete(tenantId, id))) throw notFound(say('Ticket not found', 'No se ha encontrado el ticket'));
    },

    async addComment(tenantId: string, principal: Principal, ticketId: string, body: string) {
      await get(tenantId, ticketId);
      const now = Date.now();
      const row: TicketCommentRow = {
        id: newId(now),
        tenant_id: tenantId,
        ticket_id: ticketId,
        author_id: principal.tenantId === null ? null : principal.userId,
        body,
        created_at: now,
        updated_at: now,
      };
      await repo.insertComment(row);
      await repo.touch(tenantId, ticketId, now);
      return commentView({ ...row, author_username: row.author_id === null ? null : principal.username });
    },
  };
}

export type TicketsService = ReturnType<typeof createTicketsService>;
