// Live production events (docs/requirements.md, PRD-5) on a real WebSocket: a line that goes
// silent past its threshold during a shift is announced stopped without a new detection, a
// detection announces it started again, and another tenant hears none of it. Thresholds are real
// and short (2 s); the line works two shifts that cover the whole day.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { PLANT_MIGRATIONS } from '../src/migrations/plant/index.ts';
import { createPlantRegistry, type PlantRegistry } from '../src/platform/db/plant-registry.ts';
import { createLineWatch, type LineWatch } from '../src/modules/production/line-watch.ts';
import { createPlantTenants } from '../src/modules/production/plant-tenants.ts';
import { createProductionService, type ProductionService } from '../src/modules/production/production.service.ts';
import { createStructureService, type StructureService } from '../src/modules/production/structure.service.ts';
import { forEachDialect } from './helpers/suite.ts';
import { connectLive as connect } from './helpers/live-client.ts';

forEachDialect('production live events', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Plant', roles: ['VIEWER'] }, (ctx) => {
  let plants: PlantRegistry;
  let production: ProductionService;
  let structure: StructureService;
  let watch: LineWatch;
  let lineId: number;
  let outputArea: number;

  before(async () => {
    const { server } = ctx;
    plants = createPlantRegistry({ dataDir: server.config.dataDir, maxOpen: 4, idleMs: 60_000, migrations: PLANT_MIGRATIONS, resolveSource: async () => ({ mode: 'embedded' }) });
    production = createProductionService({ plants, platform: server.db.kysely, tenantTimeZone: async () => 'UTC' });
    structure = createStructureService(production.access);
    const line = await structure.createLine(ctx.a.id, { line_name: 'Press', line_code: 'press', downtime_threshold_seconds: 2 });
    lineId = line.line_id;
    outputArea = (await structure.createArea(ctx.a.id, { line_id: lineId, area_name: 'Out', area_type: 'output' })).area_id;
    await structure.createShift(ctx.a.id, { shift_name: 'Day', start_time: '00:00', end_time: '12:00', line_id: lineId });
    await structure.createShift(ctx.a.id, { shift_name: 'Night', start_time: '12:00', end_time: '00:00', line_id: lineId });
    // A tenant of the same plant directory without production: never given a plant database.
    const plantTenants = createPlantTenants({ platform: server.db.kysely, dataDir: server.config.dataDir });
    assert.deepEqual((await plantTenants()).map((t) => t.tenantId), [ctx.a.id]);
    watch = createLineWatch({ production, bus: server.services.bus, plantTenants });
    await watch.start();
  });
  after(async () => {
    watch?.stop();
    await plants?.close();
  });

  async function detect(at: number): Promise<void> {
    await production.ingest(ctx.a.id, lineId, { detections: [{ detected_at: new Date(at).toISOString(), area_id: outputArea }] });
    watch.noteOutput(ctx.a.id, lineId, at);
  }

  it('announces a silent line stopped within threshold + 5 s, and started at its next detection; tenant B hears none of it', async () => {
    const a = await connect(ctx.server, ctx.a.viewer.token);
    const b = await connect(ctx.server, ctx.b.viewer.token);
    try {
      const lastOutput = Date.now();
      await detect(lastOutput);
      const stopped = await a.waitFor((e) => e.type === 'line.stopped', 2_000 + 5_000 + 1_000);
      const heardAt = Date.now();
      assert.ok(heardAt - lastOutput <= 2_000 + 5_000, `heard ${heardAt - lastOutput} ms after the last output`);
      assert.ok(heardAt - lastOutput >= 2_000, 'not before the threshold');
      assert.equal(stopped.tenant_id, ctx.a.id);
      assert.equal(stopped.line_id, lineId);
      assert.equal(stopped.since, new Date(lastOutput).toISOString());
      await a.waitFor((e) => e.type === 'downtime.updated' && e.end === null, 1_000);
      // Stopped once: no repeat while it stays silent.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(a.events.filter((e) => e.type === 'line.stopped').length, 1);

      await detect(Date.now());
      const started = await a.waitFor((e) => e.type === 'line.started', 2_000);
      assert.equal(started.line_id, lineId);
      await a.waitFor((e) => e.type === 'downtime.updated' && e.end !== null, 1_000);
      const status = await production.lineStatus(ctx.a.id, lineId);
      assert.equal(status.state, 'running');

      // Silent again: stopped again.
      await a.waitFor((e) => e.type === 'line.stopped' && e !== stopped, 2_000 + 5_000 + 1_000);
      assert.deepEqual(b.events.map((e) => e.type), ['hello'], 'tenant B heard nothing of tenant A');
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it('keeps a second node\'s view in step: a line another node announced started is running there too, and its next stop is announced there', async () => {
    const lathe = await structure.createLine(ctx.a.id, { line_name: 'Lathe', line_code: 'lathe', downtime_threshold_seconds: 2 });
    const latheOutput = (await structure.createArea(ctx.a.id, { line_id: lathe.line_id, area_name: 'Out', area_type: 'output' })).area_id;
    for (const [name, start, end] of [['Day', '00:00', '12:00'], ['Night', '12:00', '00:00']] as const) await structure.createShift(ctx.a.id, { shift_name: name, start_time: start, end_time: end, line_id: lathe.line_id });
    const detectOnFirstNode = async (at: number) => {
      await production.ingest(ctx.a.id, lathe.line_id, { detections: [{ detected_at: new Date(at).toISOString(), area_id: latheOutput }] });
      watch.noteOutput(ctx.a.id, lathe.line_id, at);
    };
    const bus = ctx.server.services.bus;
    const firstNode: Record<string, unknown>[] = [];
    const unsubscribe = bus.subscribe(ctx.a.id, (event) => firstNode.push(event));
    await detectOnFirstNode(Date.now());
    // The second node's watch: what it derives itself stays with it; what any node sends everywhere reaches it.
    const secondNode: Record<string, unknown>[] = [];
    const second = createLineWatch({
      production, plantTenants: async () => [{ tenantId: ctx.a.id, mode: 'embedded' }],
      bus: { subscribe: bus.subscribe, publish: (event, reach) => (reach === 'this-node' ? secondNode.push(event) : bus.publish(event, reach)) },
    });
    await second.start();
    try {
      const stopsSeenBySecond = () => secondNode.filter((e) => e.type === 'line.stopped' && e.line_id === lathe.line_id).length;
      const waitFor = async (what: string, done: () => boolean, ms: number) => {
        for (const deadline = Date.now() + ms; !done();) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await waitFor('both nodes to see the stop', () => stopsSeenBySecond() === 1 && firstNode.some((e) => e.type === 'line.stopped' && e.line_id === lathe.line_id), 2_000 + 5_000 + 1_000);
      // Output stored through the first node only: it announces the start to every node.
      await detectOnFirstNode(Date.now());
      assert.ok(firstNode.some((e) => e.type === 'line.started' && e.line_id === lathe.line_id));
      // Silent again: the second node counts it running since, so it sees the new stop too.
      await waitFor('the second node to see the next stop', () => stopsSeenBySecond() === 2, 2_000 + 5_000 + 1_000);
    } finally {
      second.stop();
      unsubscribe();
    }
  });
});
