import { formatDateTime } from '../i18n.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { card, icon, page, statusBadge } from './layout.ts';

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
      <h2 class="font-semibold">${line.line_name}</h2>${statusBadge(view, line.state)}
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
