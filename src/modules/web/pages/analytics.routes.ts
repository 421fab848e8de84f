import { Type } from 'typebox';
import { HttpError, statusTitle } from '../../../platform/http/errors.ts';
import { WIDGETS } from '../../widgets/catalog.ts';
import { audit, type PageKit, type WebApp } from '../page-kit.ts';
import { ANALYTICS_DAYS, ANALYTICS_HOURS, analyticsPage } from '../views/analytics.ts';
import type { WidgetView } from '../views/widgets.ts';

const choice = (values: readonly number[]) => Type.Unsafe<number>({ type: 'integer', enum: [...values] });

/** The security analytics charts, from the security widgets (the numbers of GET /analytics/*). */
export function analyticsPages(app: WebApp, { services, viewOf, send }: PageKit): void {
  app.get('/security/analytics', {
    schema: { querystring: Type.Object({ hours: Type.Optional(choice(ANALYTICS_HOURS)), days: Type.Optional(choice(ANALYTICS_DAYS)) }, { additionalProperties: false }) },
    config: { access: 'analytics:read', tenant: 'required', audit: audit('analytics.view', 'analytics', true) },
  }, async (request, reply) => {
    const window = { hours: request.query.hours ?? 24, days: request.query.days ?? 30 };
    const charts: Array<[string, Record<string, unknown>]> = [
      ['alerts_by_severity', { hours: window.hours }], ['incidents_trend', { hours: window.hours }],
      ['response_times', { days: window.days }], ['vulnerability_distribution', {}],
    ];
    const view = await viewOf(request);
    const widgets = await Promise.all(charts.map(async ([widgetId, params]): Promise<WidgetView> => {
      const title = WIDGETS.find((widget) => widget.widget_id === widgetId)!.widget_name;
      try {
        return { widget_id: widgetId, title, data: await services.widgets.widgetData(request.actor, request.tenantId, widgetId, params), error: null };
      } catch (error) {
        // A chart that cannot be drawn says so in its card; the others still show.
        if (!(error instanceof HttpError)) throw error;
        return { widget_id: widgetId, title, data: null, error: { status: error.status, title: statusTitle(error.status)[view.language], detail: error.localizedDetail?.[view.language] ?? null } };
      }
    }));
    request.auditTarget = { detail: window };
    return send(reply, analyticsPage(view, window, widgets));
  });
}
