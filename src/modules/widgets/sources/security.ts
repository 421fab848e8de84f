/**
 * Security widgets, from the services behind `/systems/status`, `/alerts/active` and the
 * `/analytics/*` endpoints, with the same params.
 */
import { SEVERITIES } from '../../security-domain/vocabulary.ts';
import { type DataSource, type SourceContext, chart, paramsSchema } from './types.ts';

const hours = { type: 'integer', minimum: 1, maximum: 720, default: 24, description: 'Window in hours (1-720), as /analytics/incidents' };
const days = { type: 'integer', minimum: 1, maximum: 365, default: 30, description: 'Window in days (1-365), as /analytics/response-time' };

const incidentsOf = (context: SourceContext, hours: number) =>
  context.shared(['incidents', hours], () => context.services.analytics.incidents(context.tenantId, hours, context.now));

const systemsStatus: DataSource = {
  id: 'security.systems_status',
  permission: 'systems:read',
  params: paramsSchema({}),
  async load(context) {
    const counts = await context.services.systems.statusCounts(context.tenantId);
    return chart(['online', 'warning', 'alert'], [{ label: 'Systems', data: [counts.online, counts.warning, counts.alert], unit: 'systems' }]);
  },
};

const alertsBySeverity: DataSource = {
  id: 'security.alerts_by_severity',
  permission: 'analytics:read',
  params: paramsSchema({ hours }),
  async load(context, params) {
    const incidents = await incidentsOf(context, params.hours as number);
    return chart([...SEVERITIES], [{ label: 'Alerts', data: SEVERITIES.map((severity) => incidents.by_severity[severity]), unit: 'alerts' }]);
  },
};

const incidentsTrend: DataSource = {
  id: 'security.incidents_trend',
  permission: 'analytics:read',
  params: paramsSchema({ hours }),
  async load(context, params) {
    const incidents = await incidentsOf(context, params.hours as number);
    return chart(incidents.series.map((slot) => slot.start), SEVERITIES.map((severity) => ({
      label: severity, data: incidents.series.map((slot) => slot.by_severity[severity]), unit: 'alerts',
    })));
  },
};

const activeAlerts: DataSource = {
  id: 'security.active_alerts',
  permission: 'alerts:read',
  params: paramsSchema({
    severity: { type: 'string', enum: [...SEVERITIES], description: 'Only this severity' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 20, description: 'Newest first, at most this many' },
  }),
  async load(context, params) {
    const page = await context.services.alerts.listActive(context.tenantId, {
      limit: params.limit as number, ...(params.severity !== undefined ? { severity: [params.severity as (typeof SEVERITIES)[number]] } : {}),
    });
    const columns = [['severity', 'Severity'], ['title', 'Title'], ['status', 'Status'], ['source', 'Source'], ['asset', 'Asset'], ['first_seen', 'First seen'], ['last_seen', 'Last seen'], ['id', 'Id']];
    return {
      shape: 'table',
      columns: columns.map(([key, label]) => ({ key: key!, label: label! })),
      rows: page.items.map((alert) => ({
        severity: alert.severity, title: alert.title, status: alert.status, source: alert.source, asset: alert.asset, first_seen: alert.first_seen, last_seen: alert.last_seen, id: alert.id,
      })),
    };
  },
};

const responseTimes: DataSource = {
  id: 'security.response_times',
  permission: 'analytics:read',
  params: paramsSchema({ days }),
  async load(context, params) {
    const times = await context.services.analytics.responseTime(context.tenantId, params.days as number, context.now);
    return chart([...SEVERITIES], [
      { label: 'Mean time to acknowledge', data: SEVERITIES.map((severity) => times.by_severity[severity].time_to_acknowledge.mean_seconds), unit: 's' },
      { label: 'Mean time to resolve', data: SEVERITIES.map((severity) => times.by_severity[severity].time_to_resolve.mean_seconds), unit: 's' },
    ]);
  },
};

const vulnerabilityDistribution: DataSource = {
  id: 'security.vulnerability_distribution',
  permission: 'analytics:read',
  params: paramsSchema({}),
  async load(context) {
    const distribution = await context.services.analytics.vulnerabilityDistribution(context.tenantId);
    return chart([...SEVERITIES], [{ label: 'Open vulnerabilities', data: SEVERITIES.map((severity) => distribution.by_severity[severity]), unit: 'vulnerabilities' }]);
  },
};

export const SECURITY_SOURCES: readonly DataSource[] = [systemsStatus, alertsBySeverity, incidentsTrend, activeAlerts, responseTimes, vulnerabilityDistribution];
