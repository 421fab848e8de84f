import { WIDGETS } from '../../widgets/catalog.ts';
import type { WidgetProblem } from '../../widgets/widgets.service.ts';
import { fieldErrorSentence } from '../../../platform/http/field-error-text.ts';
import { dateTimeFormat, type MessageKey, numberFormat, saidByCodes } from '../i18n.ts';
import { chart, type ChartSpec } from './charts.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { icon, severityBadge, statusBadge, table } from './layout.ts';

/** A widget's data as the engine gives it (GET /dashboards/{id}/data, GET /widgets/{id}/data). */
export interface WidgetDataView {
  widget_type: string;
  shape: 'chart' | 'value' | 'table';
  labels?: string[];
  datasets?: Array<{ label: string; data: Array<number | null>; unit: string }>;
  value?: number | null;
  unit?: string;
  previous?: number | null;
  delta?: number | null;
  columns?: Array<{ key: string; label: string }>;
  rows?: Array<Record<string, unknown>>;
}

export interface WidgetView {
  widget_id: string;
  title: string;
  data: WidgetDataView | null;
  error: WidgetProblem | null;
}

/** A placed widget: its cell on the 12-column grid. */
export interface PlacedWidget extends WidgetView {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The catalog's own widget names, to tell them (translated) from titles a template set (kept as written). */
const CATALOG_NAMES = new Map(WIDGETS.map((widget) => [widget.widget_id, widget.widget_name]));

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A translation when there is one (catalog names, severities, statuses), else the text as it came. */
function translated(view: ViewContext, key: string, fallback: string): string {
  return view.t(key as MessageKey) ?? fallback;
}

/**
 * The words the widget engine names its series and units with (English, from its sources); other
 * names (a Grafana series, a line, a reason) are the tenant's and stay as they came.
 */
const ENGINE_SERIES: Record<string, MessageKey> = {
  OEE: 'series.oee', Availability: 'series.availability', Performance: 'series.performance', Quality: 'series.quality',
  Good: 'series.good', Rejects: 'series.rejects', Downtime: 'series.downtime', Cumulative: 'series.cumulative', Target: 'series.target', Actual: 'series.actual',
  Systems: 'series.systems', Alerts: 'series.alerts', 'Mean time to acknowledge': 'series.time_to_acknowledge', 'Mean time to resolve': 'series.time_to_resolve',
  'Open vulnerabilities': 'series.open_vulnerabilities',
};
const ENGINE_UNITS: Record<string, MessageKey> = {
  pcs: 'unit.pcs', s: 'unit.s', ratio: 'unit.ratio', systems: 'unit.systems', alerts: 'unit.alerts', vulnerabilities: 'unit.vulnerabilities',
};
/** Category labels the engine itself writes (the Pareto's stops without a reason). */
const ENGINE_LABELS: Record<string, MessageKey> = { Unclassified: 'series.unclassified' };

const engineWord = (view: ViewContext, words: Record<string, MessageKey>, text: string) => (Object.hasOwn(words, text) ? view.t(words[text]!) : text);

/** Chart labels as the user reads them: severities, statuses and the engine's words translated, instants in the tenant's zone. */
function chartLabel(view: ViewContext, labelText: string): string {
  if (ISO_INSTANT.test(labelText)) {
    return dateTimeFormat(view.language, view.timeZone, 'short').format(new Date(labelText));
  }
  return view.t(`severity.${labelText}` as MessageKey) ?? view.t(`status.${labelText}` as MessageKey) ?? engineWord(view, ENGINE_LABELS, labelText);
}

/** A series' name and unit (for the legend) in the page's language; a severity names the series of the incidents trend. */
function seriesOf(view: ViewContext, dataset: { label: string; data: Array<number | null>; unit: string }) {
  const label = Object.hasOwn(ENGINE_SERIES, dataset.label) ? view.t(ENGINE_SERIES[dataset.label]!) : chartLabel(view, dataset.label);
  return { ...dataset, label, unit: engineWord(view, ENGINE_UNITS, dataset.unit) };
}

const numbers = (view: ViewContext, digits: number) => numberFormat(view.language, digits);

/** A card's value: ratios as percentages, other numbers with their unit. */
function formatValue(view: ViewContext, value: number | null | undefined, unit: string | undefined): string {
  if (value === null || value === undefined) return '—';
  if (unit === 'ratio') return `${numbers(view, 1).format(value * 100)} %`;
  return `${numbers(view, 2).format(value)}${unit ? ` ${unit}` : ''}`;
}

/** A change as shown: ratios in percentage points (1 decimal), other numbers with 2; one that rounds to 0 has no sign. */
function formatDelta(view: ViewContext, delta: number, unit: string | undefined): string {
  const ratio = unit === 'ratio';
  const digits = ratio ? 1 : 2;
  const size = Number(Math.abs(ratio ? delta * 100 : delta).toFixed(digits));
  const text = `${size === 0 ? '±' : delta > 0 ? '+' : '−'}${numbers(view, digits).format(size)}`;
  return ratio ? `${text} ${view.t('widget.points')}` : `${text}${unit ? ` ${unit}` : ''}`;
}

function valueBody(view: ViewContext, title: string, data: WidgetDataView): Html {
  const { t } = view;
  const delta = data.delta ?? null;
  const trend = delta === null ? '' : h`<p class="flex items-center gap-1 text-sm font-medium ${delta >= 0 ? 'text-green-700 dark:text-green-400' : 'text-red-700 dark:text-red-400'}" data-delta="${delta}">
    ${icon(delta >= 0 ? 'trending_up' : 'trending_down', 'text-[18px]')}${formatDelta(view, delta, data.unit)}</p>`;
  const previous = h`<p class="text-xs text-text-sub dark:text-slate-400">${t('widget.previous', { value: formatValue(view, data.previous, data.unit) })}</p>`;
  const figure = h`<p class="text-3xl font-bold" data-value="${data.value ?? ''}">${formatValue(view, data.value, data.unit)}</p>`;
  if (data.widget_type === 'gauge') {
    const spec: ChartSpec = { widget_type: 'gauge', value: data.value ?? null, max: data.unit === 'ratio' ? 1 : Math.max(data.value ?? 0, data.previous ?? 0, 1) };
    return h`<div class="flex min-h-0 flex-1 flex-col items-center justify-end">
      ${chart(spec, `${title}: ${formatValue(view, data.value, data.unit)}`, 'h-28 w-full md:h-auto md:min-h-0 md:flex-1')}
      <div class="-mt-6 text-center">${figure}${trend}${previous}</div>
    </div>`;
  }
  return h`<div class="flex flex-1 flex-col justify-center gap-1">${figure}${trend}${previous}</div>`;
}

function cellText(view: ViewContext, key: string, value: unknown): Html | string {
  if (value === null || value === undefined || value === '') return '—';
  if (key === 'severity' && typeof value === 'string') return severityBadge(view, value);
  if (key === 'status' && typeof value === 'string') return statusBadge(view, value);
  if (typeof value === 'string' && ISO_INSTANT.test(value)) return chartLabel(view, value);
  if (typeof value === 'number') return numbers(view, 2).format(value);
  return String(value);
}

function tableBody(view: ViewContext, data: WidgetDataView): Html {
  // Ids mean nothing to a reader; every other column shows.
  const columns = (data.columns ?? []).filter((column) => column.key !== 'id');
  const rows = (data.rows ?? []).map((row) => h`<tr>${columns.map((column) => h`<td class="px-4 py-2 align-top">${cellText(view, column.key, row[column.key])}</td>`)}</tr>`);
  return h`<div class="min-h-0 flex-1 overflow-auto">${table(columns.map((column) => translated(view, `col.${column.key}`, column.label)), rows, view.t('widget.empty'))}</div>`;
}

/** Why a widget has no data, in the card: our own sentences for a refused request, nothing internal for a failure. */
function problemBody(view: ViewContext, problem: WidgetProblem): Html {
  const { t } = view;
  const fields = problem.status === 400 ? (problem.errors ?? []) : [];
  const message = problem.status === 403 ? t('widget.error.forbidden')
    : problem.status >= 500 ? t('widget.error.unavailable')
      : problem.status === 404 ? t('widget.error.missing')
        : saidByCodes(fields) ? t('form.invalid') : problem.detail ?? problem.title;
  return h`<div class="flex flex-1 items-start gap-2 rounded-lg bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950/40 dark:text-red-200" data-widget-error="${problem.status}">
    ${icon('error', 'text-[20px]')}<div><p>${message}</p>${fields.length === 0 ? '' : h`<ul class="mt-1 text-xs">${fields.map((error) => h`<li>${error.field}: ${fieldErrorSentence(error, view.language)}</li>`)}</ul>`}</div></div>`;
}

function widgetBody(view: ViewContext, widget: WidgetView, title: string): Html {
  const { data } = widget;
  if (data === null) return problemBody(view, widget.error ?? { status: 500, title: 'Error', detail: null });
  if (data.shape === 'value') return valueBody(view, title, data);
  if (data.shape === 'table') return tableBody(view, data);
  const spec: ChartSpec = {
    widget_type: data.widget_type as ChartSpec['widget_type'],
    labels: (data.labels ?? []).map((text) => chartLabel(view, text)),
    datasets: (data.datasets ?? []).map((dataset) => seriesOf(view, dataset)),
  };
  return chart(spec, title, 'h-64 md:h-auto md:min-h-0 md:flex-1');
}

/**
 * One widget in its card: `placement` puts it on the 12-column grid (from md up; phones stack),
 * else the card has the given height.
 */
export function widgetCard(view: ViewContext, widget: WidgetView, size: { placement: { x: number; y: number; w: number; h: number } } | { height: 'h-80' }): Html {
  const shown = widget.title === CATALOG_NAMES.get(widget.widget_id) ? translated(view, `widget.${widget.widget_id}`, widget.title) : widget.title;
  // The cell as custom properties, which the stylesheet turns into grid lines from md up.
  const placed = 'placement' in size ? size.placement : undefined;
  const cell = placed === undefined ? '' : h`style="--x:${placed.x + 1};--w:${placed.w};--y:${placed.y + 1};--h:${placed.h}"`;
  return h`<section class="${'height' in size ? size.height : 'widget-cell'} flex min-h-0 flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-surface-dark" ${cell}
      data-widget-id="${widget.widget_id}" aria-label="${shown}">
    <h2 class="mb-2 truncate text-sm font-semibold">${shown}</h2>
    ${widgetBody(view, widget, shown)}
  </section>`;
}

/** The dashboard's widgets on the grid, in reading order (top to bottom, left to right). */
export function widgetGrid(view: ViewContext, widgets: PlacedWidget[]): Html {
  const ordered = [...widgets].sort((a, b) => a.y - b.y || a.x - b.x);
  return h`<div id="widgets" class="widget-grid grid grid-cols-1 gap-4 md:grid-cols-12" aria-live="polite">
    ${ordered.length === 0 ? h`<p class="text-text-sub dark:text-slate-400">${view.t('overview.empty')}</p>` : ordered.map((widget) => widgetCard(view, widget, { placement: widget }))}
  </div>`;
}
