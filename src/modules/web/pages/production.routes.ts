import { Type } from 'typebox';
import { toCsv } from '../../widgets/csv.ts';
import { DowntimeParams, LineParams } from '../../production/production.schemas.ts';
import { audit, type PageKit, type WebApp } from '../page-kit.ts';
import { downtimeList, downtimeRow, lineState, lineTiles, linePage, periodOf, productionPage, REPORT_COLUMNS, REPORT_GROUPINGS, reportPage } from '../views/production.ts';
import { fromPlant, lineDay, linePageData, oeeReport } from './production.data.ts';

const PlantId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const ReportQuery = Type.Object({
  line_id: Type.Optional(PlantId),
  from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  group_by: Type.Optional(Type.Union(REPORT_GROUPINGS.map((grouping) => Type.Literal(grouping)))),
}, { additionalProperties: false });

/** What an operator sends when classifying a stop; empty fields clear the reason or the comment. */
const ClassifyForm = Type.Object({
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
  reason: Type.Optional(Type.String({ maxLength: 200 })),
  category: Type.Optional(Type.Union([Type.Literal('planned'), Type.Literal('unplanned')])),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });

const orNull = (text: string | undefined) => (text === undefined ? undefined : text.trim() === '' ? null : text.trim());

/** The production pages: line tiles with their live state, a line's day, the OEE report and its CSV. */
export function productionPages(app: WebApp, { services, web, viewOf, send, answer }: PageKit): void {
  app.get('/production', {
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => send(reply, productionPage(await viewOf(request), await web.lineTiles(request.tenantId))));

  app.get('/production/parts/lines', {
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => send(reply, lineTiles(await viewOf(request), await web.lineTiles(request.tenantId))));

  app.get('/production/lines/:line_id', {
    schema: { params: LineParams },
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => {
    const view = await viewOf(request);
    return send(reply, linePage(view, await linePageData(services, request.tenantId, request.params.line_id, view.t('production.unclassified'))));
  });

  app.get('/production/lines/:line_id/parts/state', {
    schema: { params: LineParams },
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => {
    const view = await viewOf(request);
    return send(reply, lineState(view, await lineDay(services, request.tenantId, request.params.line_id, view.t('production.unclassified'))));
  });

  app.get('/production/lines/:line_id/parts/downtime', {
    schema: { params: LineParams },
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => {
    const view = await viewOf(request);
    return send(reply, downtimeList(view, await linePageData(services, request.tenantId, request.params.line_id, view.t('production.unclassified'))));
  });

  // The API's PATCH /production/lines/{id}/downtime/{id}, from a form: the same checks, the same audit entry.
  app.post('/production/lines/:line_id/downtime/:id', {
    schema: { params: DowntimeParams, body: ClassifyForm },
    config: { access: 'production:operate', tenant: 'required', audit: audit('production.downtime.update', 'downtime_event') },
  }, async (request, reply) => {
    const { line_id: lineId, id } = request.params;
    const changes = {
      ...(request.body.category === undefined ? {} : { category: request.body.category }),
      ...(request.body.reason === undefined ? {} : { reason: orNull(request.body.reason) }),
      ...(request.body.comment === undefined ? {} : { comment: orNull(request.body.comment) }),
    };
    request.auditTarget = { resourceId: String(id), detail: { line_id: lineId, changes } };
    const [stop, reasons, line] = await fromPlant(() => Promise.all([
      services.downtimeReasons.classify(request.tenantId, lineId, id, changes),
      services.downtimeReasons.list(request.tenantId),
      services.structure.getLine(request.tenantId, lineId),
    ]));
    services.lineWatch.noteClassified(request.tenantId, lineId, id);
    const view = { ...(await viewOf(request)), timeZone: line.timezone };
    return answer(request, reply, downtimeRow(view, lineId, stop, reasons), `/production/lines/${lineId}`);
  });

  app.get('/production/report', {
    schema: { querystring: ReportQuery },
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => send(reply, reportPage(await viewOf(request), await oeeReport(services, request.tenantId, request.query))));

  // The report's numbers as CSV: text cells a spreadsheet would run as a formula are quoted (shift names are the plant's).
  app.get('/production/report.csv', {
    schema: { querystring: ReportQuery },
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => {
    const { t } = await viewOf(request);
    const { query, report } = await oeeReport(services, request.tenantId, request.query);
    const keys = ['planned_seconds', 'downtime_seconds', 'run_seconds', 'good_count', 'reject_count', 'availability', 'performance', 'quality', 'oee', 'stops', 'mttr_seconds', 'mtbf_seconds'] as const;
    const columns = [{ key: 'period', label: t('production.period') }, { key: 'shift', label: t('production.group_by.shift') }, { key: 'start', label: t('production.from') }, { key: 'end', label: t('production.to') },
      ...keys.map((key, index) => ({ key, label: key.endsWith('_seconds') ? `${t(REPORT_COLUMNS[index]!)} (s)` : t(REPORT_COLUMNS[index]!) }))];
    const figures = (values: Record<(typeof keys)[number], number | null>) => Object.fromEntries(keys.map((key) => [key, values[key]]));
    const rows = report === null ? [] : [
      ...report.buckets.map((bucket) => ({ period: periodOf(bucket), shift: bucket.shift?.name ?? null, start: bucket.start, end: bucket.end, ...figures(bucket) })),
      { period: t('production.total'), shift: null, start: report.from, end: report.to, ...figures(report.totals) },
    ];
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="oee-line-${query.line_id ?? 'none'}-${query.from}-${query.to}-${query.group_by}.csv"`)
      .send(toCsv({ shape: 'table', columns, rows }));
  });
}
