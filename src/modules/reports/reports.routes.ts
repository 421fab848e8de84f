import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems } from '../../platform/http/schemas.ts';
import {
  GenerateReportBody, ListReportsQuery, Report, ReportFileParams, ReportPage, ReportSettings, Subscription, TenantOnlyQuery, UpdateReportSettingsBody,
} from './reports.schemas.ts';
import type { ReportsService } from './reports.service.ts';

const tags = ['reports'];
const audit = (action: string, reads = false) => ({ action, resourceType: 'report', reads });
const CONTENT_TYPES = { pdf: 'application/pdf', csv: 'text/csv; charset=utf-8' } as const;

export function reportsRoutes(service: ReportsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/reports', {
      schema: { tags, summary: 'Daily reports (security summary and production OEE of a local day), newest first', querystring: ListReportsQuery, response: { 200: ReportPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'reports:read', tenant: 'required', audit: audit('report.list', true) },
    }, (request) => service.list(request.tenantId, request.query));

    app.post('/reports', {
      schema: {
        tags, summary: 'Make the report of a past local day now (again, with the data as it is now, if it exists); nothing is e-mailed',
        querystring: TenantOnlyQuery, body: GenerateReportBody, response: { 200: Report, 201: Report, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'reports:write', tenant: 'required', audit: audit('report.generate') },
    }, async (request, reply) => {
      const { report, created } = await service.generate(request.tenantId, request.body.day);
      request.auditTarget = { resourceId: report.id, detail: { day: report.day, created } };
      reply.code(created ? 201 : 200);
      return report;
    });

    app.get('/reports/settings', {
      schema: { tags, summary: 'When the daily report is made and e-mailed', querystring: TenantOnlyQuery, response: { 200: ReportSettings, ...problems(400, 401, 403, 404) } },
      config: { access: 'reports:read', tenant: 'required' },
    }, (request) => service.settings(request.tenantId));

    app.put('/reports/settings', {
      schema: { tags, summary: 'Set when the daily report is made and e-mailed', querystring: TenantOnlyQuery, body: UpdateReportSettingsBody, response: { 200: ReportSettings, ...problems(400, 401, 403, 404) } },
      config: { access: 'reports:write', tenant: 'required', audit: audit('report.settings.update') },
    }, (request) => {
      request.auditTarget = { detail: { ...request.body } };
      return service.saveSettings(request.tenantId, request.body);
    });

    app.get('/reports/subscription', {
      schema: { tags, summary: 'Whether the caller receives the daily report by e-mail', querystring: TenantOnlyQuery, response: { 200: Subscription, ...problems(400, 401, 403, 404) } },
      config: { access: 'reports:read', tenant: 'required' },
    }, (request) => service.subscription(request.tenantId, request.actor.userId));

    app.put('/reports/subscription', {
      schema: { tags, summary: 'Receive the daily report by e-mail (at the caller\'s address), or stop', querystring: TenantOnlyQuery, body: Subscription, response: { 200: Subscription, ...problems(400, 401, 403, 404) } },
      config: { access: 'reports:read', tenant: 'required', audit: audit('report.subscription.update') },
    }, (request) => {
      request.auditTarget = { resourceId: request.actor.userId, detail: { subscribed: request.body.subscribed } };
      return service.setSubscription(request.tenantId, request.actor.userId, request.body.subscribed);
    });

    app.get('/reports/:id.:format', {
      schema: {
        tags, summary: 'A report as PDF or CSV', params: ReportFileParams, querystring: TenantOnlyQuery,
        response: { 200: Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary', description: 'The file (application/pdf or text/csv)' }), ...problems(400, 401, 403, 404) },
      },
      config: { access: 'reports:read', tenant: 'required', audit: audit('report.download', true) },
    }, async (request, reply) => {
      const { format, id } = request.params;
      const file = await service.file(request.tenantId, id, format);
      request.auditTarget = { resourceId: id, detail: { format } };
      reply.header('content-type', CONTENT_TYPES[format]).header('content-disposition', `attachment; filename="sentinel-report-${file.day}.${format}"`);
      return reply.send(file.body);
    });
  };
}
