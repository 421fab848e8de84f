import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HttpError } from '../../../platform/http/errors.ts';
import { filterState, type QueryValues } from '../overview-filters.ts';
import { audit, type PageKit, type WebApp } from '../page-kit.ts';
import type { FilterPanel } from '../views/filters.ts';
import type { ViewContext } from '../views/html.ts';
import { overviewPage } from '../views/overview.ts';
import { widgetGrid } from '../views/widgets.ts';

/** Filter values as the panel sends them: a key per widget parameter, repeated for a multiselect. */
const OverviewQuery = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 100 }), Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 })]),
  { maxProperties: 40 },
);

const config = { access: 'dashboards:read', tenant: 'required', audit: audit('dashboard.data', 'dashboard', true) } as const;

/** The overview: the caller's dashboard template from the widget engine, under the tenant's filter panel. */
export function overviewPages(app: WebApp, { services, viewOf, send }: PageKit): void {
  const { widgets } = services;

  /**
   * The tenant's filters (the same as GET /filters), for a caller who may read production. A plant
   * database that cannot be reached leaves the panel out, not the page: security widgets still show.
   */
  async function panelOf(request: FastifyRequest): Promise<Awaited<ReturnType<typeof widgets.filters>> | Exclude<FilterPanel, object>> {
    if (!request.actor.permissions.has('production:read')) return 'none';
    try {
      return await widgets.filters(request.tenantId);
    } catch (error) {
      if (error instanceof HttpError && (error.status >= 500 || error.status === 409)) return 'unavailable';
      throw error;
    }
  }

  /** The dashboard as GET /dashboards/mine and GET /dashboards/{id}/data give it, with the panel's filters. */
  async function overview(request: FastifyRequest, query: QueryValues, view: ViewContext) {
    const [template, panel] = await Promise.all([widgets.mine(request.actor, request.tenantId), panelOf(request)]);
    const state = typeof panel === 'object' ? filterState(panel.items, query, panel.timezone) : { form: {}, params: {}, query: '' };
    const data = await widgets.dashboardData(request.actor, request.tenantId, template.template_id, state.params, view.language);
    request.auditTarget = { resourceId: template.template_id, detail: { filters: state.params } };
    return { name: data.name, panel: typeof panel === 'object' ? { filters: panel.items } : panel, state, widgets: data.widgets };
  }

  app.get('/overview', { schema: { querystring: OverviewQuery }, config }, async (request, reply) => {
    const view = await viewOf(request);
    return send(reply, overviewPage(view, await overview(request, request.query, view)));
  });

  // The widgets alone, for the panel's HTMX requests; the address bar gets the page's URL with the filters.
  app.get('/overview/parts/widgets', { schema: { querystring: OverviewQuery }, config }, async (request, reply) => {
    const view = await viewOf(request);
    const data = await overview(request, request.query, view);
    reply.header('hx-push-url', data.state.query === '' ? '/overview' : `/overview?${data.state.query}`);
    return send(reply, widgetGrid(view, data.widgets));
  });
}
