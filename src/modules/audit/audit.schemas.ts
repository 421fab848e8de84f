import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const AuditLog = Type.Object({
  id: Id,
  tenant_id: NullableString,
  actor_id: NullableString,
  actor_username: NullableString,
  action: Type.String({ description: 'e.g. auth.login, ticket.create, permission.denied' }),
  resource_type: NullableString,
  resource_id: NullableString,
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]),
  ip: NullableString,
  user_agent: NullableString,
  request_id: NullableString,
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  created_at: Timestamp,
});

export const ListAuditQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    actor_id: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    resource_type: Type.Optional(Type.String({ maxLength: 64 })),
    resource_id: Type.Optional(Type.String({ maxLength: 64 })),
    outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after this instant' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this instant' })),
  },
  { additionalProperties: false },
);

export const AuditPage = pageOf(AuditLog);
export type ListAuditInput = Static<typeof ListAuditQuery>;
