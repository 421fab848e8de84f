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
});
