import { h, type Html } from './html.ts';

/** What a chart draws: the widget engine's chart shape (`labels` and `datasets`), or a gauge's value. */
export interface ChartSpec {
  widget_type: 'line_chart' | 'bar_chart' | 'stacked_bar' | 'pie_chart' | 'doughnut' | 'gauge';
  labels?: string[];
  datasets?: Array<{ label: string; data: Array<number | null>; unit: string }>;
  /** Gauges: the value and the scale's end (a ratio: 1). */
  value?: number | null;
  max?: number;
}

/**
 * A chart drawn by Chart.js in the browser (`app.js` finds every `canvas[data-chart]`, also in
 * fragments HTMX swaps in). The data travels in an attribute, escaped like any other text; the
 * label is what a screen reader announces.
 */
export const chart = (spec: ChartSpec, label: string, extraClass = 'h-64'): Html =>
  h`<div class="relative ${extraClass}"><canvas data-chart="${JSON.stringify(spec)}" role="img" aria-label="${label}"></canvas></div>`;
