/**
 * The widgets Sentinel ships (the catalog), their data sources, and the platform's default dashboard
 * of each role. The catalog table is filled from here by `sentinel widgets seed` and on start;
 * clients never change it, tenants compose templates from it.
 */
import type { TenantRole } from '../../platform/auth/permissions.ts';
import { GRAFANA_SOURCES } from './sources/grafana.ts';
import { PRODUCTION_SOURCES } from './sources/production.ts';
import { SECURITY_SOURCES } from './sources/security.ts';
import type { DataSource, WidgetType } from './sources/types.ts';

export const DATA_SOURCES: ReadonlyMap<string, DataSource> = new Map([...PRODUCTION_SOURCES, ...SECURITY_SOURCES, ...GRAFANA_SOURCES].map((source) => [source.id, source]));

export interface WidgetDefinition {
  widget_id: string;
  widget_name: string;
  widget_type: WidgetType;
  description: string;
  data_source: string;
  /** Default size on the 12-column grid. */
  w: number;
  h: number;
}

const widget = (widget_id: string, widget_name: string, widget_type: WidgetType, data_source: string, w: number, h: number, description: string): WidgetDefinition =>
  ({ widget_id, widget_name, widget_type, description, data_source, w, h });

export const WIDGETS: readonly WidgetDefinition[] = [
  widget('production_by_time', 'Production by time', 'line_chart', 'production.counts_by_time', 8, 4, 'Good and rejected pieces by hour, day or shift'),
  widget('product_distribution', 'Product distribution', 'pie_chart', 'production.product_distribution', 4, 4, 'Good pieces by product'),
  widget('oee_gauge', 'OEE', 'gauge', 'production.oee', 3, 3, 'OEE over the window, against the window before'),
  widget('availability_card', 'Availability', 'kpi_card', 'production.availability', 3, 2, 'Run time over planned time'),
  widget('performance_card', 'Performance', 'kpi_card', 'production.performance', 3, 2, 'Ideal cycle time of the pieces made over run time'),
  widget('quality_card', 'Quality', 'kpi_card', 'production.quality', 3, 2, 'Good pieces over all pieces'),
  widget('oee_trend', 'OEE trend', 'line_chart', 'production.oee_trend', 8, 4, 'OEE, availability, performance and quality by bucket'),
  widget('downtime_pareto', 'Downtime by reason', 'bar_chart', 'production.downtime_pareto', 6, 4, 'Seconds of downtime by reason, largest first, with the cumulative share'),
  widget('downtime_table', 'Downtime events', 'table', 'production.downtime_table', 12, 4, 'Stops in the window, oldest first'),
  widget('line_comparison', 'Line comparison', 'bar_chart', 'production.line_comparison', 6, 4, 'OEE and its factors of every active line'),
  widget('shift_comparison', 'Shift comparison', 'bar_chart', 'production.shift_comparison', 6, 4, 'OEE and its factors of each shift of a line'),
  widget('target_vs_actual', 'Target vs actual', 'bar_chart', 'production.target_vs_actual', 6, 4, 'Pieces planned at the ideal rate against good pieces made'),
  widget('systems_status', 'Systems status', 'doughnut', 'security.systems_status', 4, 4, 'Connected systems by status'),
  widget('alerts_by_severity', 'Alerts by severity', 'bar_chart', 'security.alerts_by_severity', 4, 4, 'Alerts first seen in the window, by severity'),
  widget('incidents_trend', 'Incidents trend', 'stacked_bar', 'security.incidents_trend', 8, 4, 'Alerts first seen by hour and severity'),
  widget('active_alerts', 'Active alerts', 'table', 'security.active_alerts', 12, 5, 'Open alerts, newest first'),
  widget('response_times', 'Response times', 'bar_chart', 'security.response_times', 6, 4, 'Mean time to acknowledge and to resolve by severity'),
  widget('vulnerability_distribution', 'Vulnerabilities by severity', 'pie_chart', 'security.vulnerability_distribution', 4, 4, 'Open vulnerabilities by severity'),
  widget('grafana_panel', 'Grafana panel', 'line_chart', 'grafana.panel', 6, 4, 'A panel of a connected Grafana, as series'),
];

export interface LayoutItem {
  widget_id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  title?: string;
  params: Record<string, unknown>;
}

const at = (widget_id: string, x: number, y: number, params: Record<string, unknown> = {}): LayoutItem => {
  const definition = WIDGETS.find((candidate) => candidate.widget_id === widget_id)!;
  return { widget_id, x, y, w: definition.w, h: definition.h, params };
};

/** Production at a glance: OEE and its factors, output, mix, losses and lines side by side. */
const PRODUCTION_OVERVIEW: LayoutItem[] = [
  at('oee_gauge', 0, 0), at('availability_card', 3, 0), at('performance_card', 6, 0), at('quality_card', 9, 0),
  // By day: an overview spans days or weeks (the widget's own default, by hour, suits a shift).
  at('production_by_time', 0, 3, { interval: 'day' }), at('product_distribution', 8, 3),
  at('downtime_pareto', 0, 7), at('line_comparison', 6, 7),
];

const SECURITY_OVERVIEW: LayoutItem[] = [
  at('systems_status', 0, 0), at('alerts_by_severity', 4, 0), at('vulnerability_distribution', 8, 0),
  at('incidents_trend', 0, 4), at('response_times', 0, 8), at('active_alerts', 0, 12),
];

export interface DefaultTemplate {
  /** Fixed, so seeding twice (or from two processes at once) adds each default once. */
  id: string;
  role: TenantRole;
  name: string;
  layout: LayoutItem[];
}

const defaultId = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** The platform's default template of each role; a tenant ADMIN can replace any of them for its tenant. */
export const DEFAULT_TEMPLATES: readonly DefaultTemplate[] = [
  { id: defaultId(1), role: 'ADMIN', name: 'Operations overview', layout: [...PRODUCTION_OVERVIEW, ...SECURITY_OVERVIEW.map((item) => ({ ...item, y: item.y + 11 }))] },
  { id: defaultId(2), role: 'MANAGER', name: 'Production overview', layout: PRODUCTION_OVERVIEW },
  { id: defaultId(3), role: 'OPERATOR', name: 'Line floor', layout: [at('oee_gauge', 0, 0), at('production_by_time', 3, 0), at('downtime_table', 0, 4), at('active_alerts', 0, 8)] },
  { id: defaultId(4), role: 'VIEWER', name: 'Security overview', layout: SECURITY_OVERVIEW },
];
