// The production data layer at the service level (docs/requirements.md, PRD-1 to PRD-5): an embedded
// plant database Sentinel owns, and a client's own PostgreSQL and MariaDB databases it consumes.
// Everything the services answer is checked against the raw rows: rollups against raw sums,
// downtime against the core's computation from all output times, OEE against computeOee over raw
// detections. Europe/Madrid is UTC+01:00 in January.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { PLANT_MIGRATIONS } from '../src/migrations/plant/index.ts';
import { openDatabase, type Db, type Dialect } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import { createPlantRegistry, type PlantRegistry, type PlantSource } from '../src/platform/db/plant-registry.ts';
import { HttpError } from '../src/platform/http/errors.ts';
import { shiftDowntimeEvents } from '../src/modules/production/downtime.ts';
import { type GroupBy, type ProductionCount, computeOee } from '../src/modules/production/oee.ts';
import { getLine, lineTables } from '../src/modules/production/plant-context.ts';
import type { ProductionRepo } from '../src/modules/production/production.repo.ts';
import { type ProductionService, createProductionService } from '../src/modules/production/production.service.ts';
import { shiftInstances } from '../src/modules/production/shift-calendar.ts';
import { type StructureService, createStructureService } from '../src/modules/production/structure.service.ts';
import { createPostgresDatabase, createServerDatabase, dialects } from './helpers/harness.ts';

const MADRID = 'Europe/Madrid';
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const TENANT = 'plant-tenant';

interface Harness {
  platform: Db;
  plants: PlantRegistry;
  production: ProductionService;
  structure: StructureService;
  clock: { now: number };
  close(): Promise<void>;
}

async function harness(platformDialect: Dialect, source: PlantSource): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-production-'));
  const pgDb = await createServerDatabase(platformDialect);
  const platform = openDatabase({ databaseUrl: pgDb?.url, dataDir });
  await migrateToLatest(platform);
  const created = Date.now();
  await platform.kysely.insertInto('tenants').values({ id: TENANT, name: 'Plant', slug: 'plant', is_active: 1, config: '{}', created_at: created, updated_at: created }).execute();
  const plants = createPlantRegistry({ dataDir, maxOpen: 4, idleMs: 60_000, migrations: PLANT_MIGRATIONS, resolveSource: async () => source });
  const clock = { now: at('2026-01-14T04:00:00Z') };
  const production = createProductionService({ plants, platform: platform.kysely, tenantTimeZone: async () => MADRID, clock: () => clock.now });
  return {
    platform, plants, production, structure: createStructureService(production.access), clock,
    async close() {
      await plants.close();
      await platform.close();
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function rejects(promise: Promise<unknown>, status: number, pattern?: RegExp): Promise<HttpError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected a ${status}`), (error: unknown) => (caught = error));
  assert.ok(caught instanceof HttpError, String(caught));
  assert.equal(caught.status, status, caught.detail);
  if (pattern) assert.match(`${caught.detail} ${JSON.stringify(caught.errors ?? [])}`, pattern);
  return caught;
}

/** A day of detections on 2026-01-14 (Madrid): output every minute with two stops, some rejects and inputs. */
function dayOfDetections(areas: { input: number; output: number; reject: number }, products: [number, number]) {
  const rows: { detected_at: string; area_id: number; product_id?: number; quantity?: number }[] = [];
  const stops = [[at('2026-01-14T08:00:00Z'), at('2026-01-14T08:20:00Z')], [at('2026-01-14T12:50:00Z'), at('2026-01-14T13:30:00Z')]];
  for (let t = at('2026-01-14T05:00:30Z'); t < at('2026-01-14T19:00:00Z'); t += MIN) {
    if (stops.some(([start, end]) => t >= start! && t < end!)) continue;
    const minute = Math.floor(t / MIN);
    const product = minute % 3 === 0 ? products[1] : products[0];
    rows.push({ detected_at: new Date(t).toISOString(), area_id: areas.output, product_id: product, quantity: 1 + (minute % 2) });
    if (minute % 7 === 0) rows.push({ detected_at: new Date(t + 5000).toISOString(), area_id: areas.reject, product_id: product });
    if (minute % 5 === 0) rows.push({ detected_at: new Date(t - 20_000).toISOString(), area_id: areas.input });
  }
  return rows;
}

/** Every stored detection, through the paged read-back. */
async function allDetections(production: ProductionService, lineId: number) {
  const items = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await production.listDetections(TENANT, lineId, { limit: 1000, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (page.next_cursor === null) return items;
    cursor = page.next_cursor;
  }
}

/** OEE computed straight from the raw rows and the core's downtime from all output times. */
async function rawOee(h: Harness, lineId: number, from: number, to: number, groupBy: GroupBy) {
  const line = await h.structure.getLine(TENANT, lineId);
  const areas = new Map((await h.structure.listAreas(TENANT, lineId)).map((area) => [area.area_id, area.area_type]));
  const shifts = (await h.structure.listShifts(TENANT, lineId)).map((shift) => ({ ...shift, id: shift.shift_id }));
  const products = await h.structure.listProducts(TENANT);
  const detections = await allDetections(h.production, lineId);
  const counts: ProductionCount[] = detections.map((row) => ({ at: Date.parse(row.detected_at), area_type: areas.get(row.area_id)!, product_id: row.product_id, quantity: row.quantity }));
  const outputs = counts.filter((count) => count.area_type === 'output').map((count) => count.at);
  const downtime = shiftInstances(shifts, line.timezone, from - 2 * 86_400_000, to)
    .filter((occurrence) => occurrence.end > Math.min(...outputs) && occurrence.start < h.clock.now)
    .flatMap((occurrence) => shiftDowntimeEvents(occurrence, outputs, { now: h.clock.now, thresholdSeconds: line.downtime_threshold_seconds }));
  return computeOee({
    from, to, now: h.clock.now, timeZone: line.timezone, groupBy, shifts, downtime, counts,
    lineIdealCycleSeconds: line.ideal_cycle_seconds!,
    productIdealCycleSeconds: new Map(products.filter((p) => p.ideal_cycle_seconds !== null).map((p) => [p.product_id, p.ideal_cycle_seconds!])),
  });
}

async function assertOeeMatchesRaw(h: Harness, lineId: number): Promise<void> {
  const from = at('2026-01-13T23:00:00Z');
  const to = at('2026-01-14T23:00:00Z');
  for (const groupBy of ['none', 'hour', 'shift', 'day'] as const) {
    const expected = await rawOee(h, lineId, from, to, groupBy);
    const answer = await h.production.oee(TENANT, { line_id: lineId, from, to, group_by: groupBy });
    assert.equal(answer.timezone, MADRID);
    assert.deepEqual(answer.totals, expected.totals, `totals by ${groupBy}`);
    assert.deepEqual(answer.buckets.map((bucket) => ({ ...bucket, start: Date.parse(bucket.start), end: Date.parse(bucket.end) })), expected.buckets, `buckets by ${groupBy}`);
  }
  const week = await h.production.oee(TENANT, { line_id: lineId, from: at('2026-01-04T23:00:00Z'), to: at('2026-01-25T23:00:00Z'), group_by: 'week' });
  const expectedWeek = await rawOee(h, lineId, at('2026-01-04T23:00:00Z'), at('2026-01-25T23:00:00Z'), 'week');
  assert.deepEqual(week.totals, expectedWeek.totals);
}

/** Rollup totals per unit against raw sums per area and product. */
async function assertRollupsMatchRaw(db: Kysely<unknown>, h: Harness, lineId: number): Promise<void> {
  const detections = await allDetections(h.production, lineId);
  const raw = new Map<string, number>();
  for (const row of detections) {
    const key = `${row.area_id}:${row.product_id ?? 0}`;
    raw.set(key, (raw.get(key) ?? 0) + row.quantity);
  }
  for (const unit of ['minute', 'hour', 'day']) {
    const { rows } = await sql<{ area_id: unknown; product_id: unknown; quantity: unknown }>`SELECT area_id, product_id, SUM(quantity) AS quantity
      FROM ${sql.table(`sentinel_rollup_${unit}`)} WHERE line_id = ${lineId} GROUP BY area_id, product_id`.execute(db);
    assert.deepEqual(new Map(rows.map((row) => [`${Number(row.area_id)}:${Number(row.product_id)}`, Number(row.quantity)])), raw, unit);
  }
  const { rows } = await sql<{ bucket_start: unknown; quantity: unknown }>`SELECT bucket_start, SUM(quantity) AS quantity FROM sentinel_rollup_minute
    WHERE line_id = ${lineId} GROUP BY bucket_start`.execute(db);
  const perMinute = new Map<number, number>();
  for (const row of detections) {
    const minute = Math.floor(Date.parse(row.detected_at) / MIN) * MIN;
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + row.quantity);
  }
  assert.deepEqual(new Map(rows.map((row) => [Number(row.bucket_start), Number(row.quantity)])), perMinute);
}

/** Downtime events stored against the core's events from all output times. */
async function assertDowntimeMatchesRaw(h: Harness, lineId: number): Promise<void> {
  const line = await h.structure.getLine(TENANT, lineId);
  const areas = new Map((await h.structure.listAreas(TENANT, lineId)).map((area) => [area.area_id, area.area_type]));
  const outputs = (await allDetections(h.production, lineId)).filter((row) => areas.get(row.area_id) === 'output').map((row) => Date.parse(row.detected_at));
  const shifts = (await h.structure.listShifts(TENANT, lineId)).map((shift) => ({ ...shift, id: shift.shift_id }));
  const from = at('2026-01-13T23:00:00Z');
  const to = at('2026-01-14T23:00:00Z');
  const expected = shiftInstances(shifts, MADRID, from, to)
    .filter((occurrence) => occurrence.start < h.clock.now)
    .flatMap((occurrence) => shiftDowntimeEvents(occurrence, outputs, { now: h.clock.now, thresholdSeconds: line.downtime_threshold_seconds }));
  const stored = await h.production.listDowntime(TENANT, lineId, { from, to });
  assert.deepEqual(stored.map((event) => ({ start: Date.parse(event.start), end: event.end === null ? null : Date.parse(event.end), category: event.category, reason: event.reason })), expected);
}

for (const platformDialect of dialects()) {
  describe(`production store: embedded plant database (platform on ${platformDialect})`, () => {
    let h: Harness;
    let lineId: number;
    let areas: { input: number; output: number; reject: number };
    let products: [number, number];

    before(async () => {
      h = await harness(platformDialect, { mode: 'embedded' });
    });
    after(() => h.close());

    it('creates lines, areas, products and shifts, with the rules of each', async () => {
      const line = await h.structure.createLine(TENANT, { line_name: 'Press line', line_code: 'press_1', ideal_cycle_seconds: 30 });
      lineId = line.line_id;
      assert.deepEqual(line, { line_id: lineId, line_name: 'Press line', line_code: 'press_1', is_active: true, ideal_cycle_seconds: 30, downtime_threshold_seconds: 300, timezone: MADRID });
      const second = await h.structure.createLine(TENANT, { line_name: 'Second' });
      assert.equal(second.line_code, String(second.line_id));
      await rejects(h.structure.createLine(TENANT, { line_name: 'Bad', line_code: 'Press-1' }), 400, /line_code/);
      await rejects(h.structure.createLine(TENANT, { line_name: 'Dup', line_code: 'press_1' }), 409);
      await rejects(h.structure.updateLine(TENANT, lineId, { line_code: 'press_2' }), 409, /cannot change/);
      await rejects(h.structure.updateLine(TENANT, lineId, { timezone: 'Mars/Olympus' }), 400, /timezone/);

      const area = (name: string, type: 'input' | 'output' | 'reject') => h.structure.createArea(TENANT, { line_id: lineId, area_name: name, area_type: type });
      areas = { input: (await area('Infeed', 'input')).area_id, output: (await area('Outfeed', 'output')).area_id, reject: (await area('Scrap', 'reject')).area_id };
      const missingLine = await rejects(h.structure.createArea(TENANT, { line_id: 999, area_name: 'X', area_type: 'output' }), 400, /line_id/);
      assert.deepEqual(missingLine.errors, [{ field: 'line_id', message: 'is not a line of this plant', code: 'unknown_reference', params: { value: '999' } }]);

      const a = await h.structure.createProduct(TENANT, { product_name: 'Bracket', product_code: 'BR-1', ideal_cycle_seconds: 20 });
      const b = await h.structure.createProduct(TENANT, { product_name: 'Plate', product_code: 'PL-1' });
      products = [a.product_id, b.product_id];
      await rejects(h.structure.createProduct(TENANT, { product_name: 'Again', product_code: 'BR-1' }), 409);
      // One check, one code: what is wrong with a name is said by its own code.
      for (const [name, code] of [['   ', 'blank'], ['x'.repeat(201), 'length_range'], ['Nul\u0000', 'unstorable_text']] as const) {
        const refused = await rejects(h.structure.createProduct(TENANT, { product_name: name, product_code: 'NEW-1' }), 400, /product_name/);
        assert.deepEqual(refused.errors?.map((error) => error.code), [code], JSON.stringify(name));
      }

      await h.structure.createShift(TENANT, { shift_name: 'Morning', start_time: '06:00', end_time: '14:00', line_id: lineId });
      await h.structure.createShift(TENANT, { shift_name: 'Afternoon', start_time: '14:00', end_time: '22:00' });
      const overlap = await rejects(h.structure.createShift(TENANT, { shift_name: 'Overlap', start_time: '13:00', end_time: '15:00', line_id: lineId }), 400, /overlaps/);
      assert.deepEqual(overlap.errors, [
        { field: 'start_time', message: 'overlaps shift "Morning" (06:00-14:00)', code: 'overlaps', params: { other: '"Morning" (06:00-14:00)' } },
      ]);
      await rejects(h.structure.createShift(TENANT, { shift_name: 'Bad', start_time: '25:00', end_time: '03:00' }), 400, /start_time/);

      const filter = await h.structure.createFilter(TENANT, { filter_name: 'Date range', default_value: { days_back: 7 }, additional_filter: { type: 'daterange', required: true } });
      assert.deepEqual(filter.default_value, { days_back: 7 });
      assert.equal(filter.filter_status, true);
    });

    it('stores batches all or nothing, counts a repeated batch once, and keeps rollups equal to raw sums', async () => {
      const rows = dayOfDetections(areas, products);
      h.clock.now = at('2026-01-14T20:00:00Z');
      const bad = rows.slice(0, 40).map((row, index) => (index === 17 ? { ...row, area_id: 424242 } : row));
      await rejects(h.production.ingest(TENANT, lineId, { batch_id: 'bad', detections: bad }), 400, /detections\[17\]\.area_id/);
      const ahead = await rejects(h.production.ingest(TENANT, lineId, { detections: [{ detected_at: '2026-01-14T20:06:00Z', area_id: areas.output }] }), 400, /detections\[0\]\.detected_at.*future/);
      assert.deepEqual(ahead.errors, [
        { field: 'detections[0].detected_at', message: 'is more than 5 minutes in the future', code: 'too_far_ahead', params: { minutes: 5 } },
      ]);
      await rejects(h.production.ingest(TENANT, lineId, { detections: [{ detected_at: '2026-01-14T10:00:00', area_id: areas.output }] }), 400, /detected_at/);
      await rejects(h.production.ingest(TENANT, lineId, { detections: [{ detected_at: at('2026-01-14T10:00:00Z'), area_id: areas.output, quantity: 0 }] }), 400, /quantity/);
      assert.equal((await allDetections(h.production, lineId)).length, 0);

      const third = Math.ceil(rows.length / 3);
      const batches = [rows.slice(0, third), rows.slice(third, 2 * third), rows.slice(2 * third)];
      for (const [index, detections] of batches.entries()) {
        const result = await h.production.ingest(TENANT, lineId, { batch_id: `day-${index}`, detections });
        assert.deepEqual(result, { batch_id: `day-${index}`, accepted: detections.length, duplicate: false });
      }
      assert.deepEqual(await h.production.ingest(TENANT, lineId, { batch_id: 'day-1', detections: batches[1]! }), { batch_id: 'day-1', accepted: 0, duplicate: true });
      assert.equal((await allDetections(h.production, lineId)).length, rows.length);
      await h.plants.use(TENANT, (db) => assertRollupsMatchRaw(db.kysely as Kysely<unknown>, h, lineId));
    });

    it('reads detections back newest first, filtered and paged', async () => {
      const page = await h.production.listDetections(TENANT, lineId, { area_id: areas.reject, from: at('2026-01-14T06:00:00Z'), to: at('2026-01-14T07:00:00Z'), limit: 3 });
      assert.equal(page.items.length, 3);
      assert.ok(page.items.every((item) => item.area_id === areas.reject));
      assert.ok(Date.parse(page.items[0]!.detected_at) > Date.parse(page.items[2]!.detected_at));
      const next = await h.production.listDetections(TENANT, lineId, { area_id: areas.reject, from: at('2026-01-14T06:00:00Z'), to: at('2026-01-14T07:00:00Z'), limit: 100, cursor: page.next_cursor! });
      const all = await h.production.listDetections(TENANT, lineId, { area_id: areas.reject, from: at('2026-01-14T06:00:00Z'), to: at('2026-01-14T07:00:00Z'), limit: 100 });
      assert.deepEqual([...page.items, ...next.items], all.items);
      await rejects(h.production.listDetections(TENANT, lineId, { cursor: 'not-a-cursor' }), 400, /cursor/);
    });

    it('persists downtime events as the core computes them, also after a late detection splits a stop', async () => {
      await assertDowntimeMatchesRaw(h, lineId);
      const before = await h.production.listDowntime(TENANT, lineId, { from: at('2026-01-14T07:00:00Z'), to: at('2026-01-14T09:00:00Z') });
      assert.equal(before.length, 1, JSON.stringify(before));
      await h.production.classifyDowntime(TENANT, lineId, before[0]!.id!, { reason: 'jam', comment: 'die change took long' });
      await h.production.ingest(TENANT, lineId, { detections: [{ detected_at: '2026-01-14T08:10:00Z', area_id: areas.output, product_id: products[0] }] });
      const after = await h.production.listDowntime(TENANT, lineId, { from: at('2026-01-14T07:00:00Z'), to: at('2026-01-14T09:00:00Z') });
      assert.deepEqual(after.map((event) => [event.start, event.end, event.reason, event.comment]), [
        ['2026-01-14T07:59:30.000Z', '2026-01-14T08:10:00.000Z', 'jam', 'die change took long'],
        ['2026-01-14T08:10:00.000Z', '2026-01-14T08:20:30.000Z', 'jam', 'die change took long'],
      ]);
      await h.production.classifyDowntime(TENANT, lineId, after[0]!.id!, { reason: null });
      await h.production.classifyDowntime(TENANT, lineId, after[1]!.id!, { reason: null });
      await assertDowntimeMatchesRaw(h, lineId);
      // The afternoon stop since the last output goes on: stored as ongoing, and still so once settled.
      const ongoing = (await h.production.listDowntime(TENANT, lineId, { from: at('2026-01-14T18:00:00Z'), to: at('2026-01-14T21:00:00Z') })).at(-1)!;
      assert.deepEqual([ongoing.start, ongoing.end, ongoing.duration_seconds], ['2026-01-14T18:59:30.000Z', null, null]);
      await h.production.settleDowntime(TENANT);
      const settled = (await h.production.listDowntime(TENANT, lineId, { from: at('2026-01-14T18:00:00Z'), to: at('2026-01-14T21:00:00Z') })).at(-1)!;
      assert.deepEqual(settled, ongoing);
    });

    it('writes a stop\'s classification and its settling to their own columns, so that neither undoes the other', async () => {
      // An operator may classify a stop while settling ends it (no lock is shared): each writes only its fields.
      const window = { from: at('2026-01-14T07:00:00Z'), to: at('2026-01-14T09:00:00Z') };
      const stop = (await h.production.listDowntime(TENANT, lineId, window))[0]!;
      const fields = (event: typeof stop) => [event.end, event.duration_seconds, event.category, event.reason, event.comment];
      const write = (changes: Parameters<ProductionRepo['updateDowntime']>[2]) => h.production.access.withPlant(TENANT, async (plant) => {
        const { downtime } = await lineTables(plant, await getLine(plant, lineId), h.clock.now);
        await plant.store.updateDowntime(downtime, stop.id!, changes, h.clock.now);
      });
      const stored = async () => (await h.production.listDowntime(TENANT, lineId, window)).find((event) => event.id === stop.id)!;
      await write({ category: 'planned', comment: 'feeder checked' });
      assert.deepEqual(fields(await stored()), [stop.end, stop.duration_seconds, 'planned', stop.reason, 'feeder checked']);
      await write({ end: Date.parse(stop.end!) + MIN, duration_seconds: stop.duration_seconds! + 60 });
      assert.deepEqual(fields(await stored()), [new Date(Date.parse(stop.end!) + MIN).toISOString(), stop.duration_seconds! + 60, 'planned', stop.reason, 'feeder checked']);
      await write({ end: Date.parse(stop.end!), duration_seconds: stop.duration_seconds!, category: stop.category, comment: stop.comment });
      assert.deepEqual(fields(await stored()), fields(stop));
    });

    it('answers OEE from rollups and stored events exactly as computeOee over the raw rows', async () => {
      await assertOeeMatchesRaw(h, lineId);
      const combined = await h.production.oee(TENANT, { from: at('2026-01-13T23:00:00Z'), to: at('2026-01-14T23:00:00Z'), group_by: 'day' });
      assert.equal(combined.line_id, null);
      await rejects(h.production.oee(TENANT, { line_id: lineId, from: 10, to: 5, group_by: 'day' }), 400, /to/);
    });

    it('tells the line state: stopped since its last output, then outside its shifts', async () => {
      const status = await h.production.lineStatus(TENANT, lineId);
      assert.equal(status.state, 'stopped');
      assert.equal(status.since, '2026-01-14T18:59:30.000Z');
      assert.equal(status.shift?.shift_name, 'Afternoon');
      assert.ok(status.today !== null && status.today.total_count > 0);
      h.clock.now = at('2026-01-14T21:30:00Z');
      await h.production.settleDowntime(TENANT);
      const later = await h.production.lineStatus(TENANT, lineId);
      assert.deepEqual([later.state, later.since], ['outside_shift', '2026-01-14T21:00:00.000Z']);
      const closed = (await h.production.listDowntime(TENANT, lineId, { from: at('2026-01-14T18:00:00Z'), to: at('2026-01-14T21:00:00Z') })).at(-1)!;
      assert.deepEqual([closed.end, closed.duration_seconds], ['2026-01-14T21:00:00.000Z', 7230]);
      await assertOeeMatchesRaw(h, lineId);
    });

    it('cuts day rollups again when the line changes time zone', async () => {
      await h.structure.updateLine(TENANT, lineId, { timezone: 'America/New_York' });
      await h.plants.use(TENANT, (db) => assertRollupsMatchRaw(db.kysely as Kysely<unknown>, h, lineId));
      await h.structure.updateLine(TENANT, lineId, { timezone: MADRID });
      await assertOeeMatchesRaw(h, lineId);
    });

    it('reports the embedded structure as verified', async () => {
      const report = await h.production.verify(TENANT);
      assert.equal(report.mode, 'embedded');
      assert.equal(report.dialect, 'sqlite');
      assert.ok(report.tables.every((table) => table.ok), JSON.stringify(report.tables));
      assert.deepEqual(report.tables.slice(0, 5).map((table) => [table.name, table.rows]), [['PRODUCTION_LINE', 2], ['AREA', 3], ['PRODUCT', 2], ['FILTER', 1], ['SHIFT', 2]]);
      assert.ok(report.tables.some((table) => table.name === 'DETECTION_LINE_press_1'));
    });

    it('shows the stop of a shift without any output before it is settled, and stores it when settled', async () => {
      const quiet = await h.structure.createLine(TENANT, { line_name: 'Quiet', line_code: 'quiet', ideal_cycle_seconds: 10 });
      const output = await h.structure.createArea(TENANT, { line_id: quiet.line_id, area_name: 'Out', area_type: 'output' });
      await h.production.ingest(TENANT, quiet.line_id, { detections: [{ detected_at: '2026-01-14T13:10:00Z', area_id: output.area_id }] });
      const window = { from: at('2026-01-14T05:00:00Z'), to: at('2026-01-14T21:00:00Z') };
      const shown = await h.production.listDowntime(TENANT, quiet.line_id, window);
      // Tracked since its first detection: the afternoon began at 13:00Z, so 10 minutes without output,
      // then a stop stored as ongoing, shown closed at the shift's end (21:00Z; it is now 21:30Z).
      const view = (events: Awaited<typeof shown>) => events.map((event) => [event.id === null, event.start, event.end]);
      assert.deepEqual(view(shown), [[false, '2026-01-14T13:00:00.000Z', '2026-01-14T13:10:00.000Z'], [false, '2026-01-14T13:10:00.000Z', '2026-01-14T21:00:00.000Z']]);
      // Next day's afternoon, no output at all: shown (not stored yet) until settled, then stored.
      h.clock.now = at('2026-01-15T14:00:00Z');
      const nextDay = { from: at('2026-01-15T05:00:00Z'), to: at('2026-01-15T21:00:00Z') };
      assert.deepEqual(view(await h.production.listDowntime(TENANT, quiet.line_id, nextDay)), [[true, '2026-01-15T13:00:00.000Z', null]]);
      await h.production.settleDowntime(TENANT);
      assert.deepEqual(view(await h.production.listDowntime(TENANT, quiet.line_id, nextDay)), [[false, '2026-01-15T13:00:00.000Z', null]]);
      assert.deepEqual(view(await h.production.listDowntime(TENANT, quiet.line_id, window)).at(-1), [false, '2026-01-14T13:10:00.000Z', '2026-01-14T21:00:00.000Z']);
      await h.structure.updateLine(TENANT, quiet.line_id, { is_active: false });
    });
  });
}

// --- a client's own database ----------------------------------------------------------------------

interface ClientDatabase {
  url: string;
  exec(statement: string): Promise<void>;
  query(statement: string): Promise<Record<string, unknown>[]>;
  /** The core tables' columns and types, to show they were not altered. */
  ddl(): Promise<string>;
  drop(): Promise<void>;
}

/** The client's plant structure in its own words: upper-case names, a line code column, TIME shifts, JSON filters. */
const CLIENT_FIXTURE = (dialect: 'postgres' | 'mysql') => {
  const id = dialect === 'postgres' ? 'SERIAL PRIMARY KEY' : 'INT AUTO_INCREMENT PRIMARY KEY';
  const json = dialect === 'postgres' ? 'JSONB' : 'JSON';
  return [
    `CREATE TABLE PRODUCTION_LINE (line_id ${id}, line_name VARCHAR(100) NOT NULL, line_code VARCHAR(32), is_active BOOLEAN NOT NULL DEFAULT TRUE, created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)`,
    `CREATE TABLE AREA (area_id ${id}, line_id INT NOT NULL, area_name VARCHAR(100) NOT NULL, area_type VARCHAR(20) NOT NULL, camera_ref VARCHAR(50))`,
    `CREATE TABLE PRODUCT (product_id ${id}, product_name VARCHAR(100) NOT NULL, product_code VARCHAR(50) NOT NULL)`,
    `CREATE TABLE FILTER (filter_id ${id}, filter_name VARCHAR(100) NOT NULL, filter_status BOOLEAN NOT NULL DEFAULT TRUE, default_value ${json}, additional_filter ${json})`,
    `CREATE TABLE SHIFT (shift_id ${id}, shift_name VARCHAR(50) NOT NULL, start_time TIME NOT NULL, end_time TIME NOT NULL, is_active BOOLEAN NOT NULL DEFAULT TRUE)`,
    `INSERT INTO PRODUCTION_LINE (line_name, line_code) VALUES ('Press line', 'PRESS_1'), ('Old line', NULL)`,
    `INSERT INTO AREA (line_id, area_name, area_type) VALUES (1, 'Infeed', 'input'), (1, 'Outfeed', 'output'), (1, 'Scrap', 'reject')`,
    `INSERT INTO PRODUCT (product_name, product_code) VALUES ('Bracket', 'BR-1'), ('Plate', 'PL-1')`,
    `INSERT INTO FILTER (filter_name, default_value, additional_filter) VALUES ('Date range', '{"days_back": 7}', '{"type": "daterange"}')`,
    `INSERT INTO SHIFT (shift_name, start_time, end_time) VALUES ('Morning', '06:00', '14:00'), ('Afternoon', '14:00', '22:00')`,
  ];
};

async function postgresClient(): Promise<ClientDatabase> {
  const database = await createPostgresDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    url: database.url,
    exec: async (statement) => void (await client.query(statement)),
    query: async (statement) => (await client.query(statement)).rows,
    ddl: async () => JSON.stringify((await client.query(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name IN ('production_line', 'area', 'product', 'filter', 'shift') ORDER BY table_name, ordinal_position`)).rows),
    drop: async () => {
      await client.end();
      await database.drop();
    },
  };
}

async function mysqlClient(): Promise<ClientDatabase> {
  const base = new URL(process.env.TEST_MYSQL_URL!);
  const name = `sentinel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await mysql.createConnection({ uri: base.toString() });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const connection = await mysql.createConnection({ uri: url.toString() });
  return {
    url: url.toString(),
    exec: async (statement) => void (await connection.query(statement)),
    query: async (statement) => (await connection.query(statement))[0] as Record<string, unknown>[],
    ddl: async () => JSON.stringify((await connection.query(`SHOW CREATE TABLE PRODUCTION_LINE`))[0]) + JSON.stringify((await connection.query(`SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('PRODUCTION_LINE', 'AREA', 'PRODUCT', 'FILTER', 'SHIFT') ORDER BY TABLE_NAME, ORDINAL_POSITION`))[0]),
    drop: async () => {
      await connection.query(`DROP DATABASE ${name}`);
      await connection.end();
    },
  };
}

const EXTERNAL = [
  { dialect: 'postgres' as const, create: postgresClient, skip: !process.env.TEST_DATABASE_URL, detectionTable: 'detection_line_press_1' },
  { dialect: 'mysql' as const, create: mysqlClient, skip: !process.env.TEST_MYSQL_URL, detectionTable: 'DETECTION_LINE_press_1' },
];

for (const external of EXTERNAL) {
  for (const platformDialect of dialects()) {
    describe(`production store: the client's own ${external.dialect} database (platform on ${platformDialect})`, { skip: external.skip }, () => {
      let client: ClientDatabase;
      let h: Harness;
      let ddlBefore: string;

      before(async () => {
        client = await external.create();
        for (const statement of CLIENT_FIXTURE(external.dialect)) await client.exec(statement);
        ddlBefore = await client.ddl();
        h = await harness(platformDialect, { mode: 'external', url: client.url });
      });
      after(async () => {
        await h?.close();
        await client?.drop();
      });

      it('verifies the structure table by table and reports what is missing', async () => {
        const report = await h.production.verify(TENANT);
        assert.deepEqual([report.mode, report.dialect], ['external', external.dialect]);
        assert.deepEqual(report.tables.map((table) => [table.name.toUpperCase(), table.ok, table.rows, table.missing_columns]), [
          ['PRODUCTION_LINE', true, 2, []], ['AREA', true, 3, []], ['PRODUCT', true, 2, []], ['FILTER', true, 1, []], ['SHIFT', true, 2, []],
        ]);

        const lacking = await external.create();
        try {
          await lacking.exec('CREATE TABLE PRODUCTION_LINE (line_id INT PRIMARY KEY, line_name VARCHAR(10))');
          const other = await harness('sqlite', { mode: 'external', url: lacking.url });
          const partial = await other.production.verify(TENANT);
          assert.deepEqual(partial.tables.map((table) => [table.name.toUpperCase(), table.ok, table.rows, table.missing_columns]), [
            ['PRODUCTION_LINE', false, 0, ['is_active']],
            ['AREA', false, null, ['area_id', 'line_id', 'area_name', 'area_type']],
            ['PRODUCT', false, null, ['product_id', 'product_name', 'product_code']],
            ['FILTER', false, null, ['filter_id', 'filter_name', 'filter_status', 'default_value', 'additional_filter']],
            ['SHIFT', false, null, ['shift_id', 'shift_name', 'start_time', 'end_time']],
          ]);
          await rejects(other.production.initTables(TENANT), 409, /verify report/);
          await other.close();
        } finally {
          await lacking.drop();
        }
      });

      it("reads the client's structure, refuses to write it (409), and keeps settings in the overlay", async () => {
        const lines = await h.structure.listLines(TENANT);
        assert.deepEqual(lines.map((line) => [line.line_id, line.line_code, line.is_active, line.timezone]), [[1, 'press_1', true, MADRID], [2, '2', true, MADRID]]);
        assert.deepEqual((await h.structure.listShifts(TENANT)).map((shift) => [shift.shift_name, shift.start_time, shift.end_time, shift.line_id]), [
          ['Morning', '06:00', '14:00', null], ['Afternoon', '14:00', '22:00', null],
        ]);
        assert.deepEqual((await h.structure.listFilters(TENANT))[0]!.default_value, { days_back: 7 });
        await rejects(h.structure.createLine(TENANT, { line_name: 'New' }), 409, /source of truth/);
        await rejects(h.structure.updateLine(TENANT, 1, { line_name: 'Renamed' }), 409, /source of truth/);
        await rejects(h.structure.createArea(TENANT, { line_id: 1, area_name: 'X', area_type: 'output' }), 409);
        await rejects(h.structure.updateProduct(TENANT, 1, { product_name: 'X' }), 409);
        await rejects(h.structure.createShift(TENANT, { shift_name: 'Night', start_time: '22:00', end_time: '06:00' }), 409);
        const line = await h.structure.updateLine(TENANT, 1, { ideal_cycle_seconds: 30, downtime_threshold_seconds: 300 });
        assert.equal(line.ideal_cycle_seconds, 30);
        assert.equal((await h.structure.updateProduct(TENANT, 1, { ideal_cycle_seconds: 20 })).ideal_cycle_seconds, 20);
        assert.equal((await h.structure.updateLine(TENANT, 2, { line_code: 'old_line' })).line_code, 'old_line');
      });

      it('creates only the line tables and its own, never altering the client tables', async () => {
        const { lines } = await h.production.initTables(TENANT);
        assert.deepEqual(lines.map((line) => line.detection_table.toLowerCase()), ['detection_line_press_1', 'detection_line_old_line']);
        await rejects(h.structure.updateLine(TENANT, 1, { line_code: 'press_x' }), 409, /cannot change/);
        assert.equal(await client.ddl(), ddlBefore);
      });

      it('ingests batches, reads what the client writes itself, and answers OEE exactly', async () => {
        h.clock.now = at('2026-01-14T20:00:00Z');
        const rows = dayOfDetections({ input: 1, output: 2, reject: 3 }, [1, 2]);
        const half = Math.floor(rows.length / 2);
        await rejects(h.production.ingest(TENANT, 1, { detections: rows.slice(0, 30).map((row, index) => (index === 17 ? { ...row, product_id: 99 } : row)) }), 400, /detections\[17\]\.product_id/);
        assert.deepEqual(await h.production.ingest(TENANT, 1, { batch_id: 'first-half', detections: rows.slice(0, half) }), { batch_id: 'first-half', accepted: half, duplicate: false });
        assert.equal((await h.production.ingest(TENANT, 1, { batch_id: 'first-half', detections: rows.slice(0, half) })).duplicate, true);

        // The client's own writer adds the second half straight into the table; a sync catches up.
        const table = external.detectionTable;
        for (let i = half; i < rows.length; i += 500) {
          const values = rows.slice(i, i + 500).map((row) => `('${row.detected_at.replace('T', ' ').replace('Z', '')}', ${row.area_id}, ${row.product_id ?? 'NULL'}, ${row.quantity ?? 1})`);
          const literal = external.dialect === 'postgres' ? values.map((value) => value.replace(/^\('([^']+)'/, "('$1Z'")) : values;
          await client.exec(`INSERT INTO ${table} (detected_at, area_id, product_id, quantity) VALUES ${literal.join(', ')}`);
        }
        assert.deepEqual(await h.production.syncDetections(TENANT), { read: rows.length - half + half });
        assert.deepEqual(await h.production.syncDetections(TENANT), { read: 0 });
        assert.equal((await allDetections(h.production, 1)).length, rows.length);
        await h.plants.use(TENANT, (db) => assertRollupsMatchRaw(db.kysely as Kysely<unknown>, h, 1));
        await assertDowntimeMatchesRaw(h, 1);
        await assertOeeMatchesRaw(h, 1);
        assert.equal(await client.ddl(), ddlBefore);
      });

      it('keeps monthly partitions ahead and drops those past the retention', async () => {
        h.clock.now = at('2026-01-14T20:00:00Z');
        await h.production.ingest(TENANT, 1, { detections: [{ detected_at: '2024-06-10T10:00:00Z', area_id: 1 }] });
        const [first] = await h.production.maintainPartitions(TENANT, { monthsAhead: 6 });
        assert.ok(first!.created.length >= 2, JSON.stringify(first));
        const [pruned] = await h.production.maintainPartitions(TENANT, { monthsAhead: 6, retentionMonths: 12 });
        // PostgreSQL drops the month's partition; MySQL took the backfilled row in p_before and deletes it there.
        assert.ok(pruned!.dropped.length + pruned!.deleted_rows >= 1, JSON.stringify(pruned));
        const remaining = await allDetections(h.production, 1);
        assert.ok(remaining.every((row) => row.detected_at >= '2025-01-01'));
        // What the dropped rows counted stays in the rollups.
        const kept = await h.plants.use(TENANT, (db) => sql<{ quantity: unknown }>`SELECT SUM(quantity) AS quantity FROM sentinel_rollup_day
          WHERE line_id = 1 AND bucket_start < ${at('2024-07-01T00:00:00Z')}`.execute(db.kysely));
        assert.equal(Number(kept.rows[0]!.quantity), 1);
      });
    });
  }
}
