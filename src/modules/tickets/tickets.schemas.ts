import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

export const TICKET_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
/** Tickets still being worked on; the others are done. */
export const OPEN_TICKET_STATUSES: readonly (typeof TICKET_STATUSES)[number][] = ['open', 'in_progress'];

const Status = StringEnum(TICKET_STATUSES);
const Priority = StringEnum(TICKET_PRIORITIES);

export const Comment = Type.Object({
  id: Id,
  ticket_id: Id,
  author_id: NullableId,
  author_username: NullableString(),
  body: Type.String(),
  created_at: Timestamp,
});

export const Ticket = Type.Object({
  id: Id,
  tenant_id: Id,
  title: Type.String(),
  description: Type.String(),
  status: Status,
  priority: Priority,
  assignee_id: NullableId,
  assignee_username: NullableString(),
  alert_id: NullableId,
  vulnerability_id: NullableId,
  created_by: NullableId,
  created_by_username: NullableString(),
  created_at: Timestamp,
  updated_at: Timestamp,
  resolved_at: NullableTimestamp,
});

export const TicketDetail = Type.Object({ ...Ticket.properties, comments: Type.Array(Comment) });


export const CreateTicketBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    status: Type.Optional(Status),
    priority: Type.Optional(Priority),
    assignee_id: Type.Optional(NullableId),
    alert_id: Type.Optional(NullableString({ format: 'uuid', description: 'Link to an alert of the tenant' })),
    vulnerability_id: Type.Optional(NullableString({ format: 'uuid', description: 'Link to a vulnerability of the tenant' })),
  },
  { additionalProperties: false },
);

export const UpdateTicketBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    status: Type.Optional(Status),
    priority: Type.Optional(Priority),
    assignee_id: Type.Optional(NullableId),
    alert_id: Type.Optional(NullableString({ format: 'uuid' })),
    vulnerability_id: Type.Optional(NullableString({ format: 'uuid' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CreateCommentBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false });

export const ListTicketsQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    status: Type.Optional(Status),
    priority: Type.Optional(Priority),
    assignee_id: Type.Optional(Type.Union([Id, Type.Literal('none')], { description: 'A user id, or "none" for unassigned' })),
    alert_id: Type.Optional(Type.String({ format: 'uuid', description: 'Only tickets about this alert' })),
    vulnerability_id: Type.Optional(Type.String({ format: 'uuid', description: 'Only tickets about this vulnerability' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text in the title or description' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only tickets changed after this instant' })),
  },
  { additionalProperties: false },
);

export const TicketTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });

export const TicketPage = pageOf(Ticket);

export type TicketView = Static<typeof Ticket>;
export type CreateTicketInput = Static<typeof CreateTicketBody>;
export type UpdateTicketInput = Static<typeof UpdateTicketBody>;
export type ListTicketsInput = Static<typeof ListTicketsQuery>;
