/**
 * Downtime of a line from its output detections, one shift occurrence at a time
 * (docs/requirements.md, PRD-4).
 *
 * Within a shift occurrence `[S, E)` the points are S, the output detection times inside it, and
 * `min(E, now)`; every gap between consecutive points longer than the threshold is a downtime event
 * `[start, end)`. The gap that reaches `now` before the shift has ended is ongoing (`end: null`).
 * An event never crosses a shift boundary, so a line stopped across a shift change has one event in
 * each shift.
 */

export type DowntimeCategory = 'unplanned' | 'planned';

export const DEFAULT_DOWNTIME_THRESHOLD_SECONDS = 300;

export interface DowntimeEvent {
  /** Epoch ms: the last output detection before the stop, or the shift start. */
  start: number;
  /** Epoch ms: the next output detection, or the shift end; null while the stop goes on. */
  end: number | null;
  /** Set by operators; `planned` time is taken out of planned time instead of counting as a loss. */
  category: DowntimeCategory;
  reason: string | null;
}

/**
 * What the downtime of one shift occurrence depends on, so it can be advanced with new detections
 * without reading the earlier ones again. Events are disjoint and sorted by `start`, which is also
 * their identity within a line (no two events start at the same instant).
 */
export interface ShiftDowntime {
  /** The shift occurrence `[start, end)`, epoch ms. */
  start: number;
  end: number;
  /** Latest output detection seen in the occurrence. */
  last_output_at: number | null;
  events: DowntimeEvent[];
}

export interface DowntimeOptions {
  now: number;
  /** Gaps longer than this are downtime; default 300. Changing it means recomputing from the detections. */
  thresholdSeconds?: number;
}

export function emptyShiftDowntime(shift: { start: number; end: number }): ShiftDowntime {
  return { start: shift.start, end: shift.end, last_output_at: null, events: [] };
}

const unannotated = { category: 'unplanned', reason: null } as const;

/** Index of the closed event with start < time < end, or -1. */
function closedEventAround(events: readonly DowntimeEvent[], time: number): number {
  let low = 0;
  let high = events.length; // first event with start >= time
  while (low < high) {
    const middle = (low + high) >> 1;
    if (events[middle]!.start < time) low = middle + 1;
    else high = middle;
  }
  const candidate = events[low - 1];
  return candidate !== undefined && candidate.end !== null && time < candidate.end ? low - 1 : -1;
}

/**
 * The downtime of a shift occurrence once `outputTimes` (any order, duplicates and times outside the
 * occurrence ignored) are added to what `state` already holds, as of `now`.
 *
 * Late detections are welcome: a detection inside an earlier event splits it in two, and each part
 * stays an event only if it is still longer than the threshold. The parts keep the event's
 * category and reason, so an operator's classification survives the correction. An ongoing event
 * passes its classification to the event it becomes when the next detection closes it; the stop
 * that may follow that detection is a new one. The result is the same however the detections are
 * batched or ordered (the classifications aside), and equal to computing from all of them at once.
 */
export function advanceShiftDowntime(state: ShiftDowntime, outputTimes: Iterable<number>, options: DowntimeOptions): ShiftDowntime {
  const thresholdMs = (options.thresholdSeconds ?? DEFAULT_DOWNTIME_THRESHOLD_SECONDS) * 1000;
  if (!(thresholdMs >= 0)) throw new RangeError('the downtime threshold must be a number of seconds >= 0');
  const events = state.events.map((event) => ({ ...event }));
  // The ongoing event is derived again below from the last point and `now`.
  const ongoing = events.at(-1)?.end === null ? events.pop() : undefined;
  let ongoingAnnotation = ongoing && { category: ongoing.category, reason: ongoing.reason };
  let lastPoint = state.last_output_at ?? state.start;
  let lastOutput = state.last_output_at;

  const times = [...new Set(outputTimes)].filter((time) => time >= state.start && time < state.end).sort((a, b) => a - b);
  for (const time of times) {
    const around = closedEventAround(events, time);
    if (around >= 0) {
      const { start, end, category, reason } = events[around]!;
      const parts = [{ start, end: time }, { start: time, end: end! }].filter((part) => part.end - part.start > thresholdMs);
      events.splice(around, 1, ...parts.map((part) => ({ ...part, category, reason })));
    } else if (time > lastPoint && time - lastPoint > thresholdMs) {
      events.push({ start: lastPoint, end: time, ...(ongoingAnnotation ?? unannotated) });
    }
    if (time > lastPoint) ongoingAnnotation = undefined;
    lastPoint = Math.max(lastPoint, time);
    lastOutput = Math.max(lastOutput ?? time, time);
  }

  const horizon = Math.min(state.end, options.now);
  if (horizon - lastPoint > thresholdMs && events.at(-1)?.start !== lastPoint) {
    events.push({ start: lastPoint, end: options.now < state.end ? null : state.end, ...(ongoingAnnotation ?? unannotated) });
  }
  return { start: state.start, end: state.end, last_output_at: lastOutput, events };
}

/** The downtime events of a shift occurrence from all its output detection times. */
export function shiftDowntimeEvents(shift: { start: number; end: number }, outputTimes: Iterable<number>, options: DowntimeOptions): DowntimeEvent[] {
  return advanceShiftDowntime(emptyShiftDowntime(shift), outputTimes, options).events;
}

/** What to write to go from one list of a shift's events to another, matching events by `start`. */
export function diffDowntimeEvents(before: readonly DowntimeEvent[], after: readonly DowntimeEvent[]) {
  const previous = new Map(before.map((event) => [event.start, event]));
  const next = new Map(after.map((event) => [event.start, event]));
  return {
    added: after.filter((event) => !previous.has(event.start)),
    changed: after.filter((event) => {
      const old = previous.get(event.start);
      return old !== undefined && (old.end !== event.end || old.category !== event.category || old.reason !== event.reason);
    }),
    removed: before.filter((event) => !next.has(event.start)),
  };
}
