import type { ResolvedFilter } from '../../widgets/filters.ts';
import type { FilterState } from '../overview-filters.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { icon, inputClass, secondaryButton } from './layout.ts';

/** What the panel draws: the tenant's filters, or why there are none. */
export type FilterPanel = { filters: ResolvedFilter[] } | 'unavailable' | 'none';

const label = (id: string, text: string) => h`<label for="${id}" class="mb-1 block text-xs font-medium text-text-sub dark:text-slate-300">${text}</label>`;

function field(view: ViewContext, filter: ResolvedFilter, state: FilterState): Html {
  const { t } = view;
  const id = (param: string) => `filter-${filter.filter_id}-${param}`;
  const required = filter.required ? h`required` : '';
  if (filter.type === 'daterange') {
    const type = filter.show_time ? 'datetime-local' : 'date';
    return h`<fieldset class="flex flex-wrap gap-2">
      <legend class="sr-only">${filter.name}</legend>
      ${(['from', 'to'] as const).map((param) => h`<div>${label(id(param), t(param === 'from' ? 'overview.filter.from' : 'overview.filter.to', { name: filter.name }))}
        <input id="${id(param)}" type="${type}" name="${param}" value="${state.form[param] ?? ''}" ${required} class="${inputClass}"></div>`)}
    </fieldset>`;
  }
  const param = filter.params[0]!;
  const current = state.form[param];
  const chosen = (value: string | number) => (Array.isArray(current) ? current.includes(String(value)) : current === String(value));
  const options = (filter.options ?? []).map((option) => h`<option value="${option.value}" ${chosen(option.value) ? 'selected' : ''}>${option.label}</option>`);
  if (filter.type === 'multiselect') {
    return h`<div>${label(id(param), filter.name)}
      <select id="${id(param)}" name="${param}" multiple size="${Math.min(4, Math.max(2, options.length))}" ${required} class="${inputClass}">${options}</select></div>`;
  }
  return h`<div>${label(id(param), filter.name)}
    <select id="${id(param)}" name="${param}" ${required} class="${inputClass}">
      ${filter.required ? '' : h`<option value="">${t('overview.filter.all')}</option>`}${options}
    </select></div>`;
}

/**
 * The filter panel, generated from the tenant's FILTER table: a change re-renders the widgets
 * through HTMX and puts the filters in the address (the server names it in HX-Push-Url); without
 * scripts the form is an ordinary GET of the page.
 */
export function filterPanel(view: ViewContext, panel: FilterPanel, state: FilterState): Html {
  const { t } = view;
  if (panel === 'none') return h``;
  if (panel === 'unavailable') return h`<p class="flex items-center gap-2 text-sm text-text-sub dark:text-slate-300">${icon('cloud_off')}${t('overview.filters.unavailable')}</p>`;
  if (panel.filters.length === 0) return h``;
  return h`<form id="filters" method="get" action="/overview" hx-get="/overview/parts/widgets" hx-target="#widgets" hx-swap="outerHTML" hx-trigger="change, submit" hx-indicator="#widgets"
      class="flex flex-wrap items-end gap-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-surface-dark" aria-label="${t('overview.filters')}">
    ${panel.filters.map((filter) => field(view, filter, state))}
    <button type="submit" class="${secondaryButton}">${icon('filter_list', 'text-[18px]')}${t('overview.filter.apply')}</button>
  </form>`;
}
