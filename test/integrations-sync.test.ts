import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJobDriver } from '../src/platform/jobs/job-driver.ts';
import { nextSyncDelayMs } from '../src/modules/integrations/sync.service.ts';
import { startSyncWorker } from '../src/modules/integrations/sync-worker-client.ts';
import { startPaloAltoSimulator, type PaloAltoSimulator } from './simulators/paloalto.ts';
import { makeIntegration } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('integration sync', { tenants: 'Sync', roles: ['ADMIN'] }, (ctx) => {
  let sim: PaloAltoSimulator;
  let integrationId: string;

  const alerts = () => ctx.server.db.kysely.selectFrom('alerts').selectAll().where('integration_id', '=', integrationId).orderBy('external_id').execute();

  before(async () => {
    sim = await startPaloAltoSimulator({ jobPollsBeforeFin: 1 });
    integrationId = (await makeIntegration(ctx.server, ctx.a.admin.token, {
      name: 'Edge firewall', type: 'paloalto', config: { url: sim.url, poll_interval_seconds: 60 }, secret: sim.credentials, enabled: true,
    })).id;
  });
  after(() => sim.close());

  it('test checks reachability and credentials', async () => {
    const ok = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/test`, undefined, ctx.a.admin.token);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.ok, true, ok.text);
    assert.ok(ok.body.latency_ms >= 0);
    assert.match(ok.body.detail, /fw01|PA-/);
  });

  it('sync writes the system, its asset and the alerts, normalised', async () => {
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    assert.equal(outcome.status, 200, outcome.text);
    assert.equal(outcome.body.status, 'success', outcome.text);
    assert.equal(outcome.body.systems, 1);
    assert.equal(outcome.body.assets, 1);
    assert.ok(outcome.body.alerts > 0);
    const system = await ctx.server.db.kysely.selectFrom('systems').selectAll().where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
    assert.equal(system.vendor_status, 'online');
    assert.equal(system.name, 'Edge firewall');
    assert.ok((system.uptime_seconds ?? 0) > 0);
    const assets = await ctx.server.db.kysely.selectFrom('assets').selectAll().where('system_id', '=', system.id).execute();
    assert.equal(assets.length, 1);
    assert.equal(assets[0]!.kind, 'firewall');
    const rows = await alerts();
    assert.equal(rows.length, outcome.body.alerts);
    const severities = new Set(rows.map((r) => r.severity));
    for (const severity of severities) assert.ok(['critical', 'high', 'medium', 'low', 'info'].includes(severity));
    assert.ok(severities.has('critical'), 'the simulator reports critical threats');
    assert.deepEqual([system.status, system.status_set_by], ['alert', 'open_alerts'], 'open critical threats make a healthy firewall `alert`');
    assert.ok(rows.every((r) => r.status === 'active' && r.occurrences === 1 && r.tenant_id === ctx.a.id && r.system_id === system.id));
    const integration = await ctx.server.api.get(`/api/v1/integrations/${integrationId}`, ctx.a.admin.token);
    assert.equal(integration.body.last_sync_status, 'success');
    assert.equal(integration.body.last_error, null);
  });

  it('a second sync deduplicates; a new threat adds exactly one alert; old events are not resolved', async () => {
    const before = await alerts();
    sim.addThreat({ severity: 'critical', threatid: 'Brand New Exploit Attempt' });
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    assert.equal(outcome.body.status, 'success');
    const after = await alerts();
    assert.equal(after.length, before.length + 1);
    const added = after.find((r) => r.title.includes('Brand New Exploit Attempt'));
    assert.ok(added);
    assert.equal(added.severity, 'critical');
    assert.ok(after.every((r) => r.status === 'active'), 'threat logs are events: older ones are not resolved by their absence');
    assert.equal(new Set(after.map((r) => r.external_id)).size, after.length);
  });

  it('a vendor failure marks the system alert, keeps the alerts, and opens the breaker after repeated failures', async () => {
    const count = (await alerts()).length;
    sim.faults.status = { code: 500, count: 1000 };
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    sim.faults.status = undefined;
    assert.equal(outcome.body.status, 'error');
    assert.match(outcome.body.error, /vendor_error/);
    const system = await ctx.server.db.kysely.selectFrom('systems').selectAll().where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
    assert.equal(system.status, 'alert');
    assert.match(system.status_summary ?? '', /sync failed/);
    assert.equal((await alerts()).length, count);
    const recovered = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    assert.equal(recovered.body.status, 'success');
    const back = await ctx.server.db.kysely.selectFrom('systems').select(['status', 'vendor_status']).where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
    assert.deepEqual([back.vendor_status, back.status], ['online', 'alert'], 'healthy again; the open threats still make it alert');
    const runs = await ctx.server.db.kysely.selectFrom('job_runs').select('status').where('subject_id', '=', integrationId).orderBy('id').execute();
    assert.deepEqual(runs.map((r) => r.status).slice(-2), ['error', 'success']);
  });

  it('the background scheduler syncs due integrations through the job driver', async () => {
    const runsBefore = (await ctx.server.db.kysely.selectFrom('job_runs').select('id').where('subject_id', '=', integrationId).execute()).length;
    await ctx.server.db.kysely.updateTable('integrations').set({ next_sync_at: Date.now() - 1 }).where('id', '=', integrationId).execute();
    const jobs = createLocalJobDriver({ error: () => undefined });
    ctx.server.services.sync.schedule(jobs);
    jobs.start();
    try {
      let runs = runsBefore;
      for (let i = 0; i < 100 && runs === runsBefore; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        runs = (await ctx.server.db.kysely.selectFrom('job_runs').select('id').where('subject_id', '=', integrationId).execute()).length;
      }
      assert.equal(runs, runsBefore + 1, 'exactly one scheduled sync ran');
    } finally {
      await jobs.stop();
    }
    const integration = await ctx.server.db.kysely.selectFrom('integrations').select(['next_sync_at', 'last_sync_at']).where('id', '=', integrationId).executeTakeFirstOrThrow();
    assert.ok(integration.next_sync_at! > Date.now() + 50_000, 'the next sync is about one interval away');
  });

  it('the sync worker thread (as `serve` runs it) syncs due integrations and runs "sync now" requests', async () => {
    const errors: string[] = [];
    const worker = startSyncWorker(ctx.server.config, ctx.server.secretKey, { error: (_obj, msg) => errors.push(msg) }, ctx.server.services.bus);
    try {
      const runs = async () => (await ctx.server.db.kysely.selectFrom('job_runs').select('id').where('subject_id', '=', integrationId).execute()).length;
      const before = await runs();
      await ctx.server.db.kysely.updateTable('integrations').set({ next_sync_at: Date.now() - 1 }).where('id', '=', integrationId).execute();
      for (let i = 0; i < 150 && (await runs()) === before; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await runs(), before + 1, 'the worker\'s scheduler ran the due sync');
      const row = await ctx.server.db.kysely.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirstOrThrow();
      const outcome = await worker.syncNow(row);
      assert.equal(outcome.status, 'success');
      assert.equal(await runs(), before + 2);
      await assert.rejects(worker.syncNow({ ...row, id: '01900000-0000-7000-8000-000000000000' }), /not found/);
    } finally {
      await worker.stop();
    }
    assert.deepEqual(errors, []);
  });
});

describe('sync scheduling', () => {
  it('adds ±10% jitter and backs off exponentially after three failures, capped at 15 minutes', () => {
    assert.equal(nextSyncDelayMs(60, 0, 0.5), 60_000);
    assert.equal(nextSyncDelayMs(60, 0, 0), 54_000);
    assert.equal(nextSyncDelayMs(60, 0, 1), 66_000);
    assert.equal(nextSyncDelayMs(60, 2, 0.5), 60_000);
    assert.equal(nextSyncDelayMs(60, 3, 0.5), 120_000);
    assert.equal(nextSyncDelayMs(60, 4, 0.5), 240_000);
    assert.equal(nextSyncDelayMs(60, 20, 0.5), 900_000);
    assert.equal(nextSyncDelayMs(3600, 20, 0.5), 3_600_000, 'never shorter than the interval itself');
  });

  it('the local job driver deduplicates by key and bounds concurrency', async () => {
    const jobs = createLocalJobDriver({ error: () => undefined });
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    jobs.register<number>('q', async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      done.push(n);
    }, { concurrency: 2 });
    assert.equal(jobs.enqueue('q', 1, { key: 'a' }), true);
    assert.equal(jobs.enqueue('q', 2, { key: 'a' }), false, 'same key while waiting');
    for (let n = 3; n <= 6; n++) jobs.enqueue('q', n);
    jobs.start();
    while (done.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(peak, 2);
    assert.deepEqual(done.sort(), [1, 3, 4, 5, 6]);
    await jobs.stop();
    assert.equal(jobs.enqueue('q', 7), false, 'a stopped driver takes no work');
  });
});
