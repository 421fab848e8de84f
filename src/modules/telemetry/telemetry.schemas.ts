import { Type, type Static } from 'typebox';
import { NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { MAX_LIMIT } from '../../platform/http/pagination.ts';
import { AGGREGATIONS, MAX_BATCH_POINTS } from './telemetry.service.ts';

const strict = { additionalProperties: false };
export const METRIC_PATTERN = '^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$';
export const LABEL_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$';
export const MAX_LABELS = 20;

export const Metric = Type.String({ pattern: METRIC_PATTERN, description: 'Metric name: a letter or _, then letters, digits, _ . : - (up to 200)' });
export const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object', propertyNames: { pattern: LABEL_KEY_PATTERN }, additionalProperties: { type: 'string', maxLength: 200 }, maxProperties: MAX_LABELS,
  description: `Up to ${MAX_LABELS} labels; keys a letter or _ then letters, digits, _ . - (up to 64), values up to 200 characters`,
});

export const TelemetryBatchBody = Type.Object({
  batch_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Idempotency key: a batch sent again with it is acknowledged and not stored twice' })),
  points: Type.Array(Type.Object({
    metric: Metric,
    value: Type.Number(),
    labels: Type.Optional(Labels),
    timestamp: Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'integer'], description: 'ISO 8601 time with its offset, or epoch milliseconds; default: when received' })),
  }, strict), { minItems: 1, maxItems: MAX_BATCH_POINTS }),
}, strict);

export const TelemetryIngestResult = Type.Object({
  batch_id: NullableString(),
  accepted: Type.Integer({ description: 'Points stored by this call (0 for a repeated batch)' }),
  duplicate: Type.Boolean({ description: 'The batch id was stored before: nothing was added' }),
});

const LabelsFilter = Type.String({ maxLength: 2000, description: 'Labels the series must have: a JSON object ({"host":"web-1"}) or key=value pairs separated by commas (host=web-1,env=prod)' });

export const TelemetryQuery = Type.Object({
  ...TenantQuery,
  metric: Type.String({ pattern: METRIC_PATTERN }),
  labels: Type.Optional(LabelsFilter),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: an hour before to' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
  step: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 86_400, description: 'Bucket size in seconds (default: 60); buckets are aligned to multiples of it' })),
  agg: Type.Optional(StringEnum(AGGREGATIONS, { default: 'avg', description: 'rate: the sum per second of the step (values as increments, like a count metric)' })),
}, strict);

export const TelemetryQueryResult = Type.Object({
  metric: Type.String(),
  agg: StringEnum(AGGREGATIONS),
  step: Type.Integer(),
  from: Timestamp,
  to: Timestamp,
  resolution: StringEnum(['raw', 'minute', 'hour'] as const, { description: 'Where the answer was read: raw points or rollups (same figures for aligned steps)' }),
  series: Type.Array(Type.Object({
    labels: Type.Record(Type.String(), Type.String()),
    points: Type.Array(Type.Object({ time: Timestamp, value: Type.Unsafe<number | null>({ type: ['number', 'null'] }) }), { description: 'Buckets that hold points, oldest first' }),
  })),
  truncated: Type.Boolean({ description: 'More series matched than one answer holds (100): narrow the labels' }),
});

export const ListSeriesQuery = Type.Object({
  ...TenantQuery,
  metric: Type.Optional(Type.String({ pattern: METRIC_PATTERN })),
  labels: Type.Optional(LabelsFilter),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
}, strict);

export const SeriesPage = Type.Object({
  items: Type.Array(Type.Object({ metric: Type.String(), labels: Type.Record(Type.String(), Type.String()), created_at: Timestamp })),
  next_cursor: NullableString(),
});

const Days = (description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1, maximum: 3650, description });
export const TelemetrySettings = Type.Object({
  max_series: Type.Integer({ description: 'Most series (metric + label set) the tenant may have' }),
  series_count: Type.Integer(),
  raw_retention_days: Type.Integer(),
  minute_retention_days: Type.Integer(),
  hour_retention_days: Type.Integer(),
});
export const UpdateTelemetrySettingsBody = Type.Object({
  max_series: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1, maximum: 10_000_000, description: 'null: the platform default' })),
  raw_retention_days: Type.Optional(Days('Raw points are kept this long; null: the platform default')),
  minute_retention_days: Type.Optional(Days('Minute rollups are kept this long')),
  hour_retention_days: Type.Optional(Days('Hour rollups are kept this long')),
}, { ...strict, minProperties: 1 });
export const TenantOnlyQuery = Type.Object(TenantQuery, strict);

export type TelemetryQueryInput = Static<typeof TelemetryQuery>;
