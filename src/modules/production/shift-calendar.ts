import { DAY_MS, MINUTE_MS, assertTimeZone, fromWall, startOfWallDay, toWall, wallDate } from './local-time.ts';

/** A line's shift as the plant database defines it: local times of day in the line's time zone. */
export interface ShiftDefinition {
  id: string | number;
  shift_name: string;
  /** "HH:MM" */
  start_time: string;
  /** "HH:MM"; at or before `start_time` means the shift ends on the next day. */
  end_time: string;
  is_active: boolean;
}

/** One occurrence of a shift: `[start, end)` in epoch ms. */
export interface ShiftInstance {
  shift_id: string | number;
  shift_name: string;
  /** Local date ("YYYY-MM-DD") on which this occurrence starts. */
  date: string;
  start: number;
  end: number;
}

/** Minutes after midnight of an "HH:MM" time of day; RangeError when it is not one. */
export function parseTimeOfDay(value: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a time of day (HH:MM, 00:00-23:59)`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Minutes-of-day ranges of a shift, split at midnight: [[start, end)] or two ranges when it crosses it. */
function dailyRanges(shift: ShiftDefinition): [number, number][] {
  const start = parseTimeOfDay(shift.start_time);
  const end = parseTimeOfDay(shift.end_time);
  if (end > start) return [[start, end]];
  const ranges: [number, number][] = [[start, 24 * 60]];
  if (end > 0) ranges.push([0, end]);
  return ranges;
}

/**
 * Pairs of active shifts whose times of day overlap (a 06:00–14:00 and a 13:00–22:00 shift), for
 * the layer that stores shift definitions to refuse them: the calendar copes with overlaps (see
 * `shiftInstances`), but an overlap is almost always a typing error.
 */
export function overlappingShifts(shifts: readonly ShiftDefinition[]): [ShiftDefinition, ShiftDefinition][] {
  const active = shifts.filter((shift) => shift.is_active);
  const pairs: [ShiftDefinition, ShiftDefinition][] = [];
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      const a = active[i]!;
      const b = active[j]!;
      const overlaps = dailyRanges(a).some(([aStart, aEnd]) => dailyRanges(b).some(([bStart, bEnd]) => aStart < bEnd && bStart < aEnd));
      if (overlaps) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * The occurrences of the active shifts that overlap `[from, to)`, in order, unclipped.
 *
 * Each occurrence starts at `start_time` on its local date and ends at `end_time` on that date, or
 * on the next date when `end_time <= start_time`; both local times go through `fromWall`'s rule, so
 * a 22:00–06:00 shift lasts 7 h on the night clocks go forward and 9 h on the night they go back.
 *
 * Occurrences never overlap: if two active shifts' times overlap, the one that starts first keeps
 * the common time and the later one starts when it ends (planned time is the union of the shifts,
 * counted once). The result does not depend on the window, only on which occurrences it returns.
 */
export function shiftInstances(shifts: readonly ShiftDefinition[], timeZone: string, from: number, to: number): ShiftInstance[] {
  assertTimeZone(timeZone);
  if (!(from <= to)) throw new RangeError('the window must have from <= to');
  const active = shifts.filter((shift) => shift.is_active).map((shift) => ({ shift, startMinute: parseTimeOfDay(shift.start_time), endMinute: parseTimeOfDay(shift.end_time) }));
  if (active.length === 0 || from === to) return [];

  // A shift lasts at most a day and an hour, so starting two days early finds every occurrence that
  // reaches the window or overlaps one that does.
  const firstDay = startOfWallDay(toWall(from, timeZone)) - 2 * DAY_MS;
  const lastDay = startOfWallDay(toWall(to, timeZone));
  const occurrences: ShiftInstance[] = [];
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    for (const { shift, startMinute, endMinute } of active) {
      const start = fromWall(day + startMinute * MINUTE_MS, timeZone);
      const end = fromWall(day + (endMinute <= startMinute ? DAY_MS : 0) + endMinute * MINUTE_MS, timeZone);
      occurrences.push({ shift_id: shift.id, shift_name: shift.shift_name, date: wallDate(day), start, end });
    }
  }
  occurrences.sort((a, b) => a.start - b.start || a.end - b.end || String(a.shift_id).localeCompare(String(b.shift_id)));

  const instances: ShiftInstance[] = [];
  let coveredUntil = -Infinity;
  for (const occurrence of occurrences) {
    const start = Math.max(occurrence.start, coveredUntil);
    if (occurrence.end <= start) continue;
    coveredUntil = occurrence.end;
    if (start < to && occurrence.end > from) instances.push({ ...occurrence, start });
  }
  return instances;
}
