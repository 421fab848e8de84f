import {
  DAY_MS, HOUR_MS, SECOND_MS, assertTimeZone, formatOffset, fromWall, startOfWallDay, toWall, wallDate, wallTime, zoneOffsetMs,
} from './local-time.ts';

export type CalendarUnit = 'hour' | 'day' | 'week' | 'month';

/** `[start, end)` in epoch ms, named by the local hour, day, week or month it covers. */
export interface TimeBucket {
  start: number;
  end: number;
  label: string;
}

/**
 * The first instant after `instant` at which a new local hour starts: the next whole hour on the
 * local clock, or the moment the zone's offset changes if that comes first. So every hour bucket is
 * one real hour (or less): the night clocks go back has two "02:00" buckets, told apart by their
 * offsets in the label, and the night they go forward has no "02:00" bucket.
 */
function nextHourStart(instant: number, timeZone: string): number {
  const offset = zoneOffsetMs(instant, timeZone);
  const nextWholeHour = Math.floor((instant + offset) / HOUR_MS) * HOUR_MS + HOUR_MS - offset;
  if (zoneOffsetMs(nextWholeHour, timeZone) === offset) return nextWholeHour;
  // Offsets change on whole seconds: bisect, in seconds, for the first one with the new offset.
  let before = Math.floor(instant / SECOND_MS);
  let after = nextWholeHour / SECOND_MS;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (zoneOffsetMs(middle * SECOND_MS, timeZone) === offset) before = middle;
    else after = middle;
  }
  return after * SECOND_MS;
}

function hourBuckets(from: number, to: number, timeZone: string): TimeBucket[] {
  const buckets: TimeBucket[] = [];
  for (let start = from; start < to;) {
    const end = Math.min(nextHourStart(start, timeZone), to);
    const hour = Math.floor(toWall(start, timeZone) / HOUR_MS) * HOUR_MS;
    buckets.push({ start, end, label: `${wallDate(hour)}T${wallTime(hour)}${formatOffset(zoneOffsetMs(start, timeZone))}` });
    start = end;
  }
  return buckets;
}

type DayBasedUnit = Exclude<CalendarUnit, 'hour'>;

/** Wall value at which the local day, ISO week (Monday) or month containing `wall` starts. */
function unitStart(wall: number, unit: DayBasedUnit): number {
  const day = startOfWallDay(wall);
  if (unit === 'day') return day;
  if (unit === 'week') return day - ((Math.floor(day / DAY_MS) + 3) % 7) * DAY_MS; // 1970-01-01 was a Thursday
  const date = new Date(day);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function nextUnitStart(unitWall: number, unit: DayBasedUnit): number {
  if (unit === 'day') return unitWall + DAY_MS;
  if (unit === 'week') return unitWall + 7 * DAY_MS;
  const date = new Date(unitWall);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

function unitLabel(unitWall: number, unit: DayBasedUnit): string {
  if (unit === 'day') return wallDate(unitWall);
  if (unit === 'month') return wallDate(unitWall).slice(0, 7);
  // ISO 8601 week: numbered within the year that holds its Thursday.
  const thursday = new Date(unitWall + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${week < 10 ? `0${week}` : week}`;
}

/**
 * Local days, weeks and months start at local midnight (`fromWall`'s rule where midnight does not
 * exist or happens twice), so a day lasts 23, 24 or 25 hours.
 */
function dayBasedBuckets(from: number, to: number, unit: DayBasedUnit, timeZone: string): TimeBucket[] {
  const buckets: TimeBucket[] = [];
  let unitWall = unitStart(toWall(from, timeZone), unit);
  let unitStartsAt = fromWall(unitWall, timeZone);
  while (unitStartsAt < to) {
    const nextWall = nextUnitStart(unitWall, unit);
    const nextStartsAt = fromWall(nextWall, timeZone);
    const start = Math.max(from, unitStartsAt);
    const end = Math.min(to, nextStartsAt);
    if (start < end) buckets.push({ start, end, label: unitLabel(unitWall, unit) });
    unitWall = nextWall;
    unitStartsAt = nextStartsAt;
  }
  return buckets;
}

/**
 * `[from, to)` cut at the local-time boundaries of `unit` in `timeZone`: consecutive buckets, the
 * first and last clipped to the window, that together cover it exactly. Labels: hour
 * "2026-10-25T02:00+02:00", day "2026-10-25", week "2026-W43" (ISO, weeks start on Monday), month
 * "2026-10".
 */
export function calendarBuckets(from: number, to: number, unit: CalendarUnit, timeZone: string): TimeBucket[] {
  assertTimeZone(timeZone);
  if (!(from <= to)) throw new RangeError('the window must have from <= to');
  return unit === 'hour' ? hourBuckets(from, to, timeZone) : dayBasedBuckets(from, to, unit, timeZone);
}
