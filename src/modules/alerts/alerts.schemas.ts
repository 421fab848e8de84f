import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { ALERT_STATUSES, SEVERITIES } from '../security-domain/vocabulary.ts';

export const Alert = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  severity: StringEnum(SEVERITIES),
  vendor_severity: NullableString({ description: 'The severity as the vendor reported it' }),
  source: Type.String(),
  asset: NullableString(),
  system_id: NullableId,
  integration_id: NullableId,
  status: StringEnum(ALERT_STATUSES),
  first_seen: Timestamp,
  last_seen: Timestamp,
  occurrences: Type.Integer(),
  acknowledged_at: NullableTimestamp,
  acknowledged_by: NullableId,
  resolved_at: NullableTimestamp,
  resolved_by: NullableId,
  resolution_note: NullableString(),
  updated_at: Timestamp,
});

const Filters = {
  ...PageQuery,
  ...TenantQuery,
  severity: Type.Optional(StringEnum(SEVERITIES)),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  system_id: Type.Optional(Id),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only alerts changed after this instant (for polling)' })),
};

export const ListActiveAlertsQuery = Type.Object(Filters, { additionalProperties: false });
export const ListAlertsQuery = Type.Object(
  {
    ...Filters,
    status: Type.Optional(StringEnum(ALERT_STATUSES)),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Last seen at or after this instant' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Last seen before this instant' })),
  },
  { additionalProperties: false },
);
export const AlertTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });
export const ResolveBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false });
export const AlertPage = pageOf(Alert);

export type AlertView = Static<typeof Alert>;
export type ListAlertsInput = Static<typeof ListAlertsQuery>;
