import type { DowntimeReasonView } from '../../production/downtime-reasons.service.ts';
import type { OeeFigures } from '../../production/oee.ts';
import type { DowntimeView, OeeBucketView } from '../../production/production.service.ts';
import { formatDateTime } from '../i18n.ts';
import type { LineDay, LinePageData, LineStatusView, OeeReportData } from '../pages/production.data.ts';
import { chart } from './charts.ts';
import { can, h, type Html, type ViewContext } from './html.ts';
import { badge, card, cell, icon, inputClass, page, phoneOnly, primaryButton, secondaryButton, statusBadge, table, wideCell } from './layout.ts';

export interface LineTile {
  line_id: number;
  line_name: string;
  state: 'running' | 'stopped' | 'outside_shift';
  since: string | null;
  shift: { shift_name: string } | null;
  today: { oee: number | null; good_count: number } | null;
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)} %`);

// The state's colour on the left edge (the dark variant too, or dark:border-slate-700 would win).
const BORDERS = { running: 'border-l-green-600 dark:border-l-green-500', stopped: 'border-l-red-600 dark:border-l-red-500', outside_shift: 'border-l-slate-400 dark:border-l-slate-500' } as const;

function tile(view: ViewContext, line: LineTile): Html {
  const { t } = view;
  return h`<article class="rounded-xl border border-l-4 border-slate-200 bg-white p-4 shadow-sm ${BORDERS[line.state]} dark:border-slate-700 dark:bg-surface-dark" data-line-id="${line.line_id}" data-state="${line.state}">
    <div class="flex items-start justify-between gap-2">
      <h2 class="font-semibold"><a class="text-primary-dark hover:underline dark:text-blue-300" href="/production/lines/${line.line_id}">${line.line_name}</a></h2>${statusBadge(view, line.state)}
    </div>
    <p class="mt-1 text-xs text-text-sub dark:text-slate-400">${line.since === null ? '' : t('production.since', { time: formatDateTime(line.since, view.language, view.timeZone) })}</p>
    <p class="mt-1 text-xs text-text-sub dark:text-slate-400">${line.shift === null ? t('production.no_shift') : t('production.shift', { name: line.shift.shift_name })}</p>
    <dl class="mt-4 grid grid-cols-2 gap-2">
      <div><dt class="text-xs text-text-sub dark:text-slate-400">${t('production.oee_today')}</dt><dd class="text-2xl font-bold">${percent(line.today?.oee)}</dd></div>
      <div><dt class="text-xs text-text-sub dark:text-slate-400">${t('production.good_today')}</dt><dd class="text-2xl font-bold">${line.today?.good_count ?? 0}</dd></div>
    </dl>
  </article>`;
}

/** The tiles; re-fetched when a line stops or starts (live events) and every minute for the OEE. */
export function lineTiles(view: ViewContext, lines: LineTile[] | 'unavailable'): Html {
  const { t } = view;
  const body = lines === 'unavailable'
    ? card(undefined, h`<p class="flex items-center gap-2">${icon('cloud_off')}${t('production.unavailable')}</p>`)
    : lines.length === 0
      ? card(undefined, h`<p class="flex items-center gap-2">${icon('info')}${t('production.none')}</p>`)
      : h`<div class="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">${lines.map((line) => tile(view, line))}</div>`;
  return h`<div id="line-tiles" hx-get="/production/parts/lines" hx-trigger="sentinel:lines from:body, every 60s" hx-swap="outerHTML">${body}</div>`;
}

export function productionPage(view: ViewContext, lines: LineTile[] | 'unavailable'): Html {
  return page(view, { title: view.t('production.title'), active: '/production', content: lineTiles(view, lines) });
}

// ---- a line's page: today's gauges, counts by hour, stops (classified by operators) and their Pareto

const GAUGES = [['availability', 'production.availability'], ['performance', 'production.performance'], ['quality', 'production.quality'], ['oee', 'production.oee']] as const;

/** "1 h 05 min", "3 min 20 s", "45 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return minutes > 0 ? `${minutes} min ${String(whole % 60).padStart(2, '0')} s` : `${whole} s`;
}

/** Times of the line's day, in the line's time zone. */
const clock = (view: ViewContext, iso: string | null) => (iso === null ? '—' : new Intl.DateTimeFormat(view.language === 'es' ? 'es-ES' : 'en-GB', { timeStyle: 'short', timeZone: view.timeZone }).format(new Date(iso)));

/** Gauges, counts by hour and the Pareto; re-fetched when the line stops, starts or a stop changes, and every minute. */
export function lineState(view: ViewContext, day: LineDay): Html {
  const { t } = view;
  const { status, hours, pareto } = day;
  const lineView = { ...view, timeZone: status.timezone };
  const today = status.today;
  const hourLabels = hours.buckets.map((bucket) => bucket.label.slice(11, 16));
  return h`<div id="line-state" class="space-y-6" hx-get="/production/lines/${status.line_id}/parts/state" hx-trigger="sentinel:lines from:body, sentinel:downtime from:body, every 60s" hx-swap="outerHTML">
    ${card(undefined, h`<div class="flex flex-wrap items-center gap-3" data-line-state="${status.state}">
      ${statusBadge(view, status.state)}
      <span class="text-sm text-text-sub dark:text-slate-400">${status.since === null ? '' : t('production.since', { time: formatDateTime(status.since, view.language, status.timezone) })}</span>
      <span class="text-sm text-text-sub dark:text-slate-400">${status.shift === null ? t('production.no_shift') : t('production.shift', { name: status.shift.shift_name })}</span>
      <span class="text-sm text-text-sub dark:text-slate-400">${t('production.good_today')}: <strong class="text-text-main dark:text-slate-100">${today?.good_count ?? 0}</strong></span>
      <span class="text-sm text-text-sub dark:text-slate-400">${t('production.rejects_today')}: <strong class="text-text-main dark:text-slate-100">${today?.reject_count ?? 0}</strong></span>
    </div>`)}
    <div class="grid grid-cols-2 gap-4 lg:grid-cols-4">
      ${GAUGES.map(([metric, label]) => h`<section class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-surface-dark">
        <h2 class="text-sm font-medium text-text-sub dark:text-slate-400">${t(label)}</h2>
        ${chart({ widget_type: 'gauge', value: today?.[metric] ?? null, max: 1 }, t(label), 'h-24')}
        <p class="-mt-6 text-center text-2xl font-bold" data-metric="${metric}">${percent(today?.[metric])}</p>
      </section>`)}
    </div>
    <p class="text-xs text-slate-600 dark:text-slate-400">${t('production.today_note', { zone: lineView.timeZone })}</p>
    <div class="grid gap-6 lg:grid-cols-2">
      ${card(t('production.counts_by_hour'), hours.buckets.length === 0 ? h`<p class="text-sm text-text-sub dark:text-slate-400">${t('production.no_counts')}</p>` : chart({
        widget_type: 'stacked_bar', labels: hourLabels,
        datasets: [
          { label: t('production.good'), data: hours.buckets.map((bucket) => bucket.good_count), unit: '' },
          { label: t('production.rejects'), data: hours.buckets.map((bucket) => bucket.reject_count), unit: '' },
        ],
      }, t('production.counts_by_hour')))}
      ${card(t('production.pareto'), pareto.length === 0 ? h`<p class="text-sm text-text-sub dark:text-slate-400">${t('production.no_stops')}</p>` : h`${chart({
        widget_type: 'bar_chart', labels: pareto.map((entry) => entry.reason),
        datasets: [{ label: t('production.downtime_minutes'), data: pareto.map((entry) => Math.round(entry.seconds / 6) / 10), unit: 'min' }],
      }, t('production.pareto'))}
        <ul class="sr-only">${pareto.map((entry) => h`<li>${entry.reason}: ${formatDuration(entry.seconds)}</li>`)}</ul>`)}
    </div>
  </div>`;
}

function classificationForm(view: ViewContext, lineId: number, stop: DowntimeView & { id: number }, reasons: DowntimeReasonView[]): Html {
  const { t } = view;
  const listed = reasons.some((reason) => reason.reason === stop.reason);
  const reasonField = reasons.length === 0
    ? h`<input id="reason-${stop.id}" name="reason" maxlength="200" value="${stop.reason ?? ''}" class="${inputClass}">`
    : h`<select id="reason-${stop.id}" name="reason" class="${inputClass}" x-on:change="reasonChosen">
        <option value="">${t('production.unclassified')}</option>
        ${stop.reason !== null && !listed ? h`<option value="${stop.reason}" selected>${stop.reason}</option>` : ''}
        ${reasons.map((reason) => h`<option value="${reason.reason}" data-category="${reason.category}" ${reason.reason === stop.reason ? 'selected' : ''}>${reason.reason}</option>`)}
      </select>`;
  const target = `#downtime-${stop.id}`;
  return h`<form method="post" action="/production/lines/${lineId}/downtime/${stop.id}" hx-post="/production/lines/${lineId}/downtime/${stop.id}" hx-target="${target}" hx-swap="outerHTML"
      x-data="downtimeForm" class="grid gap-2 sm:grid-cols-2 xl:grid-cols-[1fr_10rem_1fr_auto] xl:items-end">
    <input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">
    <div><label for="reason-${stop.id}" class="mb-1 block text-xs font-medium">${t('production.reason')}</label>${reasonField}</div>
    <div><label for="category-${stop.id}" class="mb-1 block text-xs font-medium">${t('production.category')}</label>
      <select id="category-${stop.id}" name="category" class="${inputClass}" data-category-select>
        ${(['unplanned', 'planned'] as const).map((category) => h`<option value="${category}" ${stop.category === category ? 'selected' : ''}>${t(`production.category.${category}`)}</option>`)}
      </select></div>
    <div><label for="comment-${stop.id}" class="mb-1 block text-xs font-medium">${t('production.comment')}</label>
      <input id="comment-${stop.id}" name="comment" maxlength="2000" value="${stop.comment ?? ''}" class="${inputClass}"></div>
    <button type="submit" class="${primaryButton} justify-center">${icon('save', 'text-[18px]')}${t('production.save')}</button>
  </form>`;
}

/** One stop; an operator (and up) classifies it in place. A stop not stored yet (no id) cannot be classified until it is. */
export function downtimeRow(view: ViewContext, lineId: number, stop: DowntimeView, reasons: DowntimeReasonView[]): Html {
  const { t } = view;
  const editable = stop.id !== null && can(view, 'production:operate');
  const classification = stop.id !== null && editable
    ? classificationForm(view, lineId, { ...stop, id: stop.id }, reasons)
    : h`<div class="flex flex-wrap items-center gap-2">${badge(t(`production.category.${stop.category}`), stop.category === 'planned' ? 'blue' : 'amber')}
        <span class="font-medium">${stop.reason ?? t('production.unclassified')}</span>
        ${stop.comment === null ? '' : h`<span class="text-text-sub dark:text-slate-400">${stop.comment}</span>`}</div>`;
  return h`<tr ${stop.id === null ? '' : h`id="downtime-${stop.id}"`} data-downtime-id="${stop.id ?? ''}">
    ${cell(h`<span class="whitespace-nowrap font-medium">${clock(view, stop.start)} – ${stop.end === null ? t('production.ongoing') : clock(view, stop.end)}</span>
      ${phoneOnly(h`<span class="text-xs text-text-sub dark:text-slate-400">${formatDuration(stop.duration_seconds)}</span>`)}`)}
    ${wideCell(formatDuration(stop.duration_seconds), 'whitespace-nowrap')}
    ${cell(classification)}
    ${wideCell(t(`production.source.${stop.source}`))}
  </tr>`;
}

/** The day's stops; re-fetched when a stop begins, ends or is classified (not on a timer: an edit in progress stays). */
export function downtimeList(view: ViewContext, day: { status: LineStatusView; downtime: DowntimeView[]; reasons: DowntimeReasonView[] }): Html {
  const { t } = view;
  const lineView = { ...view, timeZone: day.status.timezone };
  const lineId = day.status.line_id;
  const rows = [...day.downtime].reverse().map((stop) => downtimeRow(lineView, lineId, stop, day.reasons));
  return h`<div id="downtime-list" hx-get="/production/lines/${lineId}/parts/downtime" hx-trigger="sentinel:lines from:body, sentinel:downtime from:body" hx-swap="outerHTML">
    ${table([t('production.stop'), { label: t('production.duration'), wide: true }, t('production.classification'), { label: t('production.source'), wide: true }], rows, t('production.no_stops'), 'downtime-table')}
  </div>`;
}

export function linePage(view: ViewContext, data: LinePageData): Html {
  const { t } = view;
  const reportLink = h`<a class="text-sm font-medium text-primary-dark hover:underline dark:text-blue-300" href="/production/report?line_id=${data.status.line_id}">${t('production.report.open')}</a>`;
  return page(view, {
    title: data.status.line_name, active: '/production',
    content: h`<nav aria-label="${t('production.breadcrumb')}" class="text-sm"><a class="text-primary-dark underline dark:text-blue-300" href="/production">${t('production.title')}</a> / <span>${data.status.line_name}</span></nav>
      ${lineState(view, data)}
      ${card(t('production.downtime_today'), downtimeList(view, data), { actions: reportLink })}`,
  });
}

// ---- the OEE report by shift, day or week

export const REPORT_GROUPINGS = ['shift', 'day', 'week'] as const;

/** The report's query string (the page's filters, and its CSV's). */
export function reportQueryString(query: OeeReportData['query']): string {
  const params = new URLSearchParams({ ...(query.line_id === null ? {} : { line_id: String(query.line_id) }), from: query.from, to: query.to, group_by: query.group_by });
  return params.toString();
}

/** A bucket's name: the shift and its date, else the day or week. */
export const periodOf = (bucket: OeeBucketView) => (bucket.shift === undefined ? bucket.label : `${bucket.shift.date} · ${bucket.shift.name}`);

const figureCells = (figures: OeeFigures) => [
  formatDuration(figures.planned_seconds), formatDuration(figures.downtime_seconds), formatDuration(figures.run_seconds), figures.good_count, figures.reject_count,
  percent(figures.availability), percent(figures.performance), percent(figures.quality), percent(figures.oee), figures.stops, formatDuration(figures.mttr_seconds), formatDuration(figures.mtbf_seconds),
];

export const REPORT_COLUMNS = [
  'production.col.planned', 'production.col.downtime', 'production.col.run', 'production.good', 'production.rejects',
  'production.availability', 'production.performance', 'production.quality', 'production.oee', 'production.col.stops', 'production.col.mttr', 'production.col.mtbf',
] as const;

export function reportPage(view: ViewContext, data: OeeReportData): Html {
  const { t } = view;
  const { query, report } = data;
  const filterForm = h`<form method="get" action="/production/report" class="flex flex-wrap items-end gap-3">
    <div><label for="line_id" class="mb-1 block text-xs font-medium">${t('production.line')}</label>
      <select id="line_id" name="line_id" class="${inputClass}">${data.lines.map((line) => h`<option value="${line.line_id}" ${line.line_id === query.line_id ? 'selected' : ''}>${line.line_name}</option>`)}</select></div>
    <div><label for="from" class="mb-1 block text-xs font-medium">${t('production.from')}</label><input id="from" name="from" type="date" required value="${query.from}" class="${inputClass}"></div>
    <div><label for="to" class="mb-1 block text-xs font-medium">${t('production.to')}</label><input id="to" name="to" type="date" required value="${query.to}" class="${inputClass}"></div>
    <div><label for="group_by" class="mb-1 block text-xs font-medium">${t('production.group_by')}</label>
      <select id="group_by" name="group_by" class="${inputClass}">${REPORT_GROUPINGS.map((grouping) => h`<option value="${grouping}" ${grouping === query.group_by ? 'selected' : ''}>${t(`production.group_by.${grouping}`)}</option>`)}</select></div>
    <button type="submit" class="${secondaryButton}">${icon('filter_list', 'text-[18px]')}${t('common.filter')}</button>
    ${report === null ? '' : h`<a class="${secondaryButton}" href="/production/report.csv?${reportQueryString(query)}" download>${icon('download', 'text-[18px]')}${t('production.report.csv')}</a>`}
  </form>`;
  const headers = [t('production.period'), ...REPORT_COLUMNS.map((key) => t(key))];
  const body = report === null
    ? h`<p class="flex items-center gap-2">${icon('info')}${t('production.none')}</p>`
    : table(headers, [
      ...report.buckets.map((bucket) => h`<tr>${cell(periodOf(bucket), 'whitespace-nowrap font-medium')}${figureCells(bucket).map((value) => cell(value, 'whitespace-nowrap text-right tabular-nums'))}</tr>`),
      h`<tr class="bg-slate-50 font-semibold dark:bg-slate-800" data-row="totals">${cell(t('production.total'))}${figureCells(report.totals).map((value) => cell(value, 'whitespace-nowrap text-right tabular-nums'))}</tr>`,
    ], t('production.no_counts'), 'oee-report', t('production.report.title'));
  return page(view, {
    title: t('production.report.title'), active: '/production/report',
    content: h`${card(undefined, filterForm)}${card(report === null ? undefined : t('production.report.zone', { zone: report.timezone }), body)}`,
  });
}
