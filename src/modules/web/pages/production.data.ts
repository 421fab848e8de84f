/**
 * What the production pages show, read from the production services behind the API (the line
 * status, `/production/oee` and the line's downtime), so that a page shows the API's numbers.
 */
import { badRequest, type FieldError } from '../../../platform/http/errors.ts';
import { say } from '../../../platform/languages.ts';
import type { DowntimeReasonView } from '../../production/downtime-reasons.service.ts';
import { DAY_MS, fromWall, startOfWallDay, toWall, wallDate } from '../../production/local-time.ts';
import { plantProblem } from '../../production/plant-problems.ts';
import type { DowntimeView, OeeView } from '../../production/production.service.ts';
import type { AppServices } from '../../../services.ts';
import { downtimeByReason } from '../../widgets/sources/production.ts';

type ProductionServices = Pick<AppServices, 'production' | 'structure' | 'downtimeReasons'>;
export type LineStatusView = Awaited<ReturnType<AppServices['production']['lineStatus']>>;

export interface LineDay {
  status: LineStatusView;
  /** Today so far (the line's day), by hour. */
  hours: OeeView;
  downtime: DowntimeView[];
  pareto: { reason: string; seconds: number }[];
}

export interface LinePageData extends LineDay {
  reasons: DowntimeReasonView[];
}

/** A plant failure is the problem the API would answer (busy, refused, misconfigured), not a 500. */
export async function fromPlant<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw plantProblem(error);
  }
}

/** The line's day so far in its own time zone: state, OEE by hour, stops and their Pareto (unplanned stops, as the widget's). */
export async function lineDay(services: ProductionServices, tenantId: string, lineId: number, unclassified: string): Promise<LineDay> {
  return fromPlant(async () => {
    const status = await services.production.lineStatus(tenantId, lineId);
    const now = status.today === null ? Date.now() : Date.parse(status.today.to);
    const from = status.today === null ? now - 1 : Date.parse(status.today.from);
    const to = Math.max(now, from + 1);
    const [hours, downtime] = await Promise.all([
      services.production.oee(tenantId, { line_id: lineId, from, to, group_by: 'hour' }),
      services.production.listDowntime(tenantId, lineId, { from, to }),
    ]);
    const inWindow = downtime.filter((stop) => stop.category === 'unplanned').map((stop) => {
      const start = Math.max(Date.parse(stop.start), from);
      const end = Math.min(stop.end === null ? now : Date.parse(stop.end), to);
      return { reason: stop.reason, seconds_in_window: Math.max(0, Math.round((end - start) / 1000)) };
    });
    return { status, hours, downtime, pareto: downtimeByReason(inWindow, unclassified) };
  });
}

export async function linePageData(services: ProductionServices, tenantId: string, lineId: number, unclassified: string): Promise<LinePageData> {
  const [day, reasons] = await Promise.all([lineDay(services, tenantId, lineId, unclassified), services.downtimeReasons.list(tenantId)]);
  return { ...day, reasons };
}

export type ReportGrouping = 'shift' | 'day' | 'week';

export interface ReportQuery {
  line_id?: number;
  from?: string;
  to?: string;
  group_by?: ReportGrouping;
}

export interface OeeReportData {
  lines: { line_id: number; line_name: string }[];
  /** The query with its defaults filled in; no line when the tenant has none. */
  query: { line_id: number | null; from: string; to: string; group_by: ReportGrouping };
  report: OeeView | null;
}

/** A report covers at most about a year (by shift, that is already a thousand rows). */
const MAX_REPORT_DAYS = 400;
const DEFAULT_REPORT_DAYS = 7;

/** The wall value of a calendar date, NaN for one that does not exist (2026-02-31). */
function wallOfDate(date: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(wall) && wallDate(wall) === date ? wall : Number.NaN;
}

/**
 * The OEE report of a line over whole local days `from`…`to` (both included, the line's time
 * zone), by shift, day or week: `/production/oee`'s numbers. Without dates, the last 7 days.
 */
export async function oeeReport(services: ProductionServices, tenantId: string, query: ReportQuery): Promise<OeeReportData> {
  return fromPlant(async () => {
    const lines = (await services.structure.listLines(tenantId)).filter((line) => line.is_active || line.line_id === query.line_id);
    const groupBy = query.group_by ?? 'day';
    const line = query.line_id === undefined ? lines[0] : await services.structure.getLine(tenantId, query.line_id);
    const choices = lines.map(({ line_id, line_name }) => ({ line_id, line_name }));
    if (line === undefined) {
      const today = wallDate(Date.now());
      return { lines: choices, query: { line_id: null, from: query.from ?? today, to: query.to ?? today, group_by: groupBy }, report: null };
    }
    const today = startOfWallDay(toWall(Date.now(), line.timezone));
    const toDay = query.to === undefined ? today : wallOfDate(query.to);
    const fromDay = query.from === undefined ? toDay - (DEFAULT_REPORT_DAYS - 1) * DAY_MS : wallOfDate(query.from);
    const invalid = ([['from', fromDay], ['to', toDay]] as const).filter(([, day]) => !Number.isFinite(day));
    if (invalid.length > 0) throw badRequest(say('The dates are not valid', 'Las fechas no son válidas'), invalid.map(([field]): FieldError => ({ field, message: 'must be a date (YYYY-MM-DD)', code: 'format', params: { format: 'date' } })));
    if (toDay < fromDay) throw badRequest(say('The report ends before it starts', 'El informe termina antes de empezar'), [{ field: 'to', message: 'must not be before from', code: 'not_before', params: { other: 'from' } }]);
    if (toDay - fromDay >= MAX_REPORT_DAYS * DAY_MS) {
      throw badRequest(say('The report covers too many days', 'El informe abarca demasiados días'), [{ field: 'from', message: `at most ${MAX_REPORT_DAYS} days`, code: 'span_days', params: { limit: MAX_REPORT_DAYS } }]);
    }
    const report = await services.production.oee(tenantId, {
      line_id: line.line_id, from: fromWall(fromDay, line.timezone), to: fromWall(toDay + DAY_MS, line.timezone), group_by: groupBy,
    });
    return { lines: choices, query: { line_id: line.line_id, from: wallDate(fromDay), to: wallDate(toDay), group_by: groupBy }, report };
  });
}
