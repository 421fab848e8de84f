import { Type, type Static, type TInteger } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { ASSET_STATUSES, INTEGRATION_TYPES, SEVERITIES, SYSTEM_STATUSES, type Severity } from '../security-domain/vocabulary.ts';

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

const OpenAlertCounts = Type.Object({
  ...(Object.fromEntries(SEVERITIES.map((severity) => [severity, Type.Integer()])) as Record<Severity, TInteger>),
  total: Type.Integer(),
}, { description: 'Open (active and acknowledged) alerts of the system by severity' });

export const System = Type.Object({
  id: Id,
  system: Type.String({ description: 'Name of the connected system (the integration\'s name)' }),
  type: StringEnum(INTEGRATION_TYPES),
  integration_id: Id,
  status: StringEnum(SYSTEM_STATUSES, { description: 'The worse of vendor_status and what its open alerts call for (the tenant\'s rules, GET /systems/settings)' }),
  vendor_status: StringEnum(SYSTEM_STATUSES, { description: 'The health the vendor reports for itself (`alert` when the last sync could not reach it)' }),
  status_set_by: StringEnum(['vendor', 'open_alerts'], { description: 'Which of the two set `status`' }),
  status_rule: Type.String({ description: 'The rule that set the status, in words' }),
  status_summary: NullableString({ description: 'What the vendor reported about its health at the last sync' }),
  open_alerts: OpenAlertCounts,
  alerts: Type.Array(AlertSummary, { description: 'Its most recent open alerts (at most 5)' }),
  metrics: Type.Object({
    uptime: Type.Unsafe<number | null>({
      type: ['number', 'null'], minimum: 0, maximum: 100,
      description: 'Availability, percent (two decimals) of the last `uptime_window_days` that syncs found the vendor reachable and healthy; null before the first sync',
    }),
    uptime_window_days: Type.Integer({ description: 'The window `uptime` is computed over' }),
    uptime_seconds: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'How long the vendor\'s own service has been running, seconds, when it reports it' }),
    vendor_api_latency_ms: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'Mean latency of Sentinel\'s calls to the vendor API during the last successful sync, ms' }),
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
const SettingsFields = {
  alert_severities: Type.Array(StringEnum(SEVERITIES), { uniqueItems: true, maxItems: SEVERITIES.length, description: 'An open alert of one of these severities makes its system `alert`' }),
  warning_severities: Type.Array(StringEnum(SEVERITIES), { uniqueItems: true, maxItems: SEVERITIES.length, description: 'An open alert of one of these makes it `warning`' }),
  uptime_window_days: Type.Integer({ minimum: 1, maximum: 365, description: 'The window of `metrics.uptime`, days' }),
};
export const SystemSettings = Type.Object({ ...SettingsFields, updated_at: NullableTimestamp, updated_by: NullableId });
export const UpdateSystemSettingsBody = Type.Object(
  { alert_severities: Type.Optional(SettingsFields.alert_severities), warning_severities: Type.Optional(SettingsFields.warning_severities), uptime_window_days: Type.Optional(SettingsFields.uptime_window_days) },
  { additionalProperties: false, minProperties: 1 },
);

export const SystemsTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });
export const SystemPage = pageOf(System);

export type SystemView = Static<typeof System>;
export type UpdateSystemSettingsInput = Static<typeof UpdateSystemSettingsBody>;
export type ListSystemsInput = Static<typeof ListSystemsQuery>;
