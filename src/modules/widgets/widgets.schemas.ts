import { Type } from 'typebox';
import { TENANT_ROLES } from '../../platform/auth/permissions.ts';
import { FieldErrorItem, Id, NullableId, NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { FILTER_TYPES } from './filters.ts';
import { WIDGET_TYPES } from './sources/types.ts';
import { GRID_COLUMNS, type WidgetProblem } from './widgets.service.ts';

const strict = { additionalProperties: false } as const;
const NullableNumber = Type.Unsafe<number | null>({ type: ['number', 'null'] });
const AnyValue = Type.Unsafe<unknown>({ description: 'Any JSON value' });
const JsonObject = Type.Record(Type.String(), AnyValue);

const WidgetId = Type.String({ pattern: '^[a-z0-9_]{1,64}$', description: 'Widget id of the catalog' });
export const WidgetParams = Type.Object({ widget_id: WidgetId }, strict);
export const TemplateParams = Type.Object({ id: Id }, strict);
export const TenantOnlyQuery = Type.Object(TenantQuery, strict);

export const Widget = Type.Object({
  widget_id: Type.String(),
  widget_name: Type.String(),
  widget_type: StringEnum(WIDGET_TYPES),
  description: Type.String(),
  data_source: Type.String(),
  required_params: Type.Unsafe<object>({ type: 'object', additionalProperties: true, description: 'JSON Schema of the widget\'s params' }),
  default_size: Type.Object({ w: Type.Integer(), h: Type.Integer() }),
});
export const WidgetList = Type.Object({ items: Type.Array(Widget) });

export const WidgetDataQuery = Type.Object(
  { ...TenantQuery, format: Type.Optional(StringEnum(['json', 'csv'] as const, { default: 'json', description: 'csv: the data as a CSV file' })) },
  { additionalProperties: true, description: 'Any other parameter is a widget parameter, checked against its required_params' },
);

/** The data of one widget: `labels`/`datasets` (charts), `value`… (cards and gauges) or `columns`/`rows` (tables), by `shape`. */
const dataFields = {
  widget_type: StringEnum(WIDGET_TYPES),
  shape: StringEnum(['chart', 'value', 'table'] as const),
  labels: Type.Optional(Type.Array(Type.String())),
  datasets: Type.Optional(Type.Array(Type.Object({ label: Type.String(), data: Type.Array(NullableNumber), unit: Type.String() }))),
  value: Type.Optional(NullableNumber),
  unit: Type.Optional(Type.String()),
  previous: Type.Optional(NullableNumber),
  delta: Type.Optional(NullableNumber),
  columns: Type.Optional(Type.Array(Type.Object({ key: Type.String(), label: Type.String() }))),
  rows: Type.Optional(Type.Array(JsonObject)),
};
export const WidgetData = Type.Object({ widget_id: Type.String(), params: JsonObject, ...dataFields });

const LayoutItem = Type.Object({
  widget_id: WidgetId,
  x: Type.Integer({ minimum: 0, maximum: GRID_COLUMNS - 1 }),
  y: Type.Integer({ minimum: 0, maximum: 1000 }),
  w: Type.Integer({ minimum: 1, maximum: GRID_COLUMNS }),
  h: Type.Integer({ minimum: 1, maximum: 50 }),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  params: Type.Optional(Type.Record(Type.String(), AnyValue, { default: {}, description: 'Checked against the widget\'s required_params; the dashboard\'s filters supply the rest' })),
}, strict);

export const Template = Type.Object({
  template_id: Id,
  tenant_id: NullableId,
  role: Type.String(),
  name: Type.String(),
  layout: Type.Array(Type.Object({
    widget_id: Type.String(), x: Type.Integer(), y: Type.Integer(), w: Type.Integer(), h: Type.Integer(), title: Type.Optional(Type.String()), params: JsonObject,
  })),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const TemplateList = Type.Object({ items: Type.Array(Template) });

const Role = StringEnum(TENANT_ROLES);
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Layout = Type.Array(LayoutItem, { maxItems: 50 });
export const CreateTemplateBody = Type.Object({ role: Role, name: Name, layout: Layout }, strict);
export const UpdateTemplateBody = Type.Object({ role: Type.Optional(Role), name: Type.Optional(Name), layout: Type.Optional(Layout) }, { ...strict, minProperties: 1 });

export const DashboardDataQuery = Type.Object(TenantQuery, { additionalProperties: true, description: 'Filter values (line_id, from, to …): each widget takes those it has a parameter for' });

const WidgetProblemSchema = Type.Unsafe<WidgetProblem | null>({
  type: ['object', 'null'],
  properties: {
    status: { type: 'integer' }, title: { type: 'string' }, detail: { type: ['string', 'null'] },
    errors: { type: 'array', items: FieldErrorItem },
  },
  description: 'Why this widget has no data (the others still do)',
});

export const DashboardData = Type.Object({
  template_id: Id,
  name: Type.String(),
  role: Type.String(),
  filters: JsonObject,
  widgets: Type.Array(Type.Object({
    widget_id: Type.String(),
    widget_type: NullableString(),
    x: Type.Integer(), y: Type.Integer(), w: Type.Integer(), h: Type.Integer(),
    title: Type.String(),
    params: JsonObject,
    data: Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], properties: dataFields }),
    error: WidgetProblemSchema,
  })),
});

const FilterOption = Type.Object({
  value: Type.Unsafe<string | number>({ type: ['string', 'number'] }),
  label: Type.String(),
  line_id: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'] })),
});
export const FilterList = Type.Object({
  timezone: Type.String(),
  items: Type.Array(Type.Object({
    filter_id: Type.Integer(),
    name: Type.String(),
    type: StringEnum(FILTER_TYPES),
    params: Type.Array(Type.String(), { description: 'Widget parameters the filter sets' }),
    required: Type.Boolean(),
    show_time: Type.Boolean(),
    default: Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], additionalProperties: true, description: 'Parameter values to start with; dates in the tenant\'s time zone' }),
    options: Type.Unsafe<unknown[] | null>({ type: ['array', 'null'], items: FilterOption }),
  })),
});

export const UserQueriesQuery = Type.Object({
  ...TenantQuery,
  order: Type.Optional(StringEnum(['newest', 'slowest'] as const, { default: 'newest' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  widget_id: Type.Optional(WidgetId),
  template_id: Type.Optional(Id),
  user_id: Type.Optional(Id),
}, strict);

export const UserQueries = Type.Object({
  items: Type.Array(Type.Object({
    id: Id,
    user_id: NullableId,
    username: Type.String(),
    widget_id: NullableString(),
    template_id: NullableId,
    params: JsonObject,
    duration_ms: Type.Number(),
    rows: Type.Integer(),
    cache_hit: Type.Unsafe<boolean | null>({ type: ['boolean', 'null'], description: 'Whether the plant metadata came from the cache; null when none was needed' }),
    created_at: Timestamp,
  })),
});
