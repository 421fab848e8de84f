/**
 * Per-minute, per-hour and per-day production counts (line × area × product), and which of them
 * answer a window exactly (docs/requirements.md, PRD-5: fast at any range).
 *
 * A rollup row stands for every detection in its bucket `[start, end)` and is handed to `computeOee`
 * as one count at `start`. That is exact when nothing the computation distinguishes changes inside
 * the bucket: the bucket lies inside one scheduled span of the window and inside one report bucket.
 * So the window is cut into such segments, each covered by whole days (local midnight to local
 * midnight in the line's zone), then whole UTC hours, then minutes at the edges. Shift and report
 * boundaries fall on whole minutes, so minutes always fit.
 */
import { type Span, unionOf } from './intervals.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, fromWall, startOfWallDay, toWall } from './local-time.ts';
import type { GroupBy } from './oee.ts';
import { type ShiftInstance } from './shift-calendar.ts';
import { calendarBuckets } from './time-buckets.ts';

export type RollupUnit = 'minute' | 'hour' | 'day';

export interface RollupCell {
  bucket_start: number;
  area_id: number;
  /** 0 when the detections named no product. */
  product_id: number;
  quantity: number;
}

/** Local midnight at or before `instant` in `timeZone`. */
export function dayStart(instant: number, timeZone: string): number {
  return fromWall(startOfWallDay(toWall(instant, timeZone)), timeZone);
}

/** The local midnight after the one at `start`. */
export function nextDayStart(start: number, timeZone: string): number {
  return fromWall(startOfWallDay(toWall(start, timeZone)) + DAY_MS, timeZone);
}

/** The bucket of each unit an instant falls in. */
export function bucketStart(unit: RollupUnit, instant: number, timeZone: string): number {
  if (unit === 'minute') return Math.floor(instant / MINUTE_MS) * MINUTE_MS;
  if (unit === 'hour') return Math.floor(instant / HOUR_MS) * HOUR_MS;
  return dayStart(instant, timeZone);
}

/** Sums detections into the cells of one unit. */
export function aggregate(
  unit: RollupUnit, timeZone: string, detections: Iterable<{ at: number; area_id: number; product_id: number | null; quantity: number }>,
): RollupCell[] {
  const cells = new Map<string, RollupCell>();
  // Detections come in runs inside one local day: its bounds are kept, as asking Intl for every
  // detection's day was most of the cost of an ingest.
  let day = { start: 0, end: 0 };
  for (const detection of detections) {
    if (unit === 'day' && (detection.at < day.start || detection.at >= day.end)) {
      const start = dayStart(detection.at, timeZone);
      day = { start, end: nextDayStart(start, timeZone) };
    }
    const start = unit === 'day' ? day.start : bucketStart(unit, detection.at, timeZone);
    const product = detection.product_id ?? 0;
    const key = `${start}:${detection.area_id}:${product}`;
    const cell = cells.get(key);
    if (cell === undefined) cells.set(key, { bucket_start: start, area_id: detection.area_id, product_id: product, quantity: detection.quantity });
    else cell.quantity += detection.quantity;
  }
  return [...cells.values()];
}

/**
 * Ranges of bucket starts to read from each rollup table. Each range lies inside one segment, so
 * its cells may be summed and counted at the range's start (`ProductionRepo.sumRollups`).
 */
export type RollupPlan = Record<RollupUnit, Span[]>;

export interface PlanInput {
  from: number;
  to: number;
  now: number;
  timeZone: string;
  groupBy: GroupBy;
  instances: readonly ShiftInstance[];
  /** False when the day rollups were cut in another time zone than the line's current one. */
  useDays: boolean;
}

const ceilTo = (instant: number, step: number) => Math.ceil(instant / step) * step;
const floorTo = (instant: number, step: number) => Math.floor(instant / step) * step;

/** The segments of the window where counts matter and attribute uniformly. */
function segments(input: PlanInput): Span[] {
  const until = Math.max(input.from, Math.min(input.to, input.now));
  const scheduled = unionOf(input.instances.map((instance) => ({ start: Math.max(input.from, instance.start), end: Math.min(until, instance.end) })));
  const cuts = new Set<number>();
  if (input.groupBy === 'shift') for (const instance of input.instances) cuts.add(instance.start).add(instance.end);
  else if (input.groupBy !== 'none') for (const bucket of calendarBuckets(input.from, input.to, input.groupBy, input.timeZone)) cuts.add(bucket.start);
  const sortedCuts = [...cuts].sort((a, b) => a - b);
  const result: Span[] = [];
  for (const span of scheduled) {
    let start = span.start;
    for (const cut of sortedCuts) {
      if (cut <= start || cut >= span.end) continue;
      result.push({ start, end: cut });
      start = cut;
    }
    result.push({ start, end: span.end });
  }
  return result;
}

function addRange(ranges: Span[], start: number, end: number): void {
  if (end <= start) return;
  const last = ranges.at(-1);
  if (last !== undefined && last.end === start) last.end = end;
  else ranges.push({ start, end });
}

/** Hours inside `[start, end)`, minutes for the rest. */
function coverWithHours(plan: RollupPlan, start: number, end: number): void {
  const firstHour = ceilTo(start, HOUR_MS);
  const lastHour = floorTo(end, HOUR_MS);
  if (lastHour <= firstHour) {
    addRange(plan.minute, start, end);
    return;
  }
  addRange(plan.minute, start, firstHour);
  addRange(plan.hour, firstHour, lastHour);
  addRange(plan.minute, lastHour, end);
}

export function planRollupReads(input: PlanInput): RollupPlan {
  const whole: RollupPlan = { minute: [], hour: [], day: [] };
  for (const segment of segments(input)) {
    // Ranges merge inside a segment, never across one.
    const plan: RollupPlan = { minute: [], hour: [], day: [] };
    let firstDay = dayStart(segment.start, input.timeZone);
    if (firstDay < segment.start) firstDay = nextDayStart(firstDay, input.timeZone);
    let lastDay = firstDay;
    if (input.useDays) {
      for (let next = nextDayStart(lastDay, input.timeZone); next <= segment.end; next = nextDayStart(next, input.timeZone)) lastDay = next;
    }
    if (lastDay === firstDay) coverWithHours(plan, segment.start, segment.end);
    else {
      coverWithHours(plan, segment.start, firstDay);
      addRange(plan.day, firstDay, lastDay);
      coverWithHours(plan, lastDay, segment.end);
    }
    for (const unit of ['minute', 'hour', 'day'] as const) whole[unit].push(...plan[unit]);
  }
  return whole;
}
