import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/http/schemas.ts';
import { DistributionQuery, Incidents, IncidentsQuery, ResponseTime, ResponseTimeQuery, VulnerabilityDistribution } from './analytics.schemas.ts';
import type { AnalyticsService } from './analytics.service.ts';

const tags = ['analytics'];
// Every metrics query is audited (docs/requirements.md, SEC-11).
const audit = (action: string) => ({ action, resourceType: 'analytics', reads: true });

export function analyticsRoutes(service: AnalyticsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/analytics/incidents', {
      schema: { tags, summary: 'Alerts first seen in the last N hours: totals by severity and an hourly series', querystring: IncidentsQuery, response: { 200: Incidents, ...problems(400, 401, 403, 404) } },
      config: { access: 'analytics:read', tenant: 'required', audit: audit('analytics.incidents') },
    }, (request) => service.incidents(request.tenantId, request.query.hours ?? 24));

    app.get('/analytics/response-time', {
      schema: { tags, summary: 'Mean and median time to acknowledge and to resolve (seconds), overall and by severity', querystring: ResponseTimeQuery, response: { 200: ResponseTime, ...problems(400, 401, 403, 404) } },
      config: { access: 'analytics:read', tenant: 'required', audit: audit('analytics.response_time') },
    }, (request) => service.responseTime(request.tenantId, request.query.days ?? 30));

    app.get('/analytics/vulnerability-distribution', {
      schema: { tags, summary: 'Open vulnerabilities by severity, CVSS band and system', querystring: DistributionQuery, response: { 200: VulnerabilityDistribution, ...problems(400, 401, 403, 404) } },
      config: { access: 'analytics:read', tenant: 'required', audit: audit('analytics.vulnerability_distribution') },
    }, (request) => service.vulnerabilityDistribution(request.tenantId));
  };
}
