import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Type } from 'typebox';
import { NoContent, problems } from '../../platform/http/schemas.ts';
import { answerLanguage } from '../../platform/http/content-language.ts';
import { plantProblem } from '../production/plant-problems.ts';
import { toCsv } from './csv.ts';
import type { MetadataCache } from './metadata-cache.ts';
import type { UserQueryLog } from './user-query-log.ts';
import type { WidgetsService } from './widgets.service.ts';
import {
  CreateTemplateBody, DashboardData, DashboardDataQuery, FilterList, Template, TemplateList, TemplateParams, TenantOnlyQuery, UpdateTemplateBody,
  UserQueries, UserQueriesQuery, Widget, WidgetData, WidgetDataQuery, WidgetList, WidgetParams,
} from './widgets.schemas.ts';

const audit = (action: string, reads = false) => ({ action, resourceType: 'dashboard', reads });

/** Query-string parameters that are the route's own, not a widget's. */
function widgetParams(query: Record<string, unknown>): Record<string, unknown> {
  const { tenant_id: _tenant, format: _format, ...params } = query;
  return params;
}

export interface WidgetsRouteDeps {
  widgets: WidgetsService;
  metadata: MetadataCache;
  queries: UserQueryLog;
  metrics: Registry;
  /** How often cached metadata is compared with the plant database (a client's own edits). */
  pollMs: number;
}

function registerCacheMetrics(metrics: Registry, metadata: MetadataCache): void {
  new Counter({
    name: 'sentinel_metadata_cache_lookups_total',
    help: 'Plant metadata lookups by result (hit: answered from memory)',
    labelNames: ['result'],
    registers: [metrics],
    collect() {
      const { hits, misses } = metadata.stats();
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
  new Gauge({
    name: 'sentinel_metadata_cache_hit_ratio',
    help: 'Share of plant metadata lookups answered from memory since start',
    registers: [metrics],
    collect() {
      const { hits, misses } = metadata.stats();
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
    },
  });
}

/** Widget catalog, dashboard templates, filters, widget and dashboard data, and the query record (docs/requirements.md, PRD-6, PRD-9, PRD-10). */
export function widgetsRoutes(deps: WidgetsRouteDeps): FastifyPluginAsyncTypebox {
  const { widgets, metadata, queries } = deps;
  return async (app) => {
    app.setErrorHandler((error) => {
      throw plantProblem(error);
    });
    registerCacheMetrics(deps.metrics, metadata);
    let poll: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      poll = setInterval(() => void metadata.refresh(), deps.pollMs).unref();
    });
    app.addHook('onClose', async () => {
      clearInterval(poll);
      await queries.flush();
    });

    // Catalog

    app.get('/widgets', {
      schema: { tags: ['widgets'], summary: 'The widget catalog: every widget with its type, data source and params schema', response: { 200: WidgetList, ...problems(401, 403) } },
      config: { access: 'dashboards:read' },
    }, async () => ({ items: await widgets.listWidgets() }));

    app.get('/widgets/:widget_id', {
      schema: { tags: ['widgets'], summary: 'One widget of the catalog', params: WidgetParams, response: { 200: Widget, ...problems(400, 401, 403, 404) } },
      config: { access: 'dashboards:read' },
    }, (request) => widgets.getWidget(request.params.widget_id));

    app.get('/widgets/:widget_id/data', {
      schema: {
        tags: ['widgets'], summary: 'A widget\'s data, ready for Chart.js (charts), a card (value) or a table; format=csv for a CSV file',
        description: 'Other query parameters are the widget\'s params, checked against its required_params (400 names the widget and the parameter). The numbers are those of the API behind the widget for the same params. Each call is recorded (GET /user-queries).',
        params: WidgetParams, querystring: WidgetDataQuery,
        response: { 200: { content: { 'application/json': { schema: WidgetData }, 'text/csv': { schema: Type.String() } } }, ...problems(400, 401, 403, 404, 409, 502, 503, 504) },
      },
      config: { access: 'dashboards:read', tenant: 'required', audit: audit('widget.data', true) },
    }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const data = await widgets.widgetData(request.actor, request.tenantId, request.params.widget_id, widgetParams(query));
      request.auditTarget = { resourceId: request.params.widget_id, detail: { params: data.params } };
      if (query.format !== 'csv') return data;
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${data.widget_id}.csv"`).send(toCsv(data));
    });

    // Templates

    app.get('/dashboards', {
      schema: { tags: ['dashboards'], summary: 'Dashboard templates: the platform\'s default of each role and the tenant\'s own', querystring: TenantOnlyQuery, response: { 200: TemplateList, ...problems(400, 401, 403, 404) } },
      config: { access: 'dashboards:read', tenant: 'required' },
    }, async (request) => ({ items: await widgets.listTemplates(request.tenantId) }));

    app.get('/dashboards/mine', {
      schema: { tags: ['dashboards'], summary: 'The caller\'s dashboard: the tenant\'s template for its role, else the platform\'s', querystring: TenantOnlyQuery, response: { 200: Template, ...problems(400, 401, 403, 404) } },
      config: { access: 'dashboards:read', tenant: 'required' },
    }, (request) => widgets.mine(request.actor, request.tenantId));

    app.get('/dashboards/:id', {
      schema: { tags: ['dashboards'], summary: 'One template', params: TemplateParams, querystring: TenantOnlyQuery, response: { 200: Template, ...problems(400, 401, 403, 404) } },
      config: { access: 'dashboards:read', tenant: 'required' },
    }, (request) => widgets.getTemplate(request.tenantId, request.params.id));

    app.post('/dashboards', {
      schema: {
        tags: ['dashboards'], summary: 'Create the tenant\'s template for a role (it replaces the platform\'s for that role)',
        querystring: TenantOnlyQuery, body: CreateTemplateBody, response: { 201: Template, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'dashboards:write', tenant: 'required', audit: audit('dashboard.create') },
    }, async (request, reply) => {
      const template = await widgets.createTemplate(request.tenantId, { ...request.body, layout: request.body.layout.map((item) => ({ ...item, params: item.params ?? {} })) });
      request.auditTarget = { resourceId: template.template_id, detail: { role: template.role, name: template.name, widgets: template.layout.length } };
      reply.code(201);
      return template;
    });

    app.patch('/dashboards/:id', {
      schema: { tags: ['dashboards'], summary: 'Change one of the tenant\'s templates', params: TemplateParams, querystring: TenantOnlyQuery, body: UpdateTemplateBody, response: { 200: Template, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'dashboards:write', tenant: 'required', audit: audit('dashboard.update') },
    }, (request) => {
      const { layout, ...rest } = request.body;
      request.auditTarget = { detail: { changes: Object.keys(request.body) } };
      return widgets.updateTemplate(request.tenantId, request.params.id, { ...rest, ...(layout !== undefined ? { layout: layout.map((item) => ({ ...item, params: item.params ?? {} })) } : {}) });
    });

    app.delete('/dashboards/:id', {
      schema: { tags: ['dashboards'], summary: 'Delete one of the tenant\'s templates (the platform\'s applies again)', params: TemplateParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'dashboards:write', tenant: 'required', audit: audit('dashboard.delete') },
    }, async (request, reply) => {
      await widgets.deleteTemplate(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });

    app.get('/dashboards/:id/data', {
      schema: {
        tags: ['dashboards'], summary: 'Every widget of a template in one answer, computed concurrently',
        description: 'Query parameters are filter values (line_id, from, to …); each widget takes those it has a parameter for and its layout does not fix. A widget that fails carries its problem in `error`; the others still have their data.',
        params: TemplateParams, querystring: DashboardDataQuery, response: { 200: DashboardData, ...problems(400, 401, 403, 404, 409, 502, 503) },
      },
      config: { access: 'dashboards:read', tenant: 'required', audit: audit('dashboard.data', true) },
    }, (request, reply) => {
      const filters = widgetParams(request.query as Record<string, unknown>);
      request.auditTarget = { detail: { filters } };
      return widgets.dashboardData(request.actor, request.tenantId, request.params.id, filters, answerLanguage(request, reply));
    });

    // Filters and the query record

    app.get('/filters', {
      schema: {
        tags: ['dashboards'], summary: 'The tenant\'s active filters in order: type, parameters, default (in the tenant\'s time zone) and options from the plant',
        querystring: TenantOnlyQuery, response: { 200: FilterList, ...problems(400, 401, 403, 404, 409, 502, 503) },
      },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => widgets.filters(request.tenantId));

    app.get('/user-queries', {
      schema: { tags: ['dashboards'], summary: 'Widget and dashboard data queries of the tenant, newest or slowest first', querystring: UserQueriesQuery, response: { 200: UserQueries, ...problems(400, 401, 403, 404) } },
      config: { access: 'user_queries:read', tenant: 'required' },
    }, (request) => {
      const { order, limit, widget_id, template_id, user_id } = request.query;
      return widgets.userQueries(request.tenantId, {
        order: order ?? 'newest', limit: limit ?? 100,
        ...(widget_id !== undefined ? { widget_id } : {}), ...(template_id !== undefined ? { template_id } : {}), ...(user_id !== undefined ? { user_id } : {}),
      });
    });
  };
}
