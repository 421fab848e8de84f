import { h, type Html, type ViewContext } from './html.ts';
import { icon, inputClass, page, secondaryButton } from './layout.ts';
import { widgetCard, type WidgetView } from './widgets.ts';

export interface AnalyticsWindow {
  hours: number;
  days: number;
}

export const ANALYTICS_HOURS = [24, 72, 168, 720] as const;
export const ANALYTICS_DAYS = [7, 30, 90, 365] as const;

/** Security analytics: the security widgets' charts, with their windows chosen above them. */
export function analyticsPage(view: ViewContext, window: AnalyticsWindow, widgets: WidgetView[]): Html {
  const { t } = view;
  const select = (name: keyof AnalyticsWindow, choices: readonly number[], labelKey: 'analytics.hours' | 'analytics.days', optionKey: 'analytics.hours.option' | 'analytics.days.option') => h`<div>
    <label for="analytics-${name}" class="mb-1 block text-xs font-medium text-text-sub dark:text-slate-300">${t(labelKey)}</label>
    <select id="analytics-${name}" name="${name}" class="${inputClass}">
      ${choices.map((choice) => h`<option value="${choice}" ${window[name] === choice ? 'selected' : ''}>${t(optionKey, { n: choice })}</option>`)}
    </select></div>`;
  return page(view, {
    title: t('analytics.title'), active: '/security/analytics',
    content: h`<form method="get" action="/security/analytics" hx-get="/security/analytics" hx-target="#analytics-charts" hx-select="#analytics-charts" hx-swap="outerHTML" hx-push-url="true" hx-trigger="change, submit"
        class="flex flex-wrap items-end gap-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-surface-dark" aria-label="${t('overview.filters')}">
        ${select('hours', ANALYTICS_HOURS, 'analytics.hours', 'analytics.hours.option')}
        ${select('days', ANALYTICS_DAYS, 'analytics.days', 'analytics.days.option')}
        <button type="submit" class="${secondaryButton}">${icon('filter_list', 'text-[18px]')}${t('overview.filter.apply')}</button>
      </form>
      <div id="analytics-charts" class="grid gap-4 lg:grid-cols-2">${widgets.map((widget) => widgetCard(view, widget, { height: 'h-80' }))}</div>`,
  });
}
