/**
 * Local (wall-clock) time in an IANA time zone, with nothing but `Intl.DateTimeFormat`.
 *
 * A *wall* value is a local date and time written as if it were UTC epoch milliseconds
 * (`Date.UTC(y, m - 1, d, h, mi)`): plain arithmetic on it is calendar arithmetic (a day is always
 * 86,400,000), and its UTC getters read the local fields. Only the conversion between wall values
 * and instants knows about the zone and its daylight-saving transitions.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

// Building a DateTimeFormat costs far more than using one; a plant has one zone, a host a handful.
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(value: string): boolean {
  try {
    formatter(value);
    return true;
  } catch {
    return false;
  }
}

export function assertTimeZone(value: string): void {
  if (!isTimeZone(value)) throw new RangeError(`"${value}" is not a known IANA time zone`);
}

/**
 * Offsets already asked for, per zone and second. A report over a year asks for the same few
 * thousand instants (shift boundaries, midnights) again and again, and `formatToParts` is slow.
 */
const offsets = new Map<string, Map<number, number>>();
const MAX_CACHED_OFFSETS = 50_000;

/** Local time minus UTC at an instant, in ms (Europe/Madrid: 3,600,000 in winter, 7,200,000 in summer). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const second = Math.floor(instant / SECOND_MS);
  let cache = offsets.get(timeZone);
  if (cache === undefined) offsets.set(timeZone, (cache = new Map()));
  const known = cache.get(second);
  if (known !== undefined) return known;
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) fields[part.type] = Number(part.value);
  const offset = Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!) - second * SECOND_MS;
  if (cache.size >= MAX_CACHED_OFFSETS) cache.clear();
  cache.set(second, offset);
  return offset;
}

export function toWall(instant: number, timeZone: string): number {
  return instant + zoneOffsetMs(instant, timeZone);
}

/**
 * The instant at which the zone's clocks show `wall`. Daylight-saving transitions make some wall
 * times ambiguous; the rule is the one of RFC 5545 and Temporal's `disambiguation: 'compatible'`:
 * - a wall time that happens twice (clocks set back) is its **first** occurrence;
 * - a wall time that does not exist (clocks set forward) is read with the offset in force before the
 *   jump, i.e. moved forward by the length of the gap (02:30 on a night 02:00 → 03:00 is 03:30).
 * Both rules map a given wall time to a single instant, so two shifts that meet at the same local
 * time still meet, with neither a gap nor an overlap between them.
 */
export function fromWall(wall: number, timeZone: string): number {
  // Offsets a day either side are those before and after any transition near this wall time.
  const offsetBefore = zoneOffsetMs(wall - DAY_MS, timeZone);
  const offsetAfter = zoneOffsetMs(wall + DAY_MS, timeZone);
  if (offsetBefore === offsetAfter) return wall - offsetBefore;
  const early = wall - offsetBefore;
  const late = wall - offsetAfter;
  const earlyExists = zoneOffsetMs(early, timeZone) === offsetBefore;
  const lateExists = zoneOffsetMs(late, timeZone) === offsetAfter;
  if (earlyExists && lateExists) return Math.min(early, late);
  if (lateExists) return late;
  return early; // exists only with the earlier offset, or falls in the gap: read with the earlier offset
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** "YYYY-MM-DD" of a wall value. */
export function wallDate(wall: number): string {
  const date = new Date(wall);
  return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

/** "HH:MM" of a wall value. */
export function wallTime(wall: number): string {
  const date = new Date(wall);
  return `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}`;
}

/** "+HH:MM" / "-HH:MM" for an offset in ms. */
export function formatOffset(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / MINUTE_MS);
  return `${offsetMs < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** Start (wall value) of the local day that contains a wall value. */
export function startOfWallDay(wall: number): number {
  return Math.floor(wall / DAY_MS) * DAY_MS;
}
