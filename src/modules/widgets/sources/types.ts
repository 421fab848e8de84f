/**
 * What a widget's data source is: the permission it needs, the JSON Schema of its params (the
 * catalog's `required_params`) and how it loads, by calling the service behind the matching API so
 * that a widget always shows that API's numbers.
 */
import type { Permission } from '../../../platform/auth/permissions.ts';
import { badRequest, fieldError, type FieldError, type FieldErrorCode } from '../../../platform/http/errors.ts';
import { say, type Localized } from '../../../platform/languages.ts';
import type { AlertsService } from '../../alerts/alerts.service.ts';
import type { AnalyticsService } from '../../analytics/analytics.service.ts';
import type { IntegrationsService } from '../../integrations/integrations.service.ts';
import type { OeeScope, ProductionService } from '../../production/production.service.ts';
import type { SystemsService } from '../../systems/systems.service.ts';
import type { PlantMetadata } from '../metadata-cache.ts';

export const WIDGET_TYPES = ['line_chart', 'bar_chart', 'stacked_bar', 'pie_chart', 'doughnut', 'gauge', 'kpi_card', 'table'] as const;
export type WidgetType = (typeof WIDGET_TYPES)[number];

export interface Dataset {
  label: string;
  data: (number | null)[];
  unit: string;
}

export type Cell = string | number | boolean | null;

/** Chart.js-ready series, one value with its comparison, or a table. */
export type WidgetData =
  | { shape: 'chart'; labels: string[]; datasets: Dataset[] }
  | { shape: 'value'; value: number | null; unit: string; previous: number | null; delta: number | null }
  | { shape: 'table'; columns: { key: string; label: string }[]; rows: Record<string, Cell>[] };

export interface ParamsSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
}

/** The services behind the APIs whose numbers widgets show. */
export interface WidgetSourceServices {
  production: ProductionService;
  systems: SystemsService;
  alerts: AlertsService;
  analytics: AnalyticsService;
  integrations: IntegrationsService;
}

export interface SourceContext {
  tenantId: string;
  services: WidgetSourceServices;
  /** The tenant's plant metadata, from the cache (loaded on first use). */
  metadata(): Promise<PlantMetadata>;
  /**
   * The answer of a service call made with the same arguments by another widget of the same
   * dashboard (the OEE cards and gauge ask for the same OEE), else `load`'s.
   */
  shared<T>(key: unknown[], load: () => Promise<T>): Promise<T>;
  /** The OEE reports of the dashboard's lines, shared by its widgets (the plant's OEE and each line's over one window). */
  oeeScope: OeeScope;
  now: number;
}

export interface DataSource {
  id: string;
  permission: Permission;
  params: ParamsSchema;
  /** `params` are valid for `params` (defaults applied). */
  load(context: SourceContext, params: Record<string, unknown>): Promise<WidgetData>;
}

export const chart = (labels: string[], datasets: Dataset[]): WidgetData => ({ shape: 'chart', labels, datasets });

export function paramsSchema(properties: ParamsSchema['properties'], required: string[] = []): ParamsSchema {
  return { type: 'object', properties, required, additionalProperties: false };
}

/** A parameter that is valid on its own but not with the others; its field error says `message` in English. */
export const paramProblem = (param: string, message: Localized, code: FieldErrorCode, params?: FieldError['params']) =>
  badRequest(say(`${param} ${message.en}`, `${param} ${message.es}`), [fieldError(param, message.en, code, params)]);

export const DAY_MS = 86_400_000;
/** Without `from`/`to` a window is the last 7 days up to now. */
export const DEFAULT_WINDOW_MS = 7 * DAY_MS;

export function windowOf(params: Record<string, unknown>, now: number): { from: number; to: number } {
  const to = typeof params.to === 'string' ? Date.parse(params.to) : now;
  const from = typeof params.from === 'string' ? Date.parse(params.from) : to - DEFAULT_WINDOW_MS;
  if (!(to > from)) throw paramProblem('to', say('must be after from', 'debe ser posterior a from'), 'after', { other: 'from' });
  return { from, to };
}
