import type { FilterState } from '../overview-filters.ts';
import { filterPanel, type FilterPanel } from './filters.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { page } from './layout.ts';
import { type PlacedWidget, widgetGrid } from './widgets.ts';

export interface OverviewData {
  name: string;
  panel: FilterPanel;
  state: FilterState;
  widgets: PlacedWidget[];
}

/** The caller's dashboard: the filter panel over the template's widgets on the 12-column grid. */
export function overviewPage(view: ViewContext, data: OverviewData): Html {
  return page(view, {
    title: view.t('overview.title'), active: '/overview',
    content: h`<p class="text-sm text-slate-600 dark:text-slate-400" data-template-name>${data.name}</p>
      ${filterPanel(view, data.panel, data.state)}
      ${widgetGrid(view, data.widgets)}`,
  });
}
