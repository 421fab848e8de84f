/**
 * OEE and its ISO 22400 companions for one line over a window (docs/requirements.md, PRD-5), from
 * its shifts, its downtime events and its production counts. Pure: the caller reads the data and
 * passes `now`.
 *
 * Definitions, for the window and for each bucket alike:
 * - planned time: the line's shift occurrences (see `shiftInstances`) inside the window and before
 *   `now`, minus `planned` downtime. Time after `now` is not planned yet.
 * - downtime: `unplanned` downtime inside planned time; run time = planned − downtime.
 * - counts: output and reject quantities whose instant lies inside a shift occurrence (and the window,
 *   before `now`). A planned stop takes time out, not pieces: by definition no output falls inside
 *   a stop, and rejects found during one were still made and inspected.
 * - availability = run / planned; performance = Σ ideal cycle(product) × count(product) / run;
 *   quality = good / total; oee = A × P × Q. A ratio is null when its denominator is 0, and all are
 *   null when planned time is 0; otherwise oee counts a null factor as 0, so a line down for its
 *   whole planned time, or running without producing, has OEE 0. Performance is not capped;
 *   `performance_exceeds_ideal` flags it above 1.05 (an ideal cycle time set too slow).
 * - stops: unplanned events (strictly overlapping ones merged) that reach planned time in the slice;
 *   a stop spanning several buckets counts once, in the bucket where its first planned instant lies,
 *   while its seconds are split among the buckets. MTTR = downtime / stops and MTBF = run / stops,
 *   the slice's own sums (so a bucket's MTTR may include a stop counted in the previous bucket);
 *   both null without stops.
 *
 * Every instant is truncated to the whole second before measuring, so durations are whole seconds
 * and the buckets, which partition the window at local-time boundaries, add up exactly to the
 * totals whatever the grouping.
 */
import { type DowntimeEvent } from './downtime.ts';
import { type Span, clipSet, intersectSets, lengthWithin, setContains, subtractSets, unionOf } from './intervals.ts';
import { SECOND_MS } from './local-time.ts';
import { type ShiftDefinition, type ShiftInstance, shiftInstances } from './shift-calendar.ts';
import { type CalendarUnit, calendarBuckets } from './time-buckets.ts';

export type GroupBy = 'none' | 'shift' | CalendarUnit;
export type ProductId = string | number;

export const PERFORMANCE_FLAG_ABOVE = 1.05;

/**
 * A quantity detected in one area at one instant: a raw detection, or a per-minute rollup row
 * `{minute_start, area_type, product_id, quantity}` passed with `at: minute_start`. Rollups are exact
 * because shift and bucket boundaries fall on whole minutes; a window edge inside a minute counts that
 * minute's quantity on the side where the minute starts. Areas other than output and reject are ignored.
 */
export interface ProductionCount {
  at: number;
  area_type: string;
  product_id: ProductId | null;
  quantity: number;
}

export interface OeeInput {
  from: number;
  to: number;
  now: number;
  timeZone: string;
  groupBy: GroupBy;
  shifts: readonly ShiftDefinition[];
  /** The line's downtime events that may reach the window; only their parts inside planned time count. */
  downtime: readonly DowntimeEvent[];
  counts: readonly ProductionCount[];
  /** Seconds per piece at the line's ideal rate; a product's own ideal cycle time overrides it. */
  lineIdealCycleSeconds: number;
  productIdealCycleSeconds?: ReadonlyMap<ProductId, number>;
}

export interface OeeFigures {
  planned_seconds: number;
  downtime_seconds: number;
  run_seconds: number;
  total_count: number;
  good_count: number;
  reject_count: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  performance_exceeds_ideal: boolean;
  stops: number;
  mttr_seconds: number | null;
  mtbf_seconds: number | null;
}

export interface OeeBucket extends OeeFigures {
  start: number;
  end: number;
  label: string;
  /** For `groupBy: 'shift'`: the shift occurrence the bucket is. */
  shift?: { id: ShiftDefinition['id']; name: string; date: string };
}

export interface OeeReport {
  totals: OeeFigures;
  /** Empty for `groupBy: 'none'`. */
  buckets: OeeBucket[];
}

const toSecond = (instant: number) => Math.floor(instant / SECOND_MS) * SECOND_MS;

function assertCycleSeconds(value: number, what: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${what} must be a number of seconds > 0`);
}

/** Shift occurrence containing an instant (occurrences are sorted and disjoint). */
function occurrenceAt(instances: readonly ShiftInstance[], instant: number): ShiftInstance | undefined {
  return instances.find((instance) => instance.start <= instant && instant < instance.end);
}

/** Unplanned events as stops: sorted, and those that strictly overlap merged into one. */
function mergeOverlapping(events: Span[]): Span[] {
  const stops: Span[] = [];
  for (const event of [...events].sort((a, b) => a.start - b.start)) {
    const last = stops.at(-1);
    if (last !== undefined && event.start < last.end) last.end = Math.max(last.end, event.end);
    else stops.push({ ...event });
  }
  return stops;
}

/** Index of the first of the sorted instants at or after `instant`. */
function firstAtOrAfter(sorted: readonly number[], instant: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < instant) low = middle + 1;
    else high = middle;
  }
  return low;
}

interface CountedPiece {
  at: number;
  good: number;
  reject: number;
  idealSeconds: number;
}

export function computeOee(input: OeeInput): OeeReport {
  assertCycleSeconds(input.lineIdealCycleSeconds, 'the line ideal cycle time');
  for (const [product, seconds] of input.productIdealCycleSeconds ?? []) assertCycleSeconds(seconds, `the ideal cycle time of product ${product}`);
  const from = toSecond(input.from);
  const to = toSecond(input.to);
  const now = toSecond(input.now);
  const instances = shiftInstances(input.shifts, input.timeZone, from, to);
  const until = Math.max(from, Math.min(to, now));
  const scheduled = unionOf(instances.map((instance) => ({ start: Math.max(from, instance.start), end: Math.min(until, instance.end) })));

  const plannedStops: Span[] = [];
  const unplannedStops: Span[] = [];
  for (const event of input.downtime) {
    const start = toSecond(event.start);
    // An ongoing event lasts until now, but no longer than its shift occurrence even if nobody closed it.
    const end = event.end === null ? Math.min(now, occurrenceAt(instances, start)?.end ?? now) : toSecond(event.end);
    if (end > start) (event.category === 'planned' ? plannedStops : unplannedStops).push({ start, end: Math.min(end, now) });
  }
  const planned = subtractSets(scheduled, unionOf(plannedStops));
  const stops = mergeOverlapping(unplannedStops);
  const downtime = intersectSets(unionOf(stops), planned);
  // A stop is counted where it first reaches planned time.
  const stopStarts = stops.flatMap((stop) => clipSet(planned, stop.start, stop.end)[0]?.start ?? []).sort((a, b) => a - b);

  const pieces: CountedPiece[] = [];
  for (const count of input.counts) {
    if (count.area_type !== 'output' && count.area_type !== 'reject') continue;
    if (!(Number.isFinite(count.quantity) && count.quantity >= 0)) throw new RangeError('a production quantity must be a number >= 0');
    const at = toSecond(count.at);
    if (!setContains(scheduled, at)) continue;
    const cycleSeconds = (count.product_id === null ? undefined : input.productIdealCycleSeconds?.get(count.product_id)) ?? input.lineIdealCycleSeconds;
    const good = count.area_type === 'output' ? count.quantity : 0;
    pieces.push({ at, good, reject: count.quantity - good, idealSeconds: cycleSeconds * count.quantity });
  }
  pieces.sort((a, b) => a.at - b.at);
  const pieceTimes = pieces.map((piece) => piece.at);

  function figures(start: number, end: number): OeeFigures {
    const plannedMs = lengthWithin(planned, start, end);
    const downtimeMs = lengthWithin(downtime, start, end);
    const runMs = plannedMs - downtimeMs;
    const stopCount = firstAtOrAfter(stopStarts, end) - firstAtOrAfter(stopStarts, start);
    let good = 0;
    let reject = 0;
    let idealSeconds = 0;
    for (let i = firstAtOrAfter(pieceTimes, start); i < pieces.length && pieces[i]!.at < end; i++) {
      good += pieces[i]!.good;
      reject += pieces[i]!.reject;
      idealSeconds += pieces[i]!.idealSeconds;
    }
    const total = good + reject;
    const hasPlan = plannedMs > 0;
    const availability = hasPlan ? runMs / plannedMs : null;
    const performance = hasPlan && runMs > 0 ? idealSeconds / (runMs / SECOND_MS) : null;
    const quality = hasPlan && total > 0 ? good / total : null;
    return {
      planned_seconds: plannedMs / SECOND_MS,
      downtime_seconds: downtimeMs / SECOND_MS,
      run_seconds: runMs / SECOND_MS,
      total_count: total,
      good_count: good,
      reject_count: reject,
      availability,
      performance,
      quality,
      oee: availability === null ? null : availability * (performance ?? 0) * (quality ?? 0),
      performance_exceeds_ideal: performance !== null && performance > PERFORMANCE_FLAG_ABOVE,
      stops: stopCount,
      mttr_seconds: stopCount > 0 ? downtimeMs / SECOND_MS / stopCount : null,
      mtbf_seconds: stopCount > 0 ? runMs / SECOND_MS / stopCount : null,
    };
  }

  let buckets: OeeBucket[] = [];
  if (input.groupBy === 'shift') {
    buckets = instances.map((instance) => {
      const start = Math.max(from, instance.start);
      const end = Math.min(to, instance.end);
      return { start, end, label: `${instance.date} ${instance.shift_name}`, shift: { id: instance.shift_id, name: instance.shift_name, date: instance.date }, ...figures(start, end) };
    });
  } else if (input.groupBy !== 'none') {
    buckets = calendarBuckets(from, to, input.groupBy, input.timeZone).map((bucket) => ({ ...bucket, ...figures(bucket.start, bucket.end) }));
  }
  return { totals: figures(from, to), buckets };
}
