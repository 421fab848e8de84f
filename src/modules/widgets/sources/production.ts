/**
 * Production widgets. Every number comes from the production service behind `/production/oee`,
 * `/production/lines/{id}/downtime` and the plant structure, with the same params.
 */
import { notFound } from '../../../platform/http/errors.ts';
import { say } from '../../../platform/languages.ts';
import type { OeeFigures } from '../../production/oee.ts';
import { combineFigures, type OeeBucketView, type OeeView } from '../../production/production.service.ts';
import { type DataSource, type SourceContext, chart, paramProblem, paramsSchema, windowOf } from './types.ts';

const lineId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Production line; without it, every active line' };
const requiredLineId = { ...lineId, description: 'Production line' };
const from = { type: 'string', format: 'date-time', description: 'Start of the window (default: 7 days before to)' };
const to = { type: 'string', format: 'date-time', description: 'End of the window, exclusive (default: now)' };
const interval = (values: string[], fallback: string) => ({ type: 'string', enum: values, default: fallback, description: 'Bucket size' });
const PERMISSION = 'production:read' as const;

type Params = Record<string, unknown>;
type OeeMetric = 'oee' | 'availability' | 'performance' | 'quality';
const RATIOS: { metric: OeeMetric; label: string }[] = [
  { metric: 'oee', label: 'OEE' }, { metric: 'availability', label: 'Availability' }, { metric: 'performance', label: 'Performance' }, { metric: 'quality', label: 'Quality' },
];

const optionalLine = (params: Params) => (params.line_id === undefined ? {} : { line_id: params.line_id as number });

function oee(context: SourceContext, params: Params, groupBy: 'none' | 'hour' | 'shift' | 'day' | 'week' | 'month', window = windowOf(params, context.now)): Promise<OeeView> {
  if (groupBy === 'shift' && params.line_id === undefined) throw paramProblem('line_id', say('is required with interval shift (lines have their own shifts)', 'es obligatorio con interval shift (cada línea tiene sus propios turnos)'), 'required');
  const query = { ...optionalLine(params), from: window.from, to: window.to, group_by: groupBy };
  return context.shared(['oee', query], () => context.services.production.oee(context.tenantId, query, context.oeeScope));
}

const ratioSeries = (items: OeeFigures[]) => RATIOS.map(({ metric, label }) => ({ label, data: items.map((figures) => figures[metric]), unit: 'ratio' }));

/** The lines a widget covers: the one asked for (404 if not the tenant's), else every active line. */
async function linesOf(context: SourceContext, params: Params) {
  const { lines } = await context.metadata();
  if (params.line_id === undefined) return lines.filter((line) => line.is_active);
  const line = lines.find((candidate) => candidate.line_id === params.line_id);
  if (line === undefined) throw notFound(say('Production line not found', 'No se ha encontrado la línea'));
  return [line];
}

const countsByTime: DataSource = {
  id: 'production.counts_by_time',
  permission: PERMISSION,
  params: paramsSchema({ line_id: lineId, from, to, interval: interval(['hour', 'day', 'shift'], 'hour') }),
  async load(context, params) {
    const view = await oee(context, params, params.interval as 'hour' | 'day' | 'shift');
    return chart(view.buckets.map((bucket) => bucket.label), [
      { label: 'Good', data: view.buckets.map((bucket) => bucket.good_count), unit: 'pcs' },
      { label: 'Rejects', data: view.buckets.map((bucket) => bucket.reject_count), unit: 'pcs' },
    ]);
  },
};

const productDistribution: DataSource = {
  id: 'production.product_distribution',
  permission: PERMISSION,
  params: paramsSchema({ line_id: lineId, from, to }),
  async load(context, params) {
    const window = windowOf(params, context.now);
    const [counts, metadata] = await Promise.all([
      context.services.production.productCounts(context.tenantId, { ...optionalLine(params), ...window }),
      context.metadata(),
    ]);
    const names = new Map(metadata.products.map((product) => [product.product_id, product.product_name]));
    const sorted = counts.filter((count) => count.good_count > 0).sort((a, b) => b.good_count - a.good_count);
    return chart(
      sorted.map((count) => (count.product_id === null ? 'No product' : names.get(count.product_id) ?? `Product ${count.product_id}`)),
      [{ label: 'Good', data: sorted.map((count) => count.good_count), unit: 'pcs' }],
    );
  },
};

/** One OEE figure over the window, with the same figure over the window just before it. */
function oeeFigure(metric: OeeMetric): DataSource {
  return {
    id: `production.${metric}`,
    permission: PERMISSION,
    params: paramsSchema({ line_id: lineId, from, to }),
    async load(context, params) {
      const window = windowOf(params, context.now);
      const length = window.to - window.from;
      const [current, before] = await Promise.all([
        oee(context, params, 'none', window),
        oee(context, params, 'none', { from: window.from - length, to: window.from }),
      ]);
      const value = current.totals[metric];
      const previous = before.totals[metric];
      return { shape: 'value', value, unit: 'ratio', previous, delta: value === null || previous === null ? null : value - previous };
    },
  };
}

const oeeTrend: DataSource = {
  id: 'production.oee_trend',
  permission: PERMISSION,
  params: paramsSchema({ line_id: lineId, from, to, interval: interval(['hour', 'shift', 'day', 'week', 'month'], 'day') }),
  async load(context, params) {
    const view = await oee(context, params, params.interval as 'day');
    return chart(view.buckets.map((bucket) => bucket.label), ratioSeries(view.buckets));
  },
};

const category = { type: 'string', enum: ['planned', 'unplanned'], description: 'Only stops of this category' };

/** The stops of the lines reaching the window, with their seconds inside it (an ongoing stop lasts until now). */
async function stops(context: SourceContext, params: Params) {
  const window = windowOf(params, context.now);
  const lines = await linesOf(context, params);
  const perLine = await Promise.all(lines.map(async (line) => {
    const events = await context.services.production.listDowntime(context.tenantId, line.line_id, window);
    return events.map((event) => ({ ...event, line_name: line.line_name }));
  }));
  return perLine.flat()
    .filter((event) => params.category === undefined || event.category === params.category)
    .map((event) => {
      const start = Math.max(Date.parse(event.start), window.from);
      const end = Math.min(event.end === null ? context.now : Date.parse(event.end), window.to);
      return { ...event, seconds_in_window: Math.max(0, Math.round((end - start) / 1000)) };
    })
    .sort((a, b) => a.start.localeCompare(b.start) || a.line_id - b.line_id);
}

/**
 * A downtime Pareto: seconds by reason (stops without one under `unclassified`), largest first,
 * with the cumulative share in percent (null when there is no downtime at all).
 */
export function downtimeByReason(stops: { reason: string | null; seconds_in_window: number }[], unclassified: string) {
  const byReason = new Map<string, number>();
  for (const stop of stops) {
    const reason = stop.reason ?? unclassified;
    byReason.set(reason, (byReason.get(reason) ?? 0) + stop.seconds_in_window);
  }
  const sorted = [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = sorted.reduce((sum, [, seconds]) => sum + seconds, 0);
  let running = 0;
  return sorted.map(([reason, seconds]) => {
    running += seconds;
    return { reason, seconds, cumulative_percent: total === 0 ? null : Math.round((running / total) * 10_000) / 100 };
  });
}

const downtimePareto: DataSource = {
  id: 'production.downtime_pareto',
  permission: PERMISSION,
  params: paramsSchema({ line_id: lineId, from, to, category: { ...category, default: 'unplanned' } }),
  async load(context, params) {
    const pareto = downtimeByReason(await stops(context, params), 'Unclassified');
    return chart(pareto.map((entry) => entry.reason), [
      { label: 'Downtime', data: pareto.map((entry) => entry.seconds), unit: 's' },
      { label: 'Cumulative', data: pareto.map((entry) => entry.cumulative_percent), unit: '%' },
    ]);
  },
};

const downtimeTable: DataSource = {
  id: 'production.downtime_table',
  permission: PERMISSION,
  params: paramsSchema({ line_id: lineId, from, to, category }),
  async load(context, params) {
    const rows = (await stops(context, params)).map((stop) => ({
      line: stop.line_name, start: stop.start, end: stop.end, duration_seconds: stop.duration_seconds,
      category: stop.category, reason: stop.reason, comment: stop.comment, source: stop.source,
    }));
    const columns = [['line', 'Line'], ['start', 'Start'], ['end', 'End'], ['duration_seconds', 'Duration (s)'], ['category', 'Category'], ['reason', 'Reason'], ['comment', 'Comment'], ['source', 'Source']];
    return { shape: 'table', columns: columns.map(([key, label]) => ({ key: key!, label: label! })), rows };
  },
};

const lineComparison: DataSource = {
  id: 'production.line_comparison',
  permission: PERMISSION,
  params: paramsSchema({ from, to }),
  async load(context, params) {
    const window = windowOf(params, context.now);
    const lines = await linesOf(context, {});
    const views = await Promise.all(lines.map((line) => oee(context, { line_id: line.line_id }, 'none', window)));
    return chart(lines.map((line) => line.line_name), ratioSeries(views.map((view) => view.totals)));
  },
};

const shiftComparison: DataSource = {
  id: 'production.shift_comparison',
  permission: PERMISSION,
  params: paramsSchema({ line_id: requiredLineId, from, to }, ['line_id']),
  async load(context, params) {
    const view = await oee(context, params, 'shift');
    const byShift = new Map<string, OeeBucketView[]>();
    for (const bucket of view.buckets) byShift.set(bucket.shift!.name, [...(byShift.get(bucket.shift!.name) ?? []), bucket]);
    const combined = [...byShift.values()].map((buckets) => combineFigures(buckets));
    return chart([...byShift.keys()], [
      ...ratioSeries(combined),
      { label: 'Good', data: combined.map((figures) => figures.good_count), unit: 'pcs' },
    ]);
  },
};

const targetVsActual: DataSource = {
  id: 'production.target_vs_actual',
  permission: PERMISSION,
  params: paramsSchema({ line_id: requiredLineId, from, to, interval: interval(['hour', 'shift', 'day', 'week', 'month'], 'day') }, ['line_id']),
  async load(context, params) {
    const view = await oee(context, params, params.interval as 'day');
    const line = (await context.metadata()).lines.find((candidate) => candidate.line_id === params.line_id);
    // Planned time at the line's ideal rate; no target without an ideal cycle time.
    const ideal = line?.ideal_cycle_seconds ?? null;
    return chart(view.buckets.map((bucket) => bucket.label), [
      { label: 'Target', data: view.buckets.map((bucket) => (ideal === null ? null : Math.floor(bucket.planned_seconds / ideal))), unit: 'pcs' },
      { label: 'Actual', data: view.buckets.map((bucket) => bucket.good_count), unit: 'pcs' },
    ]);
  },
};

export const PRODUCTION_SOURCES: readonly DataSource[] = [
  countsByTime, productDistribution, oeeFigure('oee'), oeeFigure('availability'), oeeFigure('performance'), oeeFigure('quality'),
  oeeTrend, downtimePareto, downtimeTable, lineComparison, shiftComparison, targetVsActual,
];
