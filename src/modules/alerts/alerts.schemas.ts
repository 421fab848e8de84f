import { Type, type Static } from 'typebox';
import { MAX_LIMIT, PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, ListParam, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { ALERT_STATUSES, OPEN_ALERT_STATUSES, SEVERITIES } from '../security-domain/vocabulary.ts';
import { TICKET_PRIORITIES } from '../tickets/tickets.schemas.ts';

export const Alert = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  severity: StringEnum(SEVERITIES),
  vendor_severity: NullableString({ description: 'The severity as the vendor reported it' }),
  source: Type.String(),
  asset: NullableString(),
  system_id: NullableId,
  system_name: NullableString({ description: 'The name of the system the alert belongs to' }),
  integration_id: NullableId,
  status: StringEnum(ALERT_STATUSES),
  first_seen: Timestamp,
  last_seen: Timestamp,
  occurrences: Type.Integer(),
  acknowledged_at: NullableTimestamp,
  acknowledged_by: NullableId,
  acknowledged_by_username: NullableString(),
  resolved_at: NullableTimestamp,
  resolved_by: NullableId,
  resolved_by_username: NullableString(),
  resolution_note: NullableString(),
  ticket_id: NullableString({ format: 'uuid', description: 'The ticket about this alert: its open one, else the most recent' }),
  updated_at: Timestamp,
});

/** Bulk actions and filters reach at most this many alerts per request. */
export const MAX_BULK = MAX_LIMIT;

const SeverityList = ListParam(StringEnum(SEVERITIES), { maxItems: SEVERITIES.length, description: 'One or more severities, comma-separated (critical,high) or repeated' });
const SystemIdList = ListParam(Id, { maxItems: 100, description: 'One or more system ids, comma-separated or repeated' });
const Q = Type.String({ minLength: 1, maxLength: 200, description: 'Text in the title, description, source or asset (case-insensitive)' });

const Filters = {
  severity: Type.Optional(SeverityList),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  system_id: Type.Optional(SystemIdList),
  q: Type.Optional(Q),
};
const Window = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Last seen at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Last seen before this instant' })),
};
const Since = { since: Type.Optional(Type.String({ format: 'date-time', description: 'Only alerts changed after this instant (for polling)' })) };

export const ListActiveAlertsQuery = Type.Object(
  {
    ...PageQuery, ...TenantQuery, ...Filters, ...Since,
    status: Type.Optional(ListParam(StringEnum(OPEN_ALERT_STATUSES), { maxItems: OPEN_ALERT_STATUSES.length, description: 'Only these open statuses' })),
  },
  { additionalProperties: false },
);
export const ListAlertsQuery = Type.Object(
  {
    ...PageQuery, ...TenantQuery, ...Filters, ...Since, ...Window,
    status: Type.Optional(ListParam(StringEnum(ALERT_STATUSES), { maxItems: ALERT_STATUSES.length, description: 'One or more statuses, comma-separated or repeated' })),
  },
  { additionalProperties: false },
);
export const AlertTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });

/** The resolution note's field is `resolution_note`, as the alert shows it; `note` is its older name. */
const NoteFields = {
  resolution_note: Type.Optional(Type.String({ maxLength: 5000, description: 'Why it is resolved; shown as the alert\'s resolution_note' })),
  note: Type.Optional(Type.String({ maxLength: 5000, deprecated: true, description: 'Deprecated: the former name of resolution_note (send one of the two)' })),
};
export const ResolveBody = Type.Object(NoteFields, { additionalProperties: false });
export const AcknowledgeBody = Type.Object({}, { additionalProperties: false, description: 'Nothing to send; a body, if any, must be empty' });

export const AlertTicketBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Default: the alert\'s severity and title' })),
    description: Type.Optional(Type.String({ maxLength: 20_000, description: 'Default: the alert\'s description, source, asset and id' })),
    priority: Type.Optional(StringEnum(TICKET_PRIORITIES, { description: 'Default: from the alert\'s severity' })),
    assignee_id: Type.Optional(NullableId),
  },
  { additionalProperties: false },
);

export const BulkBody = Type.Object(
  {
    action: StringEnum(['acknowledge', 'resolve'] as const),
    ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_BULK, uniqueItems: true, description: `Up to ${MAX_BULK} alert ids` })),
    filter: Type.Optional(Type.Object(
      {
        severity: Type.Optional(Type.Array(StringEnum(SEVERITIES), { minItems: 1, maxItems: SEVERITIES.length })),
        status: Type.Optional(Type.Array(StringEnum(OPEN_ALERT_STATUSES), { minItems: 1, maxItems: OPEN_ALERT_STATUSES.length })),
        system_id: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 100 })),
        source: Filters.source,
        q: Type.Optional(Q),
        ...Window,
      },
      { additionalProperties: false, description: `The alerts the action applies to (newest first, at most ${MAX_BULK} per request) that match every given field` },
    )),
    ...NoteFields,
  },
  { additionalProperties: false, description: 'Either ids or filter. The note is the resolution note when resolving and is kept in the audit log either way.' },
);

const SKIP_REASONS = ['not_found', 'already_acknowledged', 'already_resolved'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const BulkResult = Type.Object({
  action: StringEnum(['acknowledge', 'resolve'] as const),
  changed: Type.Array(Type.Object({ id: Id, status: StringEnum(ALERT_STATUSES) }), { description: 'The alerts this request changed' }),
  skipped: Type.Array(Type.Object({ id: Id, reason: StringEnum(SKIP_REASONS), detail: Type.String({ description: 'The reason in words, in the language Accept-Language asks for (Spanish or English)' }) }), { description: 'The alerts left as they were, and why' }),
  has_more: Type.Boolean({ description: `With a filter: more alerts matched than one request handles (${MAX_BULK}); send it again` }),
});

export const AlertPage = pageOf(Alert);

export type AlertView = Static<typeof Alert>;
export type ListAlertsInput = Static<typeof ListAlertsQuery>;
export type AlertTicketInput = Static<typeof AlertTicketBody>;
export type BulkInput = Static<typeof BulkBody>;
export type BulkResultView = Static<typeof BulkResult>;
