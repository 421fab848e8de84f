import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { ASSET_STATUSES, INTEGRATION_TYPES, SEVERITIES, SYSTEM_STATUSES } from '../security-domain/vocabulary.ts';

export const SystemStatusCounts = Type.Object({
  online: Type.Integer(),
  warning: Type.Integer(),
  alert: Type.Integer(),
  total: Type.Integer(),
});

const AlertSummary = Type.Object({
  id: Id,
  title: Type.String(),
  last_seen: Timestamp,
  severity: StringEnum(SEVERITIES),
  source: Type.String(),
});

export const System = Type.Object({
  id: Id,
  system: Type.String({ description: 'Name of the connected system (the integration\'s name)' }),
  type: StringEnum(INTEGRATION_TYPES),
  integration_id: Id,
  status: StringEnum(SYSTEM_STATUSES),
  status_summary: NullableString({ description: 'Why the status is what it is' }),
  alerts: Type.Array(AlertSummary, { description: 'Its most recent open alerts (at most 5)' }),
  metrics: Type.Object({
    uptime: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'Seconds, when the vendor reports it' }),
    response_time_avg: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'Mean vendor response time of the last sync, ms' }),
  }),
  last_seen: NullableTimestamp,
});

export const Asset = Type.Object({
  id: Id,
  external_id: Type.String(),
  name: Type.String(),
  kind: Type.String({ description: 'agent, device, host, target, firewall, datasource …' }),
  status: StringEnum(ASSET_STATUSES),
  detail: Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], additionalProperties: true }),
  last_seen: Timestamp,
});

export const SystemDetail = Type.Object({ ...System.properties, assets: Type.Array(Asset) });

export const ListSystemsQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    status: Type.Optional(StringEnum(SYSTEM_STATUSES)),
    type: Type.Optional(StringEnum(INTEGRATION_TYPES)),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only systems changed after this instant (for polling)' })),
  },
  { additionalProperties: false },
);
export const SystemsTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });
export const SystemPage = pageOf(System);

export type SystemView = Static<typeof System>;
export type ListSystemsInput = Static<typeof ListSystemsQuery>;
