/**
 * Production data (docs/requirements.md, PRD-1, PRD-3 to PRD-5): detections stored in idempotent,
 * all-or-nothing batches with their rollups and downtime events in the same transaction; downtime
 * kept current for tables others write (a watermark) and as time passes (settling shift
 * occurrences); OEE from rollups and downtime events; the live state of a line; the verify report,
 * table set-up and partition maintenance of a tenant's plant database.
 */
import { batchRejected, parseInstant } from '../../platform/batches.ts';
import { badRequest, conflict, notFound, textFieldError, type FieldError } from '../../platform/http/errors.ts';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';
import { toIso } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import { isStorableText } from '../../platform/text.ts';
import {
  type DowntimeCategory, type DowntimeEvent, type ShiftDowntime, advanceShiftDowntime, diffDowntimeEvents, emptyShiftDowntime,
} from './downtime.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './local-time.ts';
import {
  DETECTION_COLUMNS, DOWNTIME_COLUMNS, type LineTable, type LineTables, describeLineTable, ensureDetectionMonths, lineTableName,
  maintainDetectionPartitions, type PartitionMaintenance,
} from './line-tables.ts';
import { type GroupBy, type OeeFigures, type OeeReport, type ProductionCount, PERFORMANCE_FLAG_ABOVE, computeOee } from './oee.ts';
import { type VerifiedTable, findTable, readCatalog, resolveStructure, verifyStructure } from './plant-catalog.ts';
import {
  type Line, type Plant, type PlantAccess, allLines, createPlantAccess, getLine, lineTables, type ProductionDeps,
} from './plant-context.ts';
import type { Area } from './plant.repo.ts';
import { type LineState, type ProductionRepo, type StoredDowntimeEvent, createProductionRepo } from './production.repo.ts';
import { type RollupUnit, aggregate, bucketStart, dayStart, nextDayStart, planRollupReads } from './rollups.ts';
import { type ShiftDefinition, type ShiftInstance, shiftInstances } from './shift-calendar.ts';
import { calendarBuckets } from './time-buckets.ts';

export const MAX_BATCH_DETECTIONS = 10_000;
/** Clocks of cameras and sensors drift; beyond this a time in the future is a mistake. */
const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;
const MAX_QUANTITY = 1_000_000;
const MAX_BATCH_ID_LENGTH = 100;
const MAX_DETECTION_PAGE = 1_000;
const MAX_REASON_LENGTH = 200;
const MAX_COMMENT_LENGTH = 2_000;
const GROUPINGS: readonly GroupBy[] = ['none', 'shift', 'hour', 'day', 'week', 'month'];
/** An automatic event never crosses a shift occurrence, and none lasts more than a day and an hour. */
const AUTO_EVENT_LOOKBACK_MS = 2 * DAY_MS;
/** Shift occurrences settled per line and call: a line left alone for a long time catches up over several calls. */
const MAX_SETTLE_OCCURRENCES = 500;
/** Rows read per pass from a table someone else writes. */
const SYNC_CHUNK = 5_000;
/**
 * Ids below the watermark read again on every pass: a writer that took an id before another one but
 * committed after it would otherwise be skipped. Reading again is harmless (rollups are recomputed
 * from the raw rows, downtime ignores times it has seen).
 */
const SYNC_REREAD_IDS = 1_000;
/** Late rows for nearby minutes are recomputed as one range. */
const SYNC_RANGE_GAP_MS = HOUR_MS;
const MAX_OEE_BUCKETS = 10_000;
/**
 * The longest window OEE is computed over: every shift occurrence in it is walked (stops are made up
 * for those without output), so an unbounded one is seconds of a blocked server per request.
 */
export const MAX_OEE_WINDOW_DAYS = 1_100;
/** The longest window of the stop list, which has no pages: a year of stops. */
export const MAX_DOWNTIME_WINDOW_DAYS = 366;

export interface DetectionInput {
  detected_at: unknown;
  area_id: unknown;
  product_id?: unknown;
  quantity?: unknown;
}

export interface DetectionBatch {
  batch_id?: unknown;
  detections: unknown;
}

export interface IngestResult {
  batch_id: string | null;
  accepted: number;
  /** The batch id was stored before: nothing was added this time. */
  duplicate: boolean;
}

interface ValidDetection {
  at: number;
  area_id: number;
  product_id: number | null;
  quantity: number;
}

export interface DetectionQuery {
  from?: number;
  to?: number;
  area_id?: number;
  product_id?: number;
  limit?: number;
  cursor?: string;
}

export interface DowntimeView {
  /** Null for a stop not stored yet (it is stored when the line's downtime is next settled). */
  id: number | null;
  line_id: number;
  start: string;
  end: string | null;
  duration_seconds: number | null;
  category: DowntimeCategory;
  reason: string | null;
  comment: string | null;
  source: 'auto' | 'manual';
}

export interface OeeQuery {
  line_id?: number;
  from: number;
  to: number;
  group_by: GroupBy;
}

export interface OeeBucketView extends OeeFigures {
  start: string;
  end: string;
  label: string;
  shift?: { id: string | number; name: string; date: string };
}

export interface OeeView {
  line_id: number | null;
  from: string;
  to: string;
  timezone: string;
  totals: OeeFigures;
  buckets: OeeBucketView[];
}

export interface VerifyReport {
  mode: 'embedded' | 'external';
  dialect: PlantDialect;
  verified_at: string;
  tables: (VerifiedTable & { exists: boolean })[];
}

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** An optional text of at most `limit` characters. */
function checkText(errors: FieldError[], field: string, value: unknown, limit: number): void {
  const problem = value == null ? undefined : textFieldError(field, value, { max: limit, message: `must be at most ${limit} characters` });
  if (problem !== undefined) errors.push(problem);
}

function validateBatch(batch: DetectionBatch, areas: Map<number, Area>, products: Set<number>, now: number): { batchId: string | null; rows: ValidDetection[] } {
  const errors: FieldError[] = [];
  let batchId: string | null = null;
  if (batch.batch_id !== undefined && batch.batch_id !== null) {
    const message = `must be a string of 1-${MAX_BATCH_ID_LENGTH} characters`;
    if (typeof batch.batch_id !== 'string') errors.push({ field: 'batch_id', message, code: 'type', params: { type: 'string' } });
    else if (batch.batch_id.length === 0 || batch.batch_id.length > MAX_BATCH_ID_LENGTH) errors.push({ field: 'batch_id', message, code: 'length_range', params: { min: 1, max: MAX_BATCH_ID_LENGTH } });
    else if (!isStorableText(batch.batch_id)) errors.push({ field: 'batch_id', message, code: 'unstorable_text' });
    else batchId = batch.batch_id;
  }
  if (!Array.isArray(batch.detections) || batch.detections.length === 0 || batch.detections.length > MAX_BATCH_DETECTIONS) {
    throw badRequest(say('The batch was not stored', 'El lote no se guardó'), [
      { field: 'detections', message: `must be a list of 1-${MAX_BATCH_DETECTIONS} detections`, code: 'items_range', params: { min: 1, max: MAX_BATCH_DETECTIONS } },
    ]);
  }
  const rows: ValidDetection[] = [];
  (batch.detections as unknown[]).forEach((item, index) => {
    const field = (name: string) => `detections[${index}].${name}`;
    const detection = (typeof item === 'object' && item !== null ? item : {}) as DetectionInput;
    const rowErrors: FieldError[] = [];
    const at = parseInstant(detection.detected_at);
    if (at === undefined) rowErrors.push({ field: field('detected_at'), message: 'must be an ISO 8601 time with its offset, or epoch milliseconds', code: 'timestamp' });
    else if (at > now + FUTURE_TOLERANCE_MS) {
      const minutes = FUTURE_TOLERANCE_MS / MINUTE_MS;
      rowErrors.push({ field: field('detected_at'), message: `is more than ${minutes} minutes in the future`, code: 'too_far_ahead', params: { minutes } });
    }
    if (!isId(detection.area_id) || !areas.has(detection.area_id)) {
      rowErrors.push({ field: field('area_id'), message: 'is not an area of this line', code: 'unknown_reference', params: { value: String(detection.area_id).slice(0, 64) } });
    }
    const product = detection.product_id ?? null;
    if (product !== null && (!isId(product) || !products.has(product))) {
      rowErrors.push({ field: field('product_id'), message: 'is not a product of this plant', code: 'unknown_reference', params: { value: String(product).slice(0, 64) } });
    }
    const quantity = detection.quantity ?? 1;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      rowErrors.push({ field: field('quantity'), message: `must be an integer from 1 to ${MAX_QUANTITY}`, code: 'range', params: { min: 1, max: MAX_QUANTITY } });
    }
    if (rowErrors.length > 0) errors.push(...rowErrors);
    else rows.push({ at: at!, area_id: detection.area_id as number, product_id: product as number | null, quantity: quantity as number });
  });
  if (errors.length > 0) {
    throw batchRejected(errors);
  }
  return { batchId, rows };
}

function encodeCursor(detection: { at: number; detection_id: number }): string {
  return Buffer.from(`${detection.at}:${detection.detection_id}`, 'utf8').toString('base64url');
}

function decodeDetectionCursor(cursor: string): { at: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw badRequest(say('cursor is not valid', 'cursor no es válido'), [{ field: 'cursor', message: 'is not a cursor this API issued', code: 'cursor' }]);
  return { at: Number(match[1]), id: Number(match[2]) };
}

const toCore = (event: StoredDowntimeEvent): DowntimeEvent => ({ start: event.start, end: event.end, category: event.category, reason: event.reason });
const durationSeconds = (start: number, end: number | null) => (end === null ? null : Math.round((end - start) / 1000));

/** The shifts a line works, as the calendar takes them. */
export async function lineShifts(plant: Plant, lineId: number): Promise<ShiftDefinition[]> {
  return (await plant.core.shifts())
    .filter((shift) => shift.line_id === null || shift.line_id === lineId)
    .map((shift) => ({ id: shift.shift_id, shift_name: shift.shift_name, start_time: shift.start_time, end_time: shift.end_time, is_active: shift.is_active }));
}

/** The line's tables if they exist; reads never create them. */
function existingLineTables(plant: Plant, line: Line): LineTables | undefined {
  const tables: Partial<LineTables> = {};
  for (const [kind, required, timeColumn] of [['detections', DETECTION_COLUMNS, 'detected_at'], ['downtime', DOWNTIME_COLUMNS, 'start_at']] as const) {
    const found = findTable(plant.catalog, lineTableName(plant.dialect, kind, line.line_code));
    if (found === undefined) return undefined;
    const described = describeLineTable(plant.dialect, found, required, timeColumn);
    if ('missing' in described) return undefined;
    tables[kind] = described.table;
  }
  return tables as LineTables;
}

/** The line's state row, locked for the transaction; created on first use with tracking from `now`. */
async function lockedLineState(store: ProductionRepo, line: Line, now: number): Promise<LineState> {
  const existing = await store.lockLineState(line.line_id, true);
  if (existing !== undefined) return existing;
  await store.createLineState({ line_id: line.line_id, tracking_since: now, settled_until: now, read_detection_id: 0, day_time_zone: line.timezone }, now);
  return (await store.lockLineState(line.line_id, true))!;
}

/** Writes what turns the stored automatic events of an occurrence into `next`, keeping operators' comments. */
async function persistEvents(store: ProductionRepo, table: LineTable, lineId: number, stored: StoredDowntimeEvent[], next: DowntimeEvent[], now: number): Promise<void> {
  const byStart = new Map(stored.map((event) => [event.start, event]));
  const diff = diffDowntimeEvents(stored.map(toCore), next);
  for (const event of diff.changed) {
    const old = byStart.get(event.start)!;
    // What settling changed, and nothing an operator may be classifying at this moment.
    await store.updateDowntime(table, old.id, {
      end: event.end, duration_seconds: durationSeconds(event.start, event.end),
      ...(event.category === old.category ? {} : { category: event.category }),
      ...(event.reason === old.reason ? {} : { reason: event.reason }),
    }, now);
  }
  for (const event of diff.added) {
    // A part of a split event keeps the comment the whole one had.
    const whole = diff.removed.map((removed) => byStart.get(removed.start)!).find((old) => old.start <= event.start && event.start < (old.end ?? Infinity))
      ?? stored.find((old) => old.start <= event.start && event.start < (old.end ?? Infinity));
    await store.insertDowntime(table, lineId, {
      ...event, duration_seconds: durationSeconds(event.start, event.end), comment: whole?.comment ?? null, source: 'auto',
    }, now);
  }
  for (const event of diff.removed) await store.deleteDowntime(table, byStart.get(event.start)!.id);
}

/** Advances one shift occurrence's downtime with new output times (none: just the passing of time). */
async function advanceOccurrence(store: ProductionRepo, tables: LineTables, line: Line, occurrence: ShiftInstance, times: number[], now: number): Promise<ShiftDowntime> {
  const lastOutputAt = (await store.shiftStates(line.line_id, occurrence.start, occurrence.start + 1)).get(occurrence.start) ?? null;
  const stored = await store.downtimeEvents(tables.downtime, occurrence.start, occurrence.end, 'auto');
  const state: ShiftDowntime = { start: occurrence.start, end: occurrence.end, last_output_at: lastOutputAt, events: stored.map(toCore) };
  const next = advanceShiftDowntime(state, times, { now, thresholdSeconds: line.downtime_threshold_seconds });
  await persistEvents(store, tables.downtime, line.line_id, stored, next.events, now);
  await store.saveShiftState(line.line_id, occurrence, next.last_output_at);
  return next;
}

/** Downtime of the occurrences the output detections fall in. */
async function advanceWithOutputs(store: ProductionRepo, tables: LineTables, line: Line, shifts: ShiftDefinition[], outputTimes: number[], now: number): Promise<void> {
  if (outputTimes.length === 0) return;
  const sorted = [...outputTimes].sort((a, b) => a - b);
  for (const occurrence of shiftInstances(shifts, line.timezone, sorted[0]!, sorted.at(-1)! + 1)) {
    const times = sorted.filter((time) => time >= occurrence.start && time < occurrence.end);
    if (times.length > 0) await advanceOccurrence(store, tables, line, occurrence, times, now);
  }
}

/** Data older than what Sentinel tracked so far: downtime is tracked (and settled) from there on. */
async function trackFrom(store: ProductionRepo, state: LineState, earliest: number, now: number): Promise<void> {
  if (earliest >= state.tracking_since) return;
  await store.updateLineState(state.line_id, { tracking_since: earliest, settled_until: Math.min(state.settled_until, earliest) }, now);
}

async function addToRollups(store: ProductionRepo, lineId: number, dayTimeZone: string, rows: readonly ValidDetection[]): Promise<void> {
  for (const unit of ['minute', 'hour', 'day'] as const) await store.addRollups(unit, lineId, aggregate(unit, dayTimeZone, rows));
}

function nextBucket(unit: RollupUnit, start: number, timeZone: string): number {
  if (unit === 'minute') return start + MINUTE_MS;
  if (unit === 'hour') return start + HOUR_MS;
  return nextDayStart(start, timeZone);
}

/**
 * Day rollups are cut at local midnight: after a line's time zone changes they are cut again from
 * the minute rollups, one local day at a time.
 */
export async function rebuildDayRollups(plant: Plant, line: Line, now: number): Promise<void> {
  await plant.db.transaction().execute(async (tx) => {
    const store = createProductionRepo(tx, plant.dialect);
    const state = await store.lockLineState(line.line_id, true);
    if (state === undefined) return;
    await store.deleteRollups('day', line.line_id);
    const range = await store.rollupRange('minute', line.line_id);
    if (range !== undefined) {
      for (let day = dayStart(range.first, line.timezone); day <= range.last;) {
        const next = nextBucket('day', day, line.timezone);
        await store.rebuildRollup('day', 'minute', line.line_id, day, next);
        day = next;
      }
    }
    await store.updateLineState(line.line_id, { day_time_zone: line.timezone }, now);
  });
}

/** Figures of several lines or slices as one: sums, and the ratios recomputed from them. */
/** What the OEE calls of one caller share: the instant they are answered for, and each line's report by window and grouping. */
export interface OeeScope {
  now: number;
  lines: Map<string, Promise<OeeReport>>;
}

export function combineFigures(all: OeeFigures[]): OeeFigures {
  const sum = (pick: (figures: OeeFigures) => number) => all.reduce((total, figures) => total + pick(figures), 0);
  const planned = sum((f) => f.planned_seconds);
  const downtime = sum((f) => f.downtime_seconds);
  const run = planned - downtime;
  const good = sum((f) => f.good_count);
  const reject = sum((f) => f.reject_count);
  const ideal = sum((f) => (f.performance ?? 0) * f.run_seconds);
  const stops = sum((f) => f.stops);
  const total = good + reject;
  const availability = planned > 0 ? run / planned : null;
  const performance = planned > 0 && run > 0 ? ideal / run : null;
  const quality = planned > 0 && total > 0 ? good / total : null;
  return {
    planned_seconds: planned, downtime_seconds: downtime, run_seconds: run, total_count: total, good_count: good, reject_count: reject,
    availability, performance, quality, oee: availability === null ? null : availability * (performance ?? 0) * (quality ?? 0),
    performance_exceeds_ideal: performance !== null && performance > PERFORMANCE_FLAG_ABOVE,
    stops, mttr_seconds: stops > 0 ? downtime / stops : null, mtbf_seconds: stops > 0 ? run / stops : null,
  };
}

/** Without an ideal cycle time there is no performance to speak of. */
const withoutPerformance = <T extends OeeFigures>(figures: T): T => ({ ...figures, performance: null, oee: null, performance_exceeds_ideal: false });

export function createProductionService(deps: ProductionDeps) {
  const access: PlantAccess = createPlantAccess(deps);
  const { withPlant, withDatabase, now: clock } = access;

  /** The events of a line that reach `[from, to)`: those stored, with the unsettled occurrences advanced to `now`. */
  async function lineDowntime(plant: Plant, line: Line, tables: LineTables, shifts: ShiftDefinition[], from: number, to: number, now: number): Promise<StoredDowntimeEvent[]> {
    const store = plant.store;
    const [auto, manual, state] = await Promise.all([
      store.downtimeEvents(tables.downtime, from - AUTO_EVENT_LOOKBACK_MS, to, 'auto'),
      store.downtimeEvents(tables.downtime, 0, to, 'manual'),
      store.lockLineState(line.line_id, false),
    ]);
    let events = auto;
    if (state !== undefined) {
      // From a lookback before the window: an ongoing stop stored there may have ended with its shift since.
      const unsettledFrom = Math.max(from - AUTO_EVENT_LOOKBACK_MS, state.settled_until);
      const unsettled = unsettledFrom >= Math.min(to, now) ? [] : shiftInstances(shifts, line.timezone, unsettledFrom, Math.min(to, now))
        .filter((occurrence) => occurrence.end > state.settled_until && occurrence.end > state.tracking_since && occurrence.start < now);
      if (unsettled.length > 0) {
        const lastOutputs = await store.shiftStates(line.line_id, unsettled[0]!.start, unsettled.at(-1)!.start + 1);
        for (const occurrence of unsettled) {
          const inside = (event: { start: number }) => event.start >= occurrence.start && event.start < occurrence.end;
          const stored = events.filter(inside);
          const known = { ...emptyShiftDowntime(occurrence), last_output_at: lastOutputs.get(occurrence.start) ?? null, events: stored.map(toCore) };
          const advanced = advanceShiftDowntime(known, [], { now, thresholdSeconds: line.downtime_threshold_seconds }).events;
          const byStart = new Map(stored.map((event) => [event.start, event]));
          events = events.filter((event) => !inside(event)).concat(advanced.map((event) => ({
            ...(byStart.get(event.start) ?? { id: -1, comment: null, source: 'auto' as const }),
            ...event,
            duration_seconds: durationSeconds(event.start, event.end),
          })));
        }
      }
    }
    const reaches = (event: StoredDowntimeEvent) => event.start < to && (event.end === null || event.end > from);
    return [...events, ...manual].filter(reaches).sort((a, b) => a.start - b.start);
  }

  /** The line's output and reject counts in its shift time within `[from, to)`, read from the rollups that answer it exactly. */
  async function lineCounts(plant: Plant, line: Line, shifts: ShiftDefinition[], from: number, to: number, groupBy: GroupBy, now: number): Promise<ProductionCount[]> {
    const counts: ProductionCount[] = [];
    const [state, areas] = await Promise.all([plant.store.lockLineState(line.line_id, false), plant.core.areas(line.line_id)]);
    const plan = planRollupReads({
      from, to, now, timeZone: line.timezone, groupBy, useDays: state?.day_time_zone === line.timezone,
      instances: shiftInstances(shifts, line.timezone, from, to),
    });
    const areaTypes = new Map(areas.map((area) => [area.area_id, area.area_type]));
    for (const unit of ['day', 'hour', 'minute'] as const) {
      if (plan[unit].length === 0) continue;
      for (const cell of await plant.store.sumRollups(unit, line.line_id, plan[unit])) {
        const areaType = areaTypes.get(cell.area_id);
        if (areaType !== undefined) counts.push({ at: cell.bucket_start, area_type: areaType, product_id: cell.product_id === 0 ? null : cell.product_id, quantity: cell.quantity });
      }
    }
    return counts;
  }

  async function lineOee(plant: Plant, line: Line, from: number, to: number, groupBy: GroupBy, now: number): Promise<OeeReport> {
    const shifts = await lineShifts(plant, line.line_id);
    const tables = existingLineTables(plant, line);
    let counts: ProductionCount[] = [];
    let downtime: DowntimeEvent[] = [];
    if (tables !== undefined) {
      const [events, lineCountsRead] = await Promise.all([
        lineDowntime(plant, line, tables, shifts, from, to, now),
        lineCounts(plant, line, shifts, from, to, groupBy, now),
      ]);
      downtime = events.map(toCore);
      counts = lineCountsRead;
    }
    const productIdeal = new Map<number, number>();
    for (const [productId, seconds] of await plant.settings.products()) if (seconds !== null) productIdeal.set(productId, seconds);
    const report = computeOee({
      from, to, now, timeZone: line.timezone, groupBy, shifts, downtime, counts,
      lineIdealCycleSeconds: line.ideal_cycle_seconds ?? 1, productIdealCycleSeconds: productIdeal,
    });
    if (line.ideal_cycle_seconds !== null) return report;
    return { totals: withoutPerformance(report.totals), buckets: report.buckets.map(withoutPerformance) };
  }

  function checkWindow(from: number, to: number, groupBy: GroupBy): void {
    const errors: FieldError[] = [];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0) errors.push({ field: 'from', message: 'must be a valid time', code: 'timestamp' });
    else if (to <= from) errors.push({ field: 'to', message: 'must be after from', code: 'after', params: { other: 'from' } });
    else if (to - from > MAX_OEE_WINDOW_DAYS * DAY_MS) {
      errors.push({ field: 'from', message: `must be at most ${MAX_OEE_WINDOW_DAYS} days before to`, code: 'span_days', params: { limit: MAX_OEE_WINDOW_DAYS } });
    }
    if (!GROUPINGS.includes(groupBy)) {
      errors.push({ field: 'group_by', message: 'must be none, shift, hour, day, week or month', code: 'one_of', params: { allowed: GROUPINGS.join(', ') } });
    }
    if (errors.length > 0) throw badRequest(say('The OEE window is not valid', 'La ventana del OEE no es válida'), errors);
    if (groupBy === 'hour' && (to - from) / HOUR_MS > MAX_OEE_BUCKETS) {
      throw badRequest(say('Too many buckets', 'Demasiados intervalos'), [
        { field: 'group_by', message: `hourly buckets cover at most ${MAX_OEE_BUCKETS} hours; choose a coarser grouping`, code: 'too_many_buckets', params: { limit: MAX_OEE_BUCKETS } },
      ]);
    }
  }

  /** New rows of a line's detection table past the watermark: rollups recomputed from them, downtime advanced. */
  async function syncLine(plant: Plant, line: Line, tables: LineTables, shifts: ShiftDefinition[], now: number): Promise<{ read: number; more: boolean }> {
    return plant.db.transaction().execute(async (tx) => {
      const store = createProductionRepo(tx, plant.dialect);
      const state = await lockedLineState(store, line, now);
      const watermark = state.read_detection_id;
      const rows = await store.detectionsAfter(tables.detections, Math.max(0, watermark - SYNC_REREAD_IDS), SYNC_CHUNK);
      const fresh = rows.filter((row) => row.detection_id > watermark);
      if (fresh.length === 0) return { read: 0, more: false };

      const minutes = [...new Set(rows.map((row) => bucketStart('minute', row.at, line.timezone)))].sort((a, b) => a - b);
      const ranges: { start: number; end: number }[] = [];
      for (const minute of minutes) {
        const last = ranges.at(-1);
        if (last !== undefined && minute - last.end <= SYNC_RANGE_GAP_MS) last.end = minute + MINUTE_MS;
        else ranges.push({ start: minute, end: minute + MINUTE_MS });
      }
      for (const range of ranges) {
        const raw = await store.detectionsIn(tables.detections, range.start, range.end);
        await store.replaceRollups('minute', line.line_id, range.start, range.end, aggregate('minute', state.day_time_zone, raw));
      }
      for (const [unit, source] of [['hour', 'minute'], ['day', 'minute']] as const) {
        const starts = new Set(rows.map((row) => bucketStart(unit, row.at, state.day_time_zone)));
        for (const start of starts) await store.rebuildRollup(unit, source, line.line_id, start, nextBucket(unit, start, state.day_time_zone));
      }

      const areas = new Map((await plant.core.areas(line.line_id)).map((area) => [area.area_id, area.area_type]));
      await advanceWithOutputs(store, tables, line, shifts, rows.filter((row) => areas.get(row.area_id) === 'output').map((row) => row.at), now);
      await trackFrom(store, state, Math.min(...fresh.map((row) => row.at)), now);
      await store.updateLineState(line.line_id, { read_detection_id: Math.max(...fresh.map((row) => row.detection_id)) }, now);
      return { read: fresh.length, more: rows.length === SYNC_CHUNK };
    });
  }

  return {
    /** Stores a batch of detections, all or nothing; a batch id stored before is acknowledged and not counted again. */
    ingest: (tenantId: string, lineId: number, batch: DetectionBatch) =>
      withPlant(tenantId, async (plant): Promise<IngestResult> => {
        const now = clock();
        const line = await getLine(plant, lineId);
        if (!line.is_active) throw conflict(say('The line is inactive; activate it to record detections', 'La línea está inactiva; actívela para registrar detecciones'));
        const [areaList, productList] = await Promise.all([plant.core.areas(lineId), plant.core.products()]);
        const areas = new Map(areaList.map((area) => [area.area_id, area]));
        const { batchId, rows } = validateBatch(batch, areas, new Set(productList.map((product) => product.product_id)), now);
        const tables = await lineTables(plant, line, now);
        await ensureDetectionMonths(plant.db, plant.dialect, tables.detections, rows.map((row) => row.at));
        const shifts = await lineShifts(plant, lineId);
        const stored = await plant.db.transaction().execute(async (tx): Promise<{ result: IngestResult; lastOutputAt: number | null }> => {
          const store = createProductionRepo(tx, plant.dialect);
          const state = await lockedLineState(store, line, now);
          if (batchId !== null) {
            if (await store.batchSeen(lineId, batchId)) return { result: { batch_id: batchId, accepted: 0, duplicate: true }, lastOutputAt: null };
            await store.recordBatch(lineId, batchId, rows.length, now);
          }
          await store.insertDetections(tables.detections, rows);
          await addToRollups(store, lineId, state.day_time_zone, rows);
          const outputs = rows.filter((row) => areas.get(row.area_id)!.area_type === 'output').map((row) => row.at);
          await advanceWithOutputs(store, tables, line, shifts, outputs, now);
          await trackFrom(store, state, Math.min(...rows.map((row) => row.at)), now);
          return { result: { batch_id: batchId, accepted: rows.length, duplicate: false }, lastOutputAt: outputs.length === 0 ? null : outputs.reduce((a, b) => Math.max(a, b)) };
        });
        // After the commit: the live line watch hears of the newest output.
        if (stored.lastOutputAt !== null) deps.onOutput?.(tenantId, lineId, stored.lastOutputAt);
        return stored.result;
      }),

    /** Newest first, paged by `cursor`. */
    listDetections: (tenantId: string, lineId: number, query: DetectionQuery) =>
      withPlant(tenantId, async (plant) => {
        const line = await getLine(plant, lineId);
        const tables = existingLineTables(plant, line);
        const limit = query.limit ?? 100;
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DETECTION_PAGE) {
          throw badRequest(say('limit is not valid', 'limit no es válido'), [{ field: 'limit', message: `must be an integer from 1 to ${MAX_DETECTION_PAGE}`, code: 'range', params: { min: 1, max: MAX_DETECTION_PAGE } }]);
        }
        if (tables === undefined) return { items: [], next_cursor: null };
        const rows = await plant.store.listDetections(tables.detections, {
          from: query.from, to: query.to, areaId: query.area_id, productId: query.product_id,
          before: query.cursor === undefined ? undefined : decodeDetectionCursor(query.cursor), limit: limit + 1,
        });
        const items = rows.slice(0, limit);
        return {
          items: items.map((row) => ({ detection_id: row.detection_id, detected_at: toIso(row.at), area_id: row.area_id, product_id: row.product_id, quantity: row.quantity })),
          next_cursor: rows.length > limit ? encodeCursor(items.at(-1)!) : null,
        };
      }),

    /**
     * Reads what others wrote to the lines' detection tables since the last call (a client's own
     * writers in external mode): rollups and downtime catch up. Call it periodically.
     */
    syncDetections: (tenantId: string, options: { lineId?: number } = {}) =>
      withPlant(tenantId, async (plant) => {
        const now = clock();
        const lines = options.lineId === undefined ? await allLines(plant) : [await getLine(plant, options.lineId)];
        let read = 0;
        for (const line of lines) {
          const tables = existingLineTables(plant, line);
          if (tables === undefined) continue;
          const shifts = await lineShifts(plant, line.line_id);
          for (let pass = 0; pass < 100; pass++) {
            const result = await syncLine(plant, line, tables, shifts, now);
            read += result.read;
            if (!result.more || result.read === 0) break;
          }
        }
        return { read };
      }),

    /**
     * Settles the downtime of shift occurrences up to now for every active line: a stop with no
     * detection to end it is stored (ongoing, then closed at the shift's end), and a shift with no
     * output at all is one stop. Call it periodically (every minute or so).
     */
    settleDowntime: (tenantId: string) =>
      withPlant(tenantId, async (plant) => {
        const now = clock();
        let occurrences = 0;
        for (const line of (await allLines(plant)).filter((candidate) => candidate.is_active)) {
          const tables = await lineTables(plant, line, now);
          const shifts = await lineShifts(plant, line.line_id);
          occurrences += await plant.db.transaction().execute(async (tx) => {
            const store = createProductionRepo(tx, plant.dialect);
            const state = await lockedLineState(store, line, now);
            const pending = shiftInstances(shifts, line.timezone, state.settled_until, Math.max(state.settled_until, now))
              .filter((occurrence) => occurrence.start < now && occurrence.end > state.settled_until)
              .slice(0, MAX_SETTLE_OCCURRENCES);
            let settledUntil = now;
            for (const occurrence of pending) {
              await advanceOccurrence(store, tables, line, occurrence, [], now);
              if (occurrence.end > now) settledUntil = Math.min(settledUntil, occurrence.start);
            }
            if (pending.length === MAX_SETTLE_OCCURRENCES) settledUntil = Math.min(settledUntil, pending.at(-1)!.end);
            await store.updateLineState(line.line_id, { settled_until: Math.max(state.settled_until, settledUntil) }, now);
            return pending.length;
          });
        }
        return { occurrences };
      }),

    /** The line's stops reaching `[from, to)`, oldest first. */
    listDowntime: (tenantId: string, lineId: number, window: { from: number; to: number }) =>
      withPlant(tenantId, async (plant): Promise<DowntimeView[]> => {
        if (!Number.isSafeInteger(window.from) || !Number.isSafeInteger(window.to) || window.from < 0) {
          throw badRequest(say('The window is not valid', 'La ventana no es válida'), [{ field: 'from', message: 'must be a valid time', code: 'timestamp' }]);
        }
        if (!(window.to > window.from)) throw badRequest(say('The window is not valid', 'La ventana no es válida'), [{ field: 'to', message: 'must be after from', code: 'after', params: { other: 'from' } }]);
        if (window.to - window.from > MAX_DOWNTIME_WINDOW_DAYS * DAY_MS) {
          throw badRequest(say('The window is not valid', 'La ventana no es válida'), [
            { field: 'from', message: `must be at most ${MAX_DOWNTIME_WINDOW_DAYS} days before to`, code: 'span_days', params: { limit: MAX_DOWNTIME_WINDOW_DAYS } },
          ]);
        }
        const line = await getLine(plant, lineId);
        const tables = existingLineTables(plant, line);
        if (tables === undefined) return [];
        const events = await lineDowntime(plant, line, tables, await lineShifts(plant, lineId), window.from, window.to, clock());
        return events.map((event) => ({
          id: event.id < 0 ? null : event.id, line_id: lineId, start: toIso(event.start), end: event.end === null ? null : toIso(event.end),
          duration_seconds: event.duration_seconds, category: event.category, reason: event.reason, comment: event.comment, source: event.source,
        }));
      }),

    /** An operator's classification of a stop: planned or not, why, and a comment. */
    classifyDowntime: (tenantId: string, lineId: number, eventId: number, input: { category?: DowntimeCategory; reason?: string | null; comment?: string | null }) =>
      withPlant(tenantId, async (plant) => {
        const errors: FieldError[] = [];
        if (input.category !== undefined && input.category !== 'planned' && input.category !== 'unplanned') {
          errors.push({ field: 'category', message: 'must be planned or unplanned', code: 'one_of', params: { allowed: 'planned, unplanned' } });
        }
        checkText(errors, 'reason', input.reason, MAX_REASON_LENGTH);
        checkText(errors, 'comment', input.comment, MAX_COMMENT_LENGTH);
        if (errors.length > 0) throw badRequest(say('The classification is not valid', 'La clasificación no es válida'), errors);
        const line = await getLine(plant, lineId);
        const tables = existingLineTables(plant, line);
        if (tables === undefined) throw notFound(say('Downtime event not found', 'No se ha encontrado la parada'));
        // Only the classification: the stop's end is settling's, which may be writing it right now.
        // An unknown id updates nothing and is not found when read back.
        await plant.store.updateDowntime(tables.downtime, eventId, { category: input.category, reason: input.reason, comment: input.comment }, clock());
        const stored = await plant.store.downtimeEvent(tables.downtime, eventId);
        if (stored === undefined) throw notFound(say('Downtime event not found', 'No se ha encontrado la parada'));
        return { ...stored, start: toIso(stored.start), end: stored.end === null ? null : toIso(stored.end), line_id: lineId };
      }),

    /**
     * OEE of a line, or of every active line together (they must share a time zone), over `[from, to)`.
     * Calls made with one `scope` (a dashboard's widgets) are answered for its instant and share each
     * line's report: the plant's OEE and a line's own OEE over one window are computed once.
     */
    oee: (tenantId: string, query: OeeQuery, scope?: OeeScope) =>
      withPlant(tenantId, async (plant): Promise<OeeView> => {
        checkWindow(query.from, query.to, query.group_by);
        const now = scope?.now ?? clock();
        const lines = query.line_id === undefined ? (await allLines(plant)).filter((line) => line.is_active) : [await getLine(plant, query.line_id)];
        const zones = new Set(lines.map((line) => line.timezone));
        if (zones.size > 1) throw badRequest(say('The lines are in different time zones; ask for one line at a time', 'Las líneas están en zonas horarias distintas; pida una línea cada vez'), [{ field: 'line_id', message: 'is required when lines differ in time zone', code: 'required' }]);
        const timezone = lines[0]?.timezone ?? plant.tenantTimeZone;
        const reports: OeeReport[] = [];
        for (const line of lines) {
          const key = `${line.line_id}\n${query.from}\n${query.to}\n${query.group_by}`;
          let report = scope?.lines.get(key);
          if (report === undefined) {
            report = lineOee(plant, line, query.from, query.to, query.group_by, now);
            scope?.lines.set(key, report);
          }
          reports.push(await report);
        }
        const view = (bucket: { start: number; end: number; label: string; shift?: OeeBucketView['shift'] }, figures: OeeFigures): OeeBucketView => ({
          ...figures, start: toIso(bucket.start), end: toIso(bucket.end), label: bucket.label, ...(bucket.shift ? { shift: bucket.shift } : {}),
        });
        if (reports.length === 1) {
          const [report] = reports;
          return { line_id: lines[0]!.line_id, from: toIso(query.from), to: toIso(query.to), timezone, totals: report!.totals, buckets: report!.buckets.map((bucket) => view(bucket, bucket)) };
        }
        if (query.group_by === 'shift' && reports.length > 1) {
          throw badRequest(say('Shifts differ from line to line', 'Los turnos difieren de una línea a otra'), [{ field: 'group_by', message: 'shift needs a line_id', code: 'requires', params: { other: 'line_id' } }]);
        }
        const buckets = query.group_by === 'none' ? [] : calendarBuckets(query.from, query.to, query.group_by as Exclude<GroupBy, 'none' | 'shift'>, timezone);
        return {
          line_id: null, from: toIso(query.from), to: toIso(query.to), timezone,
          totals: combineFigures(reports.map((report) => report.totals)),
          buckets: buckets.map((bucket, index) => view(bucket, combineFigures(reports.map((report) => report.buckets[index]!)))),
        };
      }),

    /**
     * Good and reject counts by product over `[from, to)` for a line or every active line: the
     * counts OEE uses (shift time, before now), so they add up to its totals.
     */
    productCounts: (tenantId: string, query: { line_id?: number; from: number; to: number }) =>
      withPlant(tenantId, async (plant) => {
        checkWindow(query.from, query.to, 'none');
        const now = clock();
        const lines = query.line_id === undefined ? (await allLines(plant)).filter((line) => line.is_active) : [await getLine(plant, query.line_id)];
        const byProduct = new Map<number | null, { product_id: number | null; good_count: number; reject_count: number }>();
        for (const line of lines) {
          if (existingLineTables(plant, line) === undefined) continue;
          for (const count of await lineCounts(plant, line, await lineShifts(plant, line.line_id), query.from, query.to, 'none', now)) {
            if (count.area_type !== 'output' && count.area_type !== 'reject') continue;
            const product = count.product_id === null ? null : Number(count.product_id);
            const entry = byProduct.get(product) ?? { product_id: product, good_count: 0, reject_count: 0 };
            if (count.area_type === 'output') entry.good_count += count.quantity;
            else entry.reject_count += count.quantity;
            byProduct.set(product, entry);
          }
        }
        return [...byProduct.values()];
      }),

    /** Running, stopped (since when) or outside its shifts, with today's counts and OEE so far. */
    lineStatus: (tenantId: string, lineId: number) =>
      withPlant(tenantId, async (plant) => {
        const now = clock();
        const line = await getLine(plant, lineId);
        const shifts = await lineShifts(plant, lineId);
        const recent = shiftInstances(shifts, line.timezone, now - AUTO_EVENT_LOOKBACK_MS, now + 1);
        const current = recent.find((occurrence) => occurrence.start <= now && now < occurrence.end);
        const tables = existingLineTables(plant, line);
        let state: 'running' | 'stopped' | 'outside_shift' = 'outside_shift';
        let since: number | null = recent.filter((occurrence) => occurrence.end <= now).at(-1)?.end ?? null;
        let lastOutputAt: number | null = null;
        if (current !== undefined) {
          const events = tables === undefined ? [] : (await lineDowntime(plant, line, tables, shifts, current.start, now + 1, now)).filter((event) => event.source === 'auto');
          lastOutputAt = (await plant.store.shiftStates(lineId, current.start, current.start + 1)).get(current.start) ?? null;
          const ongoing = events.find((event) => event.end === null && event.start >= current.start);
          const lastPoint = lastOutputAt ?? current.start;
          if (ongoing !== undefined) [state, since] = ['stopped', ongoing.start];
          else if (now - lastPoint > line.downtime_threshold_seconds * 1000) [state, since] = ['stopped', lastPoint];
          else [state, since] = ['running', events.filter((event) => event.end !== null && event.end <= now).at(-1)?.end ?? current.start];
        }
        const todayFrom = dayStart(now, line.timezone);
        const today = now > todayFrom ? (await lineOee(plant, line, todayFrom, now, 'none', now)).totals : undefined;
        return {
          line_id: lineId, line_name: line.line_name, timezone: line.timezone, state,
          since: since === null ? null : toIso(since),
          shift: current === undefined ? null : { shift_id: current.shift_id, shift_name: current.shift_name, start: toIso(current.start), end: toIso(current.end) },
          last_output_at: lastOutputAt === null ? null : toIso(lastOutputAt),
          today: today === undefined ? null : { from: toIso(todayFrom), to: toIso(now), ...today },
        };
      }),

    /** Checks the plant structure table by table, and each line's tables that exist; creates and alters nothing. */
    verify: (tenantId: string) =>
      withDatabase(tenantId, async (db, dialect, mode): Promise<VerifyReport> => {
        const catalog = await readCatalog(db, dialect);
        const tables = (await verifyStructure(db, catalog)).map((table) => ({ ...table, exists: table.rows !== null }));
        const structure = resolveStructure(catalog);
        if (structure !== undefined && findTable(catalog, 'sentinel_line_state') !== undefined) {
          // Line codes come from the structure and the settings: read them the way the services do.
          await withPlant(tenantId, async (plant) => {
            for (const line of await allLines(plant)) {
              for (const [kind, required, timeColumn] of [['detections', DETECTION_COLUMNS, 'detected_at'], ['downtime', DOWNTIME_COLUMNS, 'start_at']] as const) {
                const found = findTable(catalog, lineTableName(dialect, kind, line.line_code));
                if (found === undefined) continue;
                const described = describeLineTable(dialect, found, required, timeColumn);
                // Detection tables can hold millions of rows: they are not counted.
                tables.push({ name: found.name, ok: 'table' in described, rows: null, missing_columns: 'missing' in described ? described.missing : [], exists: true });
              }
            }
          });
        }
        return { mode, dialect, verified_at: toIso(clock()), tables };
      }),

    /** Sentinel's own tables and every line's detection and downtime tables, created where missing. */
    initTables: (tenantId: string) =>
      withPlant(tenantId, async (plant) => {
        const lines = [];
        for (const line of await allLines(plant)) {
          const tables = await lineTables(plant, line, clock());
          lines.push({ line_id: line.line_id, line_code: line.line_code, detection_table: tables.detections.name, downtime_table: tables.downtime.name });
        }
        return { lines };
      }),

    /** Next months' partitions for every line Sentinel created tables for; with a retention, older ones dropped. */
    maintainPartitions: (tenantId: string, options: { monthsAhead?: number; retentionMonths?: number } = {}) =>
      withPlant(tenantId, async (plant) => {
        const now = clock();
        const results: (PartitionMaintenance & { line_id: number; table: string })[] = [];
        for (const line of await allLines(plant)) {
          const tables = existingLineTables(plant, line);
          if (tables === undefined) continue;
          const result = await maintainDetectionPartitions(plant.db, plant.dialect, tables.detections, { now, monthsAhead: options.monthsAhead ?? 3, retentionMonths: options.retentionMonths });
          results.push({ line_id: line.line_id, table: tables.detections.name, ...result });
        }
        return results;
      }),

    access,
  };
}

export type ProductionService = ReturnType<typeof createProductionService>;
