import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

const Outcome = StringEnum(['success', 'failure', 'denied']);

export const AuditLog = Type.Object({
  id: Id,
  tenant_id: NullableString(),
  actor_id: NullableString(),
  actor_username: NullableString(),
  action: Type.String({ description: 'e.g. auth.login, ticket.create, permission.denied' }),
  resource_type: NullableString(),
  resource_id: NullableString(),
  outcome: Outcome,
  ip: NullableString(),
  user_agent: NullableString(),
  request_id: NullableString(),
  detail: Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], additionalProperties: true }),
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
    outcome: Type.Optional(Outcome),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after this instant' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this instant' })),
  },
  { additionalProperties: false },
);

export const AuditPage = pageOf(AuditLog);
export type ListAuditInput = Static<typeof ListAuditQuery>;
