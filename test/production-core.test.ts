// The production computation core (docs/requirements.md, PRD-4 and PRD-5): shift calendar, local-time
// buckets, downtime from output detections and OEE. Pure functions, so no database; every expected
// value is worked out by hand in the comments. Europe/Madrid is UTC+01:00 in winter and UTC+02:00 in
// summer; clocks go 02:00 → 03:00 on 2026-03-29 and 03:00 → 02:00 on 2026-10-25.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DowntimeEvent, advanceShiftDowntime, diffDowntimeEvents, emptyShiftDowntime, shiftDowntimeEvents,
} from '../src/modules/production/downtime.ts';
import { fromWall } from '../src/modules/production/local-time.ts';
import { type GroupBy, type OeeFigures, type OeeInput, type ProductionCount, computeOee } from '../src/modules/production/oee.ts';
import { type ShiftDefinition, overlappingShifts, parseTimeOfDay, shiftInstances } from '../src/modules/production/shift-calendar.ts';
import { calendarBuckets } from '../src/modules/production/time-buckets.ts';

const MADRID = 'Europe/Madrid';
const MIN = 60_000;
const H = 3_600_000;
const at = (iso: string) => {
  const instant = Date.parse(iso);
  assert.ok(Number.isFinite(instant), iso);
  return instant;
};
const shift = (id: number, name: string, start: string, end: string, active = true): ShiftDefinition => ({
  id, shift_name: name, start_time: start, end_time: end, is_active: active,
});
const MORNING = shift(1, 'Morning', '06:00', '14:00');
const AFTERNOON = shift(2, 'Afternoon', '14:00', '22:00');
const NIGHT = shift(3, 'Night', '22:00', '06:00');
const event = (start: number, end: number | null, category: DowntimeEvent['category'] = 'unplanned', reason: string | null = null): DowntimeEvent => ({ start, end, category, reason });
const output = (iso: string, quantity: number, product: string | null = 'A'): ProductionCount => ({ at: at(iso), area_type: 'output', product_id: product, quantity });
const reject = (iso: string, quantity: number, product: string | null = 'A'): ProductionCount => ({ at: at(iso), area_type: 'reject', product_id: product, quantity });
/** Instants every `stepMinutes` from `first` to `last` inclusive. */
const every = (first: string, last: string, stepMinutes: number) => {
  const times: number[] = [];
  for (let t = at(first); t <= at(last); t += stepMinutes * MIN) times.push(t);
  return times;
};

function oee(overrides: Partial<OeeInput>): ReturnType<typeof computeOee> {
  return computeOee({
    from: 0, to: 0, now: at('2030-01-01T00:00Z'), timeZone: MADRID, groupBy: 'none', shifts: [MORNING],
    downtime: [], counts: [], lineIdealCycleSeconds: 6, ...overrides,
  });
}

const ALL_NULL = { availability: null, performance: null, quality: null, oee: null, mttr_seconds: null, mtbf_seconds: null };

describe('shift calendar', () => {
  it('a night shift crosses midnight and belongs to the date it starts on', () => {
    // 22:00 on 2026-01-14 (+01:00) = 21:00Z; 06:00 on 2026-01-15 = 05:00Z: 8 h.
    const [night, ...rest] = shiftInstances([NIGHT], MADRID, at('2026-01-15T00:00+01:00'), at('2026-01-15T01:00+01:00'));
    assert.deepEqual(rest, []);
    assert.deepEqual(night, { shift_id: 3, shift_name: 'Night', date: '2026-01-14', start: at('2026-01-14T21:00Z'), end: at('2026-01-15T05:00Z') });
  });

  it('the night shift lasts 7 h when clocks go forward and 9 h when they go back', () => {
    // 2026-03-28 22:00 +01:00 = 21:00Z → 2026-03-29 06:00 +02:00 = 04:00Z: 7 h.
    const [spring] = shiftInstances([NIGHT], MADRID, at('2026-03-29T00:00Z'), at('2026-03-29T00:01Z'));
    assert.deepEqual([spring!.date, spring!.start, spring!.end], ['2026-03-28', at('2026-03-28T21:00Z'), at('2026-03-29T04:00Z')]);
    assert.equal(spring!.end - spring!.start, 7 * H);
    // 2026-10-24 22:00 +02:00 = 20:00Z → 2026-10-25 06:00 +01:00 = 05:00Z: 9 h.
    const [autumn] = shiftInstances([NIGHT], MADRID, at('2026-10-25T00:00Z'), at('2026-10-25T00:01Z'));
    assert.deepEqual([autumn!.date, autumn!.start, autumn!.end], ['2026-10-24', at('2026-10-24T20:00Z'), at('2026-10-25T05:00Z')]);
    assert.equal(autumn!.end - autumn!.start, 9 * H);
  });

  it('a local time that does not exist moves forward by the gap; one that happens twice is its first occurrence', () => {
    const early = shift(1, 'Early', '22:00', '02:30');
    const late = shift(2, 'Late', '02:30', '06:00');
    // Spring: 02:30 does not exist on 2026-03-29; read with +01:00 it is 01:30Z (= 03:30 +02:00).
    const spring = shiftInstances([early, late], MADRID, at('2026-03-29T00:00Z'), at('2026-03-29T03:00Z'));
    assert.deepEqual(spring.map((i) => [i.shift_name, i.start, i.end]), [
      ['Early', at('2026-03-28T21:00Z'), at('2026-03-29T01:30Z')], // 4 h 30 min
      ['Late', at('2026-03-29T01:30Z'), at('2026-03-29T04:00Z')], // 2 h 30 min: 03:30 → 06:00 +02:00
    ]);
    // Autumn: 02:30 happens at 00:30Z (+02:00) and again at 01:30Z (+01:00); the first one counts.
    const autumn = shiftInstances([early, late], MADRID, at('2026-10-25T00:00Z'), at('2026-10-25T03:00Z'));
    assert.deepEqual(autumn.map((i) => [i.shift_name, i.start, i.end]), [
      ['Early', at('2026-10-24T20:00Z'), at('2026-10-25T00:30Z')], // 4 h 30 min
      ['Late', at('2026-10-25T00:30Z'), at('2026-10-25T05:00Z')], // 4 h 30 min, the repeated hour inside
    ]);
    assert.equal(fromWall(Date.UTC(2026, 2, 29, 2, 30), MADRID), at('2026-03-29T01:30Z'));
    assert.equal(fromWall(Date.UTC(2026, 9, 25, 2, 30), MADRID), at('2026-10-25T00:30Z'));
  });

  it('inactive shifts are ignored and overlapping shifts are counted once, the earlier keeping the common hour', () => {
    const overlapping = shift(4, 'Overlap', '13:00', '22:00');
    const retired = shift(5, 'Retired', '00:00', '23:00', false);
    const shifts = [MORNING, overlapping, retired];
    assert.deepEqual(overlappingShifts(shifts).map(([a, b]) => [a.id, b.id]), [[1, 4]]);
    assert.deepEqual(overlappingShifts([MORNING, AFTERNOON, NIGHT]), []);
    const instances = shiftInstances(shifts, MADRID, at('2026-01-14T00:00+01:00'), at('2026-01-15T00:00+01:00'));
    assert.deepEqual(instances.map((i) => [i.shift_name, i.start, i.end]), [
      ['Morning', at('2026-01-14T06:00+01:00'), at('2026-01-14T14:00+01:00')],
      ['Overlap', at('2026-01-14T14:00+01:00'), at('2026-01-14T22:00+01:00')],
    ]);
    // The same occurrence whatever the window: a window inside the overlap hour still sees 14:00.
    assert.deepEqual(shiftInstances(shifts, MADRID, at('2026-01-14T14:30+01:00'), at('2026-01-14T15:00+01:00')).map((i) => i.start), [at('2026-01-14T14:00+01:00')]);
    assert.deepEqual(shiftInstances([shift(6, 'Day', '06:00', '06:00')], MADRID, at('2026-01-14T12:00Z'), at('2026-01-14T12:01Z')).map((i) => i.end - i.start), [24 * H]);
  });

  it('times of day and zones are validated', () => {
    assert.equal(parseTimeOfDay('23:59'), 23 * 60 + 59);
    for (const bad of ['24:00', '7:00', '07:60', '07:00:00', '']) assert.throws(() => parseTimeOfDay(bad), RangeError, bad);
    assert.throws(() => shiftInstances([MORNING], 'Mars/Olympus', 0, 1), RangeError);
    assert.throws(() => shiftInstances([MORNING], MADRID, 2, 1), RangeError);
  });
});

describe('local-time buckets', () => {
  it('hours follow the local clock across both DST nights', () => {
    // 2026-03-29 local day: 00:00 +01:00 (23:00Z) → 00:00 +02:00 (22:00Z), 23 hours, no 02:00 hour.
    const spring = calendarBuckets(at('2026-03-29T00:00+01:00'), at('2026-03-30T00:00+02:00'), 'hour', MADRID);
    assert.equal(spring.length, 23);
    assert.deepEqual(spring.slice(1, 3).map((b) => [b.label, b.start, b.end]), [
      ['2026-03-29T01:00+01:00', at('2026-03-29T00:00Z'), at('2026-03-29T01:00Z')],
      ['2026-03-29T03:00+02:00', at('2026-03-29T01:00Z'), at('2026-03-29T02:00Z')],
    ]);
    // 2026-10-25: 25 hours, two one-hour "02:00" buckets told apart by their offset.
    const autumn = calendarBuckets(at('2026-10-25T00:00+02:00'), at('2026-10-26T00:00+01:00'), 'hour', MADRID);
    assert.equal(autumn.length, 25);
    assert.deepEqual(autumn.slice(2, 4).map((b) => [b.label, b.start, b.end]), [
      ['2026-10-25T02:00+02:00', at('2026-10-25T00:00Z'), at('2026-10-25T01:00Z')],
      ['2026-10-25T02:00+01:00', at('2026-10-25T01:00Z'), at('2026-10-25T02:00Z')],
    ]);
  });

  it('an offset change between two whole hours starts a new hour bucket', () => {
    // Newfoundland moved its clocks at 00:01 in 2010: 00:01 -03:30 (03:31Z) became 01:01 -02:30.
    const buckets = calendarBuckets(at('2010-03-14T03:30Z'), at('2010-03-14T05:30Z'), 'hour', 'America/St_Johns');
    assert.deepEqual(buckets.map((b) => [b.label, b.start, b.end]), [
      ['2010-03-14T00:00-03:30', at('2010-03-14T03:30Z'), at('2010-03-14T03:31Z')], // one minute of 00:00 -03:30
      ['2010-03-14T01:00-02:30', at('2010-03-14T03:31Z'), at('2010-03-14T04:30Z')], // 01:01 → 02:00 -02:30
      ['2010-03-14T02:00-02:30', at('2010-03-14T04:30Z'), at('2010-03-14T05:30Z')],
    ]);
  });

  it('days, ISO weeks and months start at local midnight; edges are clipped to the window', () => {
    const from = at('2026-03-27T12:00+01:00');
    const to = at('2026-04-01T06:00+02:00');
    const days = calendarBuckets(from, to, 'day', MADRID);
    assert.deepEqual(days.map((b) => [b.label, (b.end - b.start) / H]), [
      ['2026-03-27', 12], ['2026-03-28', 24], ['2026-03-29', 23], ['2026-03-30', 24], ['2026-03-31', 24], ['2026-04-01', 6],
    ]);
    // 2026-03-29 is a Sunday: week 13 ends there and week 14 starts on Monday 30 at 00:00 +02:00.
    assert.deepEqual(calendarBuckets(from, to, 'week', MADRID).map((b) => [b.label, b.start, b.end]), [
      ['2026-W13', from, at('2026-03-30T00:00+02:00')], ['2026-W14', at('2026-03-30T00:00+02:00'), to],
    ]);
    assert.deepEqual(calendarBuckets(from, to, 'month', MADRID).map((b) => [b.label, b.start, b.end]), [
      ['2026-03', from, at('2026-04-01T00:00+02:00')], ['2026-04', at('2026-04-01T00:00+02:00'), to],
    ]);
    // ISO week-years: 2021-01-03 (Sunday) is still in 2020-W53.
    assert.deepEqual(calendarBuckets(at('2021-01-03T12:00Z'), at('2021-01-04T12:00Z'), 'week', 'UTC').map((b) => b.label), ['2020-W53', '2021-W01']);
    assert.deepEqual(calendarBuckets(from, from, 'day', MADRID), []);
  });
});

describe('downtime from output detections', () => {
  // Morning shift of 2026-01-14: 06:00–14:00 +01:00.
  const morning = { start: at('2026-01-14T06:00+01:00'), end: at('2026-01-14T14:00+01:00') };
  const detections = [
    ...every('2026-01-14T06:07+01:00', '2026-01-14T10:00+01:00', 1), // first piece 7 min after the start
    at('2026-01-14T10:05+01:00'), // 300 s after 10:00: exactly the threshold, not a stop
    ...every('2026-01-14T10:20+01:00', '2026-01-14T13:50+01:00', 1), // 900 s gap before 10:20
  ];

  it('a shift starting with a stop, a gap of exactly the threshold, and a stop until the shift end', () => {
    const events = shiftDowntimeEvents(morning, detections, { now: at('2026-01-14T15:00+01:00') });
    assert.deepEqual(events, [
      event(at('2026-01-14T06:00+01:00'), at('2026-01-14T06:07+01:00')), // S → first detection: 420 s > 300
      event(at('2026-01-14T10:05+01:00'), at('2026-01-14T10:20+01:00')), // 900 s
      event(at('2026-01-14T13:50+01:00'), at('2026-01-14T14:00+01:00')), // last detection → E: 600 s, closed
    ]);
    // A shorter threshold finds the 300 s gap too; detections outside the shift are ignored.
    const strict = shiftDowntimeEvents(morning, [...detections, at('2026-01-14T14:00+01:00'), at('2026-01-14T05:00+01:00')], { now: at('2026-01-14T15:00+01:00'), thresholdSeconds: 299 });
    assert.deepEqual(strict.map((e) => e.start), [morning.start, at('2026-01-14T10:00+01:00'), at('2026-01-14T10:05+01:00'), at('2026-01-14T13:50+01:00')]);
  });

  it('an open gap at now is an ongoing stop; before the threshold it is not a stop yet', () => {
    const upTo1050 = detections.filter((t) => t <= at('2026-01-14T10:50+01:00'));
    // 10:50 → now 11:00 = 600 s > 300: ongoing.
    assert.deepEqual(shiftDowntimeEvents(morning, upTo1050, { now: at('2026-01-14T11:00+01:00') }).at(-1), event(at('2026-01-14T10:50+01:00'), null));
    // 10:50 → now 10:54 = 240 s: nothing after 10:50 yet.
    assert.equal(shiftDowntimeEvents(morning, upTo1050, { now: at('2026-01-14T10:54+01:00') }).at(-1)!.start, at('2026-01-14T10:05+01:00'));
    // Before the shift starts there is nothing; with no detection at all the whole elapsed shift is one stop.
    assert.deepEqual(shiftDowntimeEvents(morning, [], { now: at('2026-01-14T05:00+01:00') }), []);
    assert.deepEqual(shiftDowntimeEvents(morning, [], { now: at('2026-01-14T07:00+01:00') }), [event(morning.start, null)]);
  });

  it('an ongoing stop keeps its classification when the next detection closes it', () => {
    let state = advanceShiftDowntime(emptyShiftDowntime(morning), every('2026-01-14T06:00+01:00', '2026-01-14T08:00+01:00', 1), { now: at('2026-01-14T08:30+01:00') });
    assert.deepEqual(state.events, [event(at('2026-01-14T08:00+01:00'), null)]);
    state.events[0] = { ...state.events[0]!, category: 'planned', reason: 'changeover' };
    // Production resumes at 08:40 and stops again after 08:41: the 08:00–08:40 stop keeps "changeover",
    // the new stop from 08:41 (→ now 08:50, 540 s) is a new, unclassified one.
    state = advanceShiftDowntime(state, [at('2026-01-14T08:41+01:00'), at('2026-01-14T08:40+01:00')], { now: at('2026-01-14T08:50+01:00') });
    assert.deepEqual(state.events, [
      event(at('2026-01-14T08:00+01:00'), at('2026-01-14T08:40+01:00'), 'planned', 'changeover'),
      event(at('2026-01-14T08:41+01:00'), null),
    ]);
    assert.equal(state.last_output_at, at('2026-01-14T08:41+01:00'));
    // The shift ends with the line still stopped: the stop closes at 14:00.
    state = advanceShiftDowntime(state, [], { now: at('2026-01-14T14:00+01:00') });
    assert.deepEqual(state.events.at(-1), event(at('2026-01-14T08:41+01:00'), at('2026-01-14T14:00+01:00')));
  });

  it('late detections split an earlier stop; the parts keep its classification', () => {
    const now = at('2026-01-14T15:00+01:00');
    const before = advanceShiftDowntime(emptyShiftDowntime(morning), detections, { now });
    before.events[1] = { ...before.events[1]!, category: 'planned', reason: 'cleaning' }; // the 10:05–10:20 stop
    // A detection at 10:12 arrives late: 10:05 → 10:12 = 420 s and 10:12 → 10:20 = 480 s, both stops.
    const split = advanceShiftDowntime(before, [at('2026-01-14T10:12+01:00')], { now });
    assert.deepEqual(split.events.slice(1, 3), [
      event(at('2026-01-14T10:05+01:00'), at('2026-01-14T10:12+01:00'), 'planned', 'cleaning'),
      event(at('2026-01-14T10:12+01:00'), at('2026-01-14T10:20+01:00'), 'planned', 'cleaning'),
    ]);
    assert.deepEqual(diffDowntimeEvents(before.events, split.events), { added: [split.events[2]], changed: [split.events[1]], removed: [] });
    // Another at 10:16: 10:12 → 10:16 and 10:16 → 10:20 are 240 s each, no longer stops.
    const healed = advanceShiftDowntime(split, [at('2026-01-14T10:16+01:00')], { now });
    assert.deepEqual(healed.events.map((e) => e.start), [morning.start, at('2026-01-14T10:05+01:00'), at('2026-01-14T13:50+01:00')]);
    assert.deepEqual(diffDowntimeEvents(split.events, healed.events).removed, [split.events[2]]);
    // A late detection inside the closed stop at the end of the finished shift splits it too:
    // 13:50 → 13:54 = 240 s (gone) and 13:54 → 14:00 = 360 s (kept).
    const tail = advanceShiftDowntime(healed, [at('2026-01-14T13:54+01:00')], { now });
    assert.deepEqual(tail.events.at(-1), event(at('2026-01-14T13:54+01:00'), at('2026-01-14T14:00+01:00')));
    assert.equal(tail.events.length, 3);
  });

  it('any batching and order of the detections gives the events computed from all at once', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const night = { start: at('2026-01-14T22:00+01:00'), end: at('2026-01-15T06:00+01:00') };
    for (let round = 0; round < 50; round++) {
      const times: number[] = [];
      for (let t = night.start + random() * 900_000; t < night.end; t += random() < 0.9 ? random() * 200_000 : random() * 1_500_000) times.push(Math.floor(t));
      const nows = [at('2026-01-15T01:00+01:00'), at('2026-01-15T03:30+01:00'), at('2026-01-15T07:00+01:00')];
      const expected = shiftDowntimeEvents(night, times, { now: nows[2]! });
      let state = emptyShiftDowntime(night);
      const shuffled = [...times].sort(() => random() - 0.5);
      for (let i = 0; i < shuffled.length;) {
        const size = 1 + Math.floor(random() * 40);
        state = advanceShiftDowntime(state, shuffled.slice(i, i + size), { now: nows[Math.min(2, Math.floor((i / shuffled.length) * 3))]! });
        i += size;
      }
      state = advanceShiftDowntime(state, [], { now: nows[2]! });
      assert.deepEqual(state.events, expected, `round ${round}`);
      // Stops cross midnight inside the night shift but never its ends.
      for (const e of expected) assert.ok(e.start >= night.start && e.end! <= night.end);
    }
  });
});

describe('OEE', () => {
  const day = { from: at('2026-01-14T00:00+01:00'), to: at('2026-01-15T00:00+01:00') };

  it('totals of a shift with a starting stop, a planned stop, rejects and two products', () => {
    const report = oee({
      ...day,
      downtime: [
        event(at('2026-01-14T06:00+01:00'), at('2026-01-14T06:30+01:00')), // 1,800 s
        event(at('2026-01-14T10:00+01:00'), at('2026-01-14T10:10+01:00')), // 600 s
        event(at('2026-01-14T12:00+01:00'), at('2026-01-14T12:30+01:00'), 'planned', 'cleaning'), // 1,800 s out of planned time
      ],
      counts: [
        output('2026-01-14T07:00+01:00', 1200), output('2026-01-14T11:00+01:00', 800), // product A: 2,000 good
        output('2026-01-14T09:00+01:00', 1000, 'B'), // product B (line cycle): 1,000 good
        reject('2026-01-14T09:30+01:00', 100), // 100 rejects of A
        output('2026-01-14T15:00+01:00', 500), // after the only shift: not counted
        { at: at('2026-01-14T08:00+01:00'), area_type: 'input', product_id: 'A', quantity: 9999 }, // not output nor reject
      ],
      productIdealCycleSeconds: new Map([['A', 5]]),
    });
    // planned = 8 h − 30 min planned stop = 28,800 − 1,800 = 27,000 s; downtime = 1,800 + 600 = 2,400 s;
    // run = 24,600 s. Ideal = 5 s × (2,000 + 100) + 6 s × 1,000 = 16,500 s.
    assert.deepEqual(report.totals, {
      planned_seconds: 27_000, downtime_seconds: 2_400, run_seconds: 24_600,
      total_count: 3_100, good_count: 3_000, reject_count: 100,
      availability: 24_600 / 27_000, performance: 16_500 / 24_600, quality: 3_000 / 3_100,
      oee: (24_600 / 27_000) * (16_500 / 24_600) * (3_000 / 3_100),
      performance_exceeds_ideal: false,
      stops: 2, mttr_seconds: 2_400 / 2, mtbf_seconds: 24_600 / 2,
    });
    assert.deepEqual(report.buckets, []);
  });

  it('detections to downtime to OEE: the starting stop is a loss', () => {
    const morning = shiftInstances([MORNING], MADRID, day.from, day.to)[0]!;
    // One piece a minute from 06:07 to 13:59 (473 pieces): one stop 06:00–06:07 (420 s).
    const times = every('2026-01-14T06:07+01:00', '2026-01-14T13:59+01:00', 1);
    const downtime = shiftDowntimeEvents(morning, times, { now: day.to });
    assert.deepEqual(downtime, [event(morning.start, at('2026-01-14T06:07+01:00'))]);
    const report = oee({ ...day, downtime, counts: times.map((t) => ({ at: t, area_type: 'output', product_id: null, quantity: 1 })), lineIdealCycleSeconds: 60 });
    // planned 28,800 s, downtime 420 s, run 28,380 s; ideal 473 × 60 = 28,380 s → performance 1.
    assert.deepEqual([report.totals.availability, report.totals.performance, report.totals.quality, report.totals.oee], [28_380 / 28_800, 1, 1, 28_380 / 28_800]);
  });

  it('a night shift across midnight is one shift bucket split over two day buckets', () => {
    const window = { from: at('2026-01-14T12:00+01:00'), to: at('2026-01-15T12:00+01:00'), shifts: [NIGHT] };
    // 23:30 → 00:30 stop: 1,800 s on each side of midnight, counted as a stop on the 14th.
    const downtime = [event(at('2026-01-14T23:30+01:00'), at('2026-01-15T00:30+01:00'))];
    const counts = [output('2026-01-14T23:00+01:00', 100), output('2026-01-15T05:59+01:00', 200)];
    const byShift = oee({ ...window, downtime, counts, groupBy: 'shift' });
    assert.equal(byShift.buckets.length, 1);
    assert.deepEqual(byShift.buckets[0]!.shift, { id: 3, name: 'Night', date: '2026-01-14' });
    assert.equal(byShift.buckets[0]!.label, '2026-01-14 Night');
    assert.deepEqual([byShift.buckets[0]!.start, byShift.buckets[0]!.end], [at('2026-01-14T22:00+01:00'), at('2026-01-15T06:00+01:00')]);
    assert.deepEqual(pick(byShift.buckets[0]!), { planned_seconds: 28_800, downtime_seconds: 3_600, run_seconds: 25_200, total_count: 300, stops: 1 });
    const byDay = oee({ ...window, downtime, counts, groupBy: 'day' });
    assert.deepEqual(byDay.buckets.map((b) => [b.label, pick(b)]), [
      // 22:00 → 24:00 = 7,200 s planned, 23:30 → 24:00 = 1,800 s down.
      ['2026-01-14', { planned_seconds: 7_200, downtime_seconds: 1_800, run_seconds: 5_400, total_count: 100, stops: 1 }],
      // 00:00 → 06:00 = 21,600 s planned, 00:00 → 00:30 = 1,800 s down, the stop already counted.
      ['2026-01-15', { planned_seconds: 21_600, downtime_seconds: 1_800, run_seconds: 19_800, total_count: 200, stops: 0 }],
    ]);
    assert.equal(byDay.buckets[1]!.mttr_seconds, null);
  });

  it('both DST nights: 7 h and 9 h of planned time, one hour bucket per real hour', () => {
    for (const [from, hours] of [[at('2026-03-28T12:00+01:00'), 7], [at('2026-10-24T12:00+02:00'), 9]] as const) {
      const report = oee({ from, to: from + 24 * H, shifts: [NIGHT], groupBy: 'hour' });
      assert.equal(report.totals.planned_seconds, hours * 3_600);
      assert.equal(report.totals.availability, 1); // no stop recorded
      const planned = report.buckets.filter((b) => b.planned_seconds > 0);
      assert.equal(planned.length, hours);
      for (const bucket of planned) assert.equal(bucket.planned_seconds, 3_600);
      const byShift = oee({ from, to: from + 24 * H, shifts: [NIGHT], groupBy: 'shift' });
      assert.equal(byShift.buckets[0]!.planned_seconds, hours * 3_600);
    }
  });

  it('a planned stop leaves planned time and is neither downtime nor a stop', () => {
    const planned = event(at('2026-01-14T09:00+01:00'), at('2026-01-14T10:00+01:00'), 'planned');
    const report = oee({ ...day, downtime: [planned], counts: [output('2026-01-14T08:00+01:00', 3_500)] });
    // planned = 28,800 − 3,600 = 25,200 s; run = 25,200 s; ideal 3,500 × 6 = 21,000 s.
    assert.deepEqual(pick(report.totals), { planned_seconds: 25_200, downtime_seconds: 0, run_seconds: 25_200, total_count: 3_500, stops: 0 });
    assert.deepEqual([report.totals.availability, report.totals.performance, report.totals.mttr_seconds], [1, 21_000 / 25_200, null]);
    // The same stop unplanned: planned 28,800, downtime 3,600, run 25,200, one stop.
    const unplanned = oee({ ...day, downtime: [{ ...planned, category: 'unplanned' }], counts: [output('2026-01-14T08:00+01:00', 3_500)] });
    assert.deepEqual(pick(unplanned.totals), { planned_seconds: 28_800, downtime_seconds: 3_600, run_seconds: 25_200, total_count: 3_500, stops: 1 });
    assert.equal(unplanned.totals.availability, 25_200 / 28_800);
    // A planned stop entered from 05:45 to 06:15 takes the 15 minutes inside the shift out of planned time.
    const early = oee({ ...day, downtime: [event(at('2026-01-14T05:45+01:00'), at('2026-01-14T06:15+01:00'), 'planned')] });
    assert.equal(early.totals.planned_seconds, 28_800 - 900);
  });

  it('a planned stop entered inside a detected stop is taken out of it; the rest is still one stop', () => {
    const downtime = [
      event(at('2026-01-14T09:50+01:00'), at('2026-01-14T10:30+01:00')), // detected, 2,400 s
      event(at('2026-01-14T10:00+01:00'), at('2026-01-14T10:15+01:00'), 'planned', 'break'), // 900 s inside it
    ];
    const report = oee({ ...day, downtime, groupBy: 'hour' });
    // planned = 28,800 − 900 = 27,900 s; downtime = 2,400 − 900 = 1,500 s (09:50–10:00 and 10:15–10:30).
    assert.deepEqual(pick(report.totals), { planned_seconds: 27_900, downtime_seconds: 1_500, run_seconds: 26_400, total_count: 0, stops: 1 });
    assert.deepEqual(report.buckets.filter((b) => b.downtime_seconds > 0).map((b) => [b.label, b.downtime_seconds, b.stops]), [
      ['2026-01-14T09:00+01:00', 600, 1], ['2026-01-14T10:00+01:00', 900, 0],
    ]);
  });

  it('a window cut mid-shift counts only its part, and a stop cut by the window counts in it', () => {
    const downtime = [
      event(at('2026-01-14T06:00+01:00'), at('2026-01-14T06:30+01:00')), // before the window
      event(at('2026-01-14T09:50+01:00'), at('2026-01-14T10:10+01:00')),
    ];
    const counts = [output('2026-01-14T07:59+01:00', 10), output('2026-01-14T08:00+01:00', 20), output('2026-01-14T11:59+01:00', 30), output('2026-01-14T12:00+01:00', 40)];
    // [08:00, 12:00): 14,400 s planned, 09:50 → 10:10 = 1,200 s down; pieces at 08:00 and 11:59.
    const report = oee({ ...day, from: at('2026-01-14T08:00+01:00'), to: at('2026-01-14T12:00+01:00'), downtime, counts });
    assert.deepEqual(pick(report.totals), { planned_seconds: 14_400, downtime_seconds: 1_200, run_seconds: 13_200, total_count: 50, stops: 1 });
    // [10:00, 12:00): only 10:00 → 10:10 of the stop (600 s); it still counts as a stop of this window.
    const later = oee({ ...day, from: at('2026-01-14T10:00+01:00'), to: at('2026-01-14T12:00+01:00'), downtime, counts });
    assert.deepEqual(pick(later.totals), { planned_seconds: 7_200, downtime_seconds: 600, run_seconds: 6_600, total_count: 30, stops: 1 });
    assert.equal(later.totals.mttr_seconds, 600);
  });

  it('an empty window has no planned time, no buckets and no ratios', () => {
    const instant = at('2026-01-14T08:00+01:00');
    for (const groupBy of ['none', 'hour', 'shift', 'day'] as const) {
      const report = oee({ from: instant, to: instant, groupBy, counts: [output('2026-01-14T08:00+01:00', 5)] });
      assert.deepEqual(report.totals, { ...ALL_NULL, planned_seconds: 0, downtime_seconds: 0, run_seconds: 0, total_count: 0, good_count: 0, reject_count: 0, stops: 0, performance_exceeds_ideal: false });
      assert.deepEqual(report.buckets, []);
    }
  });

  it('performance above 1.05 is reported as is and flagged', () => {
    const hour = { from: at('2026-01-14T06:00+01:00'), to: at('2026-01-14T07:00+01:00'), lineIdealCycleSeconds: 10 };
    // 400 pieces × 10 s = 4,000 s in a 3,600 s run: 1.111…, not capped.
    const fast = oee({ ...hour, counts: [output('2026-01-14T06:30+01:00', 400)] });
    assert.equal(fast.totals.performance, 4_000 / 3_600);
    assert.equal(fast.totals.performance_exceeds_ideal, true);
    // 378 × 10 = 3,780 s: exactly 1.05, not above.
    const limit = oee({ ...hour, counts: [output('2026-01-14T06:30+01:00', 378)] });
    assert.equal(limit.totals.performance, 1.05);
    assert.equal(limit.totals.performance_exceeds_ideal, false);
  });

  it('a line down for its whole planned time has OEE 0', () => {
    const report = oee({ ...day, downtime: [event(at('2026-01-14T06:00+01:00'), at('2026-01-14T14:00+01:00'))] });
    // availability 0 / 28,800; performance and quality have no denominator (no run, no pieces).
    assert.deepEqual(report.totals, {
      planned_seconds: 28_800, downtime_seconds: 28_800, run_seconds: 0, total_count: 0, good_count: 0, reject_count: 0,
      availability: 0, performance: null, quality: null, oee: 0, performance_exceeds_ideal: false,
      stops: 1, mttr_seconds: 28_800, mtbf_seconds: 0,
    });
    // Running without producing anything is OEE 0 too: performance 0, quality null.
    const idle = oee({ ...day });
    assert.deepEqual([idle.totals.availability, idle.totals.performance, idle.totals.quality, idle.totals.oee], [1, 0, null, 0]);
  });

  it('no planned time makes every ratio null, even with pieces counted', () => {
    // No shift in the window (the afternoon has no shift on this line).
    const noShift = oee({ from: at('2026-01-14T15:00+01:00'), to: at('2026-01-14T20:00+01:00'), counts: [output('2026-01-14T16:00+01:00', 50)] });
    assert.deepEqual(noShift.totals, { ...ALL_NULL, planned_seconds: 0, downtime_seconds: 0, run_seconds: 0, total_count: 0, good_count: 0, reject_count: 0, stops: 0, performance_exceeds_ideal: false });
    // The whole shift is a planned stop; 5 rejects found during it are counted, yet no ratio is computed.
    const allPlanned = oee({ ...day, downtime: [event(at('2026-01-14T06:00+01:00'), at('2026-01-14T14:00+01:00'), 'planned')], counts: [reject('2026-01-14T07:00+01:00', 5)] });
    assert.deepEqual(allPlanned.totals, { ...ALL_NULL, planned_seconds: 0, downtime_seconds: 0, run_seconds: 0, total_count: 5, good_count: 0, reject_count: 5, stops: 0, performance_exceeds_ideal: false });
    // A line with no active shift at all.
    assert.equal(oee({ ...day, shifts: [{ ...MORNING, is_active: false }] }).totals.planned_seconds, 0);
  });

  it('an ongoing stop counts until now; time after now is not planned yet', () => {
    const now = at('2026-01-14T11:00:30+01:00');
    const report = oee({ ...day, now, groupBy: 'hour', downtime: [event(at('2026-01-14T10:50+01:00'), null)], counts: [output('2026-01-14T08:00+01:00', 100)] });
    // planned 06:00 → 11:00:30 = 18,030 s; down 10:50 → 11:00:30 = 630 s; run 17,400 s.
    assert.deepEqual(pick(report.totals), { planned_seconds: 18_030, downtime_seconds: 630, run_seconds: 17_400, total_count: 100, stops: 1 });
    const [tenOClock, elevenOClock, noon] = report.buckets.filter((b) => ['2026-01-14T10:00+01:00', '2026-01-14T11:00+01:00', '2026-01-14T12:00+01:00'].includes(b.label));
    assert.deepEqual(pick(tenOClock!), { planned_seconds: 3_600, downtime_seconds: 600, run_seconds: 3_000, total_count: 0, stops: 1 });
    assert.deepEqual(pick(elevenOClock!), { planned_seconds: 30, downtime_seconds: 30, run_seconds: 0, total_count: 0, stops: 0 });
    assert.deepEqual({ ...pick(noon!), availability: noon!.availability, oee: noon!.oee }, { planned_seconds: 0, downtime_seconds: 0, run_seconds: 0, total_count: 0, stops: 0, availability: null, oee: null });
    // An ongoing event left open in a shift that has ended stops at that shift's end (14:00),
    // not in the next shift.
    const later = oee({ ...day, now: at('2026-01-14T18:00+01:00'), shifts: [MORNING, AFTERNOON], downtime: [event(at('2026-01-14T13:00+01:00'), null)] });
    assert.equal(later.totals.downtime_seconds, 3_600);
  });

  it('buckets by hour, shift, day, week and month add up exactly to the same totals', () => {
    // Three weeks over the spring DST night and a month end, three shifts, stops that cross hour,
    // shift and day boundaries, planned stops, ms-precision instants and two products.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const from = at('2026-03-18T09:17:23.456+01:00');
    const to = at('2026-04-07T15:00+02:00');
    const shifts = [MORNING, AFTERNOON, NIGHT];
    const downtime: DowntimeEvent[] = [];
    const counts: ProductionCount[] = [];
    for (const instance of shiftInstances(shifts, MADRID, from - 24 * H, to)) {
      const times: number[] = [];
      for (let t = instance.start + random() * 600_000; t < instance.end; t += random() < 0.95 ? random() * 240_000 : random() * 5_400_000) times.push(Math.floor(t));
      for (const e of shiftDowntimeEvents(instance, times, { now: to })) downtime.push({ ...e, category: random() < 0.2 ? 'planned' : 'unplanned' });
      for (const t of times) counts.push({ at: t, area_type: random() < 0.03 ? 'reject' : 'output', product_id: random() < 0.5 ? 'A' : 'B', quantity: 1 + Math.floor(random() * 5) });
    }
    const input = { from, to, now: at('2026-04-07T12:34:56.789+02:00'), shifts, downtime, counts, productIdealCycleSeconds: new Map([['A', 20]]), lineIdealCycleSeconds: 30 };
    const totals = oee({ ...input, groupBy: 'none' }).totals;
    assert.ok(totals.stops > 20 && totals.planned_seconds > 0 && totals.downtime_seconds > 0 && totals.reject_count > 0);
    const additive = ['planned_seconds', 'downtime_seconds', 'run_seconds', 'total_count', 'good_count', 'reject_count', 'stops'] as const;
    for (const groupBy of ['hour', 'shift', 'day', 'week', 'month'] satisfies GroupBy[]) {
      const report = oee({ ...input, groupBy });
      assert.deepEqual(report.totals, totals, groupBy);
      for (const key of additive) {
        assert.equal(report.buckets.reduce((sum, b) => sum + b[key], 0), totals[key], `${groupBy} ${key}`);
      }
      for (const bucket of report.buckets) assert.ok(Number.isInteger(bucket.planned_seconds) && bucket.start < bucket.end, groupBy);
      if (groupBy !== 'shift') {
        // Contiguous from the window's start (truncated to the second) to its end.
        assert.equal(report.buckets[0]!.start, Math.floor(from / 1000) * 1000);
        assert.equal(report.buckets.at(-1)!.end, to);
        report.buckets.slice(1).forEach((b, i) => assert.equal(b.start, report.buckets[i]!.end));
      }
    }
    const daily = oee({ ...input, groupBy: 'day' }).buckets.find((b) => b.label === '2026-03-29')!;
    assert.equal(daily.end - daily.start, 23 * H);
  });

  it('bad configuration is a RangeError, not a wrong number', () => {
    assert.throws(() => oee({ ...day, lineIdealCycleSeconds: 0 }), RangeError);
    assert.throws(() => oee({ ...day, productIdealCycleSeconds: new Map([['A', Number.NaN]]) }), RangeError);
    assert.throws(() => oee({ ...day, counts: [output('2026-01-14T07:00+01:00', -1)] }), RangeError);
    assert.throws(() => oee({ ...day, timeZone: 'Nowhere/Land' }), RangeError);
  });
});

function pick(figures: OeeFigures) {
  const { planned_seconds, downtime_seconds, run_seconds, total_count, stops } = figures;
  return { planned_seconds, downtime_seconds, run_seconds, total_count, stops };
}
