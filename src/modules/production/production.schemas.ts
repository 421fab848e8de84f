import { Type, type Static } from 'typebox';
import { Id, NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { MAX_BATCH_DETECTIONS, MAX_DOWNTIME_WINDOW_DAYS, MAX_OEE_WINDOW_DAYS } from './production.service.ts';

/** Plant ids are the plant database's integer keys. */
const PlantId = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });
const NullableInteger = (options: object = {}) => Type.Unsafe<number | null>({ type: ['integer', 'null'], ...options });
const NullableNumber = (options: object = {}) => Type.Unsafe<number | null>({ type: ['number', 'null'], ...options });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Category = StringEnum(['planned', 'unplanned'] as const);
const AreaType = StringEnum(['input', 'process', 'output', 'reject'] as const);
const TimeOfDay = Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM, local time of the line' });
const Instant = (description: string) => Type.String({ format: 'date-time', description });

const strict = { additionalProperties: false } as const;
const patch = { additionalProperties: false, minProperties: 1 } as const;

export const TenantOnlyQuery = Type.Object(TenantQuery, strict);
export const LineParams = Type.Object({ line_id: PlantId('Production line id') }, strict);
export const AreaParams = Type.Object({ area_id: PlantId('Area id') }, strict);
export const ProductParams = Type.Object({ product_id: PlantId('Product id') }, strict);
export const ShiftParams = Type.Object({ shift_id: PlantId('Shift id') }, strict);
export const FilterParams = Type.Object({ filter_id: PlantId('Filter id') }, strict);
export const DowntimeParams = Type.Object({ line_id: PlantId('Production line id'), id: PlantId('Downtime event id') }, strict);
export const ReasonParams = Type.Object({ id: Id }, strict);

const items = <T extends ReturnType<typeof Type.Object>>(item: T) => Type.Object({ items: Type.Array(item) });

// Plant database

export const PlantDatabaseParams = Type.Object({ id: Id }, strict);

export const PlantDatabaseBody = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'postgres://… or mysql://… (mariadb://) of the client\'s plant database; write-only' })),
    mode: Type.Optional(Type.Literal('embedded', { description: 'Back to the embedded plant database (its data was kept)' })),
  },
  { ...strict, description: 'Exactly one of url and mode' },
);

export const PlantDatabase = Type.Object({
  tenant_id: Id,
  mode: StringEnum(['embedded', 'external'] as const),
  dialect: StringEnum(['sqlite', 'postgres', 'mysql'] as const),
  updated_at: NullableString({ format: 'date-time', description: 'When the URL was last set; null for the embedded database' }),
});

export const PlantReport = Type.Object({
  mode: StringEnum(['embedded', 'external'] as const),
  dialect: StringEnum(['sqlite', 'postgres', 'mysql'] as const),
  verified_at: Timestamp,
  tables: Type.Array(Type.Object({
    name: Type.String(),
    ok: Type.Boolean(),
    exists: Type.Boolean(),
    rows: NullableInteger({ description: 'Null when the table does not exist, and for detection tables (not counted)' }),
    missing_columns: Type.Array(Type.String()),
  })),
});

// Lines

export const Line = Type.Object({
  line_id: Type.Integer(),
  line_name: Type.String(),
  line_code: Type.String(),
  is_active: Type.Boolean(),
  ideal_cycle_seconds: NullableNumber(),
  downtime_threshold_seconds: Type.Integer(),
  timezone: Type.String(),
});
export const LineList = items(Line);

const lineFields = {
  line_code: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,32}$', description: 'Names the line\'s tables; fixed once they exist' })),
  is_active: Type.Optional(Type.Boolean()),
  ideal_cycle_seconds: Type.Optional(NullableNumber({ exclusiveMinimum: 0, maximum: 86_400 })),
  downtime_threshold_seconds: Type.Optional(NullableInteger({ minimum: 1, maximum: 86_400 })),
  timezone: Type.Optional(NullableString({ maxLength: 64, description: 'IANA time zone; null = the tenant\'s' })),
};
export const CreateLineBody = Type.Object({ line_name: Name, ...lineFields }, strict);
export const UpdateLineBody = Type.Object({ line_name: Type.Optional(Name), ...lineFields }, patch);

// Areas

export const Area = Type.Object({ area_id: Type.Integer(), line_id: Type.Integer(), area_name: Type.String(), area_type: AreaType });
export const AreaList = items(Area);
export const ListAreasQuery = Type.Object({ ...TenantQuery, line_id: Type.Optional(PlantId('Only this line\'s areas')) }, strict);
export const CreateAreaBody = Type.Object({ line_id: PlantId('Line of the area'), area_name: Name, area_type: AreaType }, strict);
export const UpdateAreaBody = Type.Object({ line_id: Type.Optional(PlantId('Line of the area')), area_name: Type.Optional(Name), area_type: Type.Optional(AreaType) }, patch);

// Products

export const Product = Type.Object({ product_id: Type.Integer(), product_name: Type.String(), product_code: Type.String(), ideal_cycle_seconds: NullableNumber() });
export const ProductList = items(Product);
const cycle = Type.Optional(NullableNumber({ exclusiveMinimum: 0, maximum: 86_400, description: 'Seconds per piece at the ideal rate; overrides the line\'s' }));
export const CreateProductBody = Type.Object({ product_name: Name, product_code: Name, ideal_cycle_seconds: cycle }, strict);
export const UpdateProductBody = Type.Object({ product_name: Type.Optional(Name), product_code: Type.Optional(Name), ideal_cycle_seconds: cycle }, patch);

// Shifts

export const Shift = Type.Object({
  shift_id: Type.Integer(),
  shift_name: Type.String(),
  start_time: Type.String(),
  end_time: Type.String(),
  line_id: NullableInteger({ description: 'Null: every line works this shift' }),
  is_active: Type.Boolean(),
});
export const ShiftList = items(Shift);
export const ListShiftsQuery = Type.Object({ ...TenantQuery, line_id: Type.Optional(PlantId('The shifts this line works')) }, strict);
const shiftLine = Type.Optional(NullableInteger({ minimum: 1, description: 'Null: every line' }));
export const CreateShiftBody = Type.Object({ shift_name: Name, start_time: TimeOfDay, end_time: TimeOfDay, line_id: shiftLine, is_active: Type.Optional(Type.Boolean()) }, strict);
export const UpdateShiftBody = Type.Object({
  shift_name: Type.Optional(Name), start_time: Type.Optional(TimeOfDay), end_time: Type.Optional(TimeOfDay), line_id: shiftLine, is_active: Type.Optional(Type.Boolean()),
}, patch);

// Filters

export const Filter = Type.Object({ filter_id: Type.Integer(), filter_name: Type.String(), filter_status: Type.Boolean(), default_value: Type.Unknown(), additional_filter: Type.Unknown() });
export const FilterList = items(Filter);
export const CreateFilterBody = Type.Object({ filter_name: Name, filter_status: Type.Optional(Type.Boolean()), default_value: Type.Optional(Type.Unknown()), additional_filter: Type.Optional(Type.Unknown()) }, strict);
export const UpdateFilterBody = Type.Object({
  filter_name: Type.Optional(Name), filter_status: Type.Optional(Type.Boolean()), default_value: Type.Optional(Type.Unknown()), additional_filter: Type.Optional(Type.Unknown()),
}, patch);

// Detections

export const DetectionBatchBody = Type.Object(
  {
    batch_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Idempotency key: a batch sent again with it is acknowledged and not counted twice' })),
    detections: Type.Array(
      Type.Object({
        detected_at: Type.Unsafe<string | number>({ type: ['string', 'integer'], description: 'ISO 8601 time with its offset, or epoch milliseconds' }),
        area_id: PlantId('An area of this line'),
        product_id: Type.Optional(NullableInteger({ minimum: 1 })),
        quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
      }, strict),
      { minItems: 1, maxItems: MAX_BATCH_DETECTIONS },
    ),
  },
  strict,
);

export const IngestResult = Type.Object({
  batch_id: NullableString(),
  accepted: Type.Integer({ description: 'Detections stored by this call (0 for a repeated batch)' }),
  duplicate: Type.Boolean({ description: 'The batch id was stored before: nothing was added' }),
});

export const ListDetectionsQuery = Type.Object(
  {
    ...TenantQuery,
    from: Type.Optional(Instant('Detections at or after this instant')),
    to: Type.Optional(Instant('Detections before this instant')),
    area_id: Type.Optional(PlantId('Only this area')),
    product_id: Type.Optional(PlantId('Only this product')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);

export const DetectionPage = Type.Object({
  items: Type.Array(Type.Object({ detection_id: Type.Integer(), detected_at: Timestamp, area_id: Type.Integer(), product_id: NullableInteger(), quantity: Type.Integer() })),
  next_cursor: NullableString(),
});

// Downtime

export const Downtime = Type.Object({
  id: NullableInteger({ description: 'Null for a stop not stored yet (stored when the line\'s downtime is next settled)' }),
  line_id: Type.Integer(),
  start: Timestamp,
  end: NullableString({ format: 'date-time', description: 'Null while the stop lasts' }),
  duration_seconds: NullableInteger(),
  category: Category,
  reason: NullableString(),
  comment: NullableString(),
  source: StringEnum(['auto', 'manual'] as const),
});
export const DowntimeList = items(Downtime);

export const ListDowntimeQuery = Type.Object(
  {
    ...TenantQuery,
    from: Type.Optional(Instant(`Default: 24 hours before to; at most ${MAX_DOWNTIME_WINDOW_DAYS} days before it`)),
    to: Type.Optional(Instant('Default: now')),
    category: Type.Optional(Category),
  },
  strict,
);

export const ClassifyDowntimeBody = Type.Object(
  {
    reason: Type.Optional(NullableString({ minLength: 1, maxLength: 200, description: 'Once the tenant has a reason list, one of it; its category applies unless category is given' })),
    category: Type.Optional(Category),
    comment: Type.Optional(NullableString({ maxLength: 2000 })),
  },
  patch,
);

export const DowntimeReason = Type.Object({ id: Id, reason: Type.String(), category: Category, created_at: Timestamp });
export const DowntimeReasonList = items(DowntimeReason);
export const CreateDowntimeReasonBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }), category: Category }, strict);

// OEE and status

const OeeFigures = {
  planned_seconds: Type.Number(),
  downtime_seconds: Type.Number(),
  run_seconds: Type.Number(),
  total_count: Type.Integer(),
  good_count: Type.Integer(),
  reject_count: Type.Integer(),
  availability: NullableNumber(),
  performance: NullableNumber(),
  quality: NullableNumber(),
  oee: NullableNumber(),
  performance_exceeds_ideal: Type.Boolean(),
  stops: Type.Integer(),
  mttr_seconds: NullableNumber(),
  mtbf_seconds: NullableNumber(),
};

export const OeeQuery = Type.Object(
  {
    ...TenantQuery,
    line_id: Type.Optional(PlantId('One line; without it, every active line together (they must share a time zone)')),
    from: Instant(`Start of the window; at most ${MAX_OEE_WINDOW_DAYS} days before to`),
    to: Instant('End of the window (exclusive)'),
    group_by: Type.Optional(StringEnum(['none', 'hour', 'shift', 'day', 'week', 'month'] as const, { default: 'none' })),
  },
  strict,
);

export const Oee = Type.Object({
  line_id: NullableInteger(),
  from: Timestamp,
  to: Timestamp,
  timezone: Type.String(),
  totals: Type.Object(OeeFigures),
  buckets: Type.Array(Type.Object({
    ...OeeFigures,
    start: Timestamp,
    end: Timestamp,
    label: Type.String(),
    shift: Type.Optional(Type.Object({ id: Type.Unsafe<string | number>({ type: ['string', 'integer'] }), name: Type.String(), date: Type.String() })),
  })),
});

export const LineStatus = Type.Object({
  line_id: Type.Integer(),
  line_name: Type.String(),
  timezone: Type.String(),
  state: StringEnum(['running', 'stopped', 'outside_shift'] as const),
  since: NullableString({ format: 'date-time' }),
  shift: Type.Unsafe<{ shift_id: string | number; shift_name: string; start: string; end: string } | null>({
    type: ['object', 'null'],
    properties: { shift_id: { type: ['string', 'integer'] }, shift_name: { type: 'string' }, start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } },
  }),
  last_output_at: NullableString({ format: 'date-time' }),
  today: Type.Unsafe<Record<string, unknown> | null>({
    type: ['object', 'null'],
    properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, ...OeeFigures },
  }),
});

export type ListDetectionsInput = Static<typeof ListDetectionsQuery>;
