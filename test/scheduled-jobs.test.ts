// Scheduled jobs (docs/requirements.md, PLT-16): each cron slot runs once across nodes sharing the
// platform database (two drivers, each with its own connection, stand for two nodes), a failed
// attempt is retried, "run now" requests are taken by one node, and GET /jobs shows schedules,
// runs, durations and errors by scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Db } from '../src/platform/db/database.ts';
import { createLocalJobDriver, type JobDriver } from '../src/platform/jobs/job-driver.ts';
import { createPgBossJobDriver } from '../src/platform/jobs/pg-boss-driver.ts';
import type { JobRunContext } from '../src/platform/jobs/scheduled.ts';
import { createJobsRepo } from '../src/modules/operations/jobs.repo.ts';
import { jobContext, MODULES } from '../src/modules/index.ts';
import { jobsCommand } from '../src/modules/operations/jobs.cli.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';
import { setupTenants, type TestTenants } from './helpers/suite.ts';

const quiet = { error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    const found = await probe();
    if (found !== undefined) return found;
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const dialect of dialects()) {
  describe(`scheduled jobs, local driver on two nodes (${dialect})`, () => {
    let server: TestServer;
    let second: Db;
    let tenants: TestTenants;
    const drivers: JobDriver[] = [];

    before(async () => {
      server = await startServer(dialect);
      second = openDatabase(server.config);
      tenants = await setupTenants(server, 'Jobs', ['ADMIN', 'VIEWER']);
    });
    after(async () => {
      for (const driver of drivers) await driver.stop(1000);
      await second.close();
      await server.close();
    });

    function node(db: Db): JobDriver {
      const driver = createLocalJobDriver(quiet, { ledger: createJobsRepo(db.kysely).ledger, pollMs: 50 });
      drivers.push(driver);
      return driver;
    }

    it('joins a run request still waiting instead of queueing another', async () => {
      const repo = createJobsRepo(server.db.kysely);
      const first = await repo.requestRun('nobody-runs-this', tenants.a.id, 'test', Date.now());
      assert.deepEqual(await repo.requestRun('nobody-runs-this', tenants.a.id, 'test', Date.now() + 5), first);
      assert.notEqual((await repo.requestRun('nobody-runs-this', null, 'test', Date.now())).id, first.id, 'another scope is another request');
    });

    it('sentinel jobs run-due (cron on hosts without a resident worker) runs each latest slot once', async () => {
      const quietConsole = console.log;
      console.log = () => undefined;
      try {
        await jobsCommand(server.config, server.services, server.db, 'run-due', undefined);
        await jobsCommand(server.config, server.services, server.db, 'run-due', undefined);
      } finally {
        console.log = quietConsole;
      }
      const runs = await server.db.kysely.selectFrom('job_runs').select(['job', 'status']).where('job', 'in', ['backup', 'retention']).orderBy('job').execute();
      assert.deepEqual(runs, [{ job: 'backup', status: 'success' }, { job: 'retention', status: 'success' }]);
      assert.equal(server.services.backups.list().length, 1);
    });

    it('runs every slot once across two nodes, and retries a failed attempt', async () => {
      const ran: { node: number; slot: number }[] = [];
      const attempts = new Map<number, number>();
      for (const [index, db] of [server.db, second].entries()) {
        const driver = node(db);
        driver.schedule({ name: 'every-second', description: 'test', cron: '* * * * * *', retries: 0, run: async ({ slot }) => void ran.push({ node: index, slot }) });
        driver.schedule({
          name: 'flaky', description: 'fails its first attempt of each slot', cron: '*/2 * * * * *', retries: 2, retryDelayMs: 20,
          run: async ({ slot }: JobRunContext) => {
            attempts.set(slot, (attempts.get(slot) ?? 0) + 1);
            if (attempts.get(slot) === 1) throw new Error('first attempt fails');
            return { slot };
          },
        });
        driver.start();
      }
      await sleep(4_500);
      // Stopping drops a retry still to come, so the attempts are judged at a moment when no slot is
      // between its failure and its retry (one comes every 2 s; a retry 20 ms after its failure).
      const settled = await waitFor('every begun slot to be retried', async () =>
        [...attempts.values()].every((count) => count >= 2) ? new Map(attempts) : undefined, 5_000);
      for (const driver of drivers.splice(0)) await driver.stop(2000);

      const slots = ran.map((run) => run.slot);
      assert.ok(slots.length >= 3, `ran ${slots.length} slots`);
      assert.equal(new Set(slots).size, slots.length, `each slot once: ${JSON.stringify(ran)}`);
      assert.ok(settled.size >= 1, `${settled.size} flaky slots`);
      for (const [slot, count] of settled) assert.equal(count, 2, `slot ${slot}: one failure, then one success`);
      const flakyRuns = await server.db.kysely.selectFrom('job_runs').selectAll().where('job', '=', 'flaky').orderBy('id').execute();
      assert.ok(flakyRuns.length >= 2);
      assert.deepEqual(new Set(flakyRuns.map((run) => run.status)), new Set(['error', 'success']));
      const failed = flakyRuns.find((run) => run.status === 'error')!;
      assert.equal(JSON.parse(failed.detail!).error, 'first attempt fails');
      assert.ok(flakyRuns.every((run) => run.duration_ms !== null && run.finished_at !== null));
    });

    it('holds a job for one owner at a time: renewed by its holder, taken over once expired, let go by its holder only', async () => {
      const ledger = createJobsRepo(server.db.kysely).ledger;
      const other = createJobsRepo(second.kysely).ledger;
      const now = Date.now();
      assert.equal(await ledger.lease('lease-test', 'node-a', now, now + 60_000), true);
      assert.equal(await other.lease('lease-test', 'node-b', now, now + 60_000), false, 'held by another owner');
      assert.equal(await ledger.lease('lease-test', 'node-a', now + 1, now + 60_001), true, 'renewed by its holder');
      await other.release('lease-test', 'node-b');
      assert.equal(await other.lease('lease-test', 'node-b', now + 2, now + 60_002), false, 'another owner cannot let it go');
      assert.equal(await other.lease('lease-test', 'node-b', now + 60_001, now + 120_000), true, 'taken over once expired');
      assert.equal(await ledger.lease('lease-test', 'node-a', now + 60_002, now + 120_000), false, 'and the old holder has lost it');
      assert.equal(await ledger.renew('lease-test', 'node-a', now + 130_000), false, 'nor can it renew it');
      assert.equal(await other.renew('lease-test', 'node-b', now + 130_000), true, 'its holder can');
      await other.release('lease-test', 'node-b');
      assert.equal(await other.renew('lease-test', 'node-b', now + 140_000), false, 'a renewal after the release brings nothing back');
      assert.equal(await ledger.lease('lease-test', 'node-a', now + 60_003, now + 120_000), true, 'free once let go');
      await ledger.release('lease-test', 'node-a');
    });

    it('starts no slot of a job while a run of it goes on, on either node', async () => {
      const running = new Set<number>();
      const runs: { node: number; slot: number; overlapped: boolean }[] = [];
      for (const [index, db] of [server.db, second].entries()) {
        const driver = node(db);
        // Every second, each run taking 2.5 s: without the job's lease the other node starts the next slots beside it.
        driver.schedule({
          name: 'outlives-its-slot', description: 'test', cron: '* * * * * *', retries: 0,
          run: async ({ slot }) => {
            runs.push({ node: index, slot, overlapped: running.size > 0 });
            running.add(slot);
            await sleep(2_500);
            running.delete(slot);
          },
        });
        driver.start();
      }
      await sleep(6_000);
      for (const driver of drivers.splice(0)) await driver.stop(3000);
      assert.ok(runs.length >= 2, `ran ${runs.length} times: ${JSON.stringify(runs)}`);
      assert.ok(runs.length <= 3, `at most one run at a time: ${JSON.stringify(runs)}`);
      assert.deepEqual(runs.filter((run) => run.overlapped), [], 'no run began while another was under way');
      assert.equal((await server.db.kysely.selectFrom('job_leases').select('job').where('job', '=', 'outlives-its-slot').execute()).length, 0, 'the last run let the job go');
    });

    it('sentinel jobs run-due skips a job another run holds, and says so', async () => {
      const ledger = createJobsRepo(second.kysely).ledger;
      const now = Date.now();
      assert.equal(await ledger.lease('backup', 'a-long-backup', now, now + 60_000), true);
      const printed: string[] = [];
      const quietConsole = console.log;
      console.log = (line: string) => void printed.push(line);
      const before = (await server.db.kysely.selectFrom('job_runs').select('id').where('job', '=', 'backup').execute()).length;
      // A slot of its own: the earlier run-due test ran the current one.
      await server.db.kysely.deleteFrom('job_slots').where('job', '=', 'backup').execute();
      try {
        await jobsCommand(server.config, server.services, server.db, 'run-due', undefined);
      } finally {
        console.log = quietConsole;
        await ledger.release('backup', 'a-long-backup');
      }
      assert.ok(printed.includes('backup: skipped, a run of it is under way'), printed.join('\n'));
      assert.equal((await server.db.kysely.selectFrom('job_runs').select('id').where('job', '=', 'backup').execute()).length, before, 'no backup run started');
    });

    it('lists jobs by scope and runs one on request, on one node only', async () => {
      // Both nodes run the application's own jobs (backup, retention).
      for (const db of [server.db, second]) {
        const driver = node(db);
        const context = jobContext({ ...server.services, jobsRepo: createJobsRepo(db.kysely) }, server.config, db);
        for (const module of MODULES) if (module.name === 'operations') module.jobs!(context, driver);
        driver.start();
      }
      const { api } = server;
      const platform = await waitFor('the definitions', async () => {
        const response = await api.get('/api/v1/jobs', tenants.superAdmin);
        return response.body.items?.some((job: { name: string }) => job.name === 'backup') ? response : undefined;
      });
      assert.equal(platform.status, 200);
      const backup = platform.body.items.find((job: { name: string }) => job.name === 'backup');
      assert.equal(backup.schedule, '0 */6 * * *');
      assert.equal(backup.scope, 'platform');
      assert.ok(Date.parse(backup.next_run_at) > Date.now());

      // A tenant ADMIN sees the jobs it may run for itself, not the platform's backups; a VIEWER nothing.
      const mine = await api.get('/api/v1/jobs', tenants.a.admin.token);
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((job: { name: string }) => job.name), ['retention']);
      assert.equal((await api.get('/api/v1/jobs', tenants.a.viewer.token)).status, 403);
      assert.equal((await api.post('/api/v1/jobs/backup/run', {}, tenants.a.admin.token)).status, 404);
      assert.equal((await api.post('/api/v1/jobs/no-such-job/run', {}, tenants.superAdmin)).status, 404);
      const bad = await api.post('/api/v1/jobs/..%2Fetc/run', {}, tenants.superAdmin);
      assert.equal(bad.status, 400, bad.text);

      const requested = await api.post('/api/v1/jobs/retention/run', {}, tenants.a.admin.token);
      assert.equal(requested.status, 202, requested.text);
      assert.equal(requested.body.scope, 'tenant');
      const run = await waitFor('the tenant\'s run', async () => {
        const response = await api.get('/api/v1/jobs', tenants.a.admin.token);
        const last = response.body.items[0].last_run;
        return last?.status === 'success' ? last : undefined;
      });
      assert.equal(run.trigger, 'manual');
      assert.match(run.node, /:\d+$/);
      assert.equal(typeof run.duration_ms, 'number');
      assert.equal(typeof run.report.removed['jobs.runs'], 'number');
      await sleep(500);
      const runs = await server.db.kysely.selectFrom('job_runs').select('id').where('job', '=', 'retention').where('tenant_id', '=', tenants.a.id).execute();
      assert.equal(runs.length, 1, 'the request ran on one node only');
      // The other tenant sees none of it.
      const theirs = await api.get('/api/v1/jobs', tenants.b.admin.token);
      assert.equal(theirs.body.items[0].last_run, null);
    });
  });
}

if (process.env.TEST_DATABASE_URL) {
  describe('scheduled jobs, pg-boss driver on two nodes (postgres)', () => {
    let server: TestServer;
    let second: Db;
    const drivers: JobDriver[] = [];

    before(async () => {
      server = await startServer('postgres');
      second = openDatabase(server.config);
    });
    after(async () => {
      for (const driver of drivers) await driver.stop(2000);
      await second.close();
      await server.close();
    });

    it('creates one job per cron occurrence across nodes and runs it once', { timeout: 150_000 }, async () => {
      const ran: { node: number; slot: number; trigger: string }[] = [];
      for (const [index, db] of [server.db, second].entries()) {
        const driver = createPgBossJobDriver({ connectionString: server.config.databaseUrl!, ledger: createJobsRepo(db.kysely).ledger, log: quiet, pollingIntervalSeconds: 0.5, pollMs: 100 });
        driver.schedule({ name: 'every-minute', description: 'test', cron: '* * * * *', run: async ({ slot, trigger }) => void ran.push({ node: index, slot, trigger }) });
        driver.start();
        drivers.push(driver);
      }
      const first = await waitFor('a scheduled run', async () => ran.find((run) => run.trigger === 'schedule'), 120_000);
      assert.equal(first.slot % 60_000, 0, 'the slot is the minute');
      await createJobsRepo(server.db.kysely).requestRun('every-minute', null, 'test', Date.now());
      await waitFor('the manual run', async () => ran.find((run) => run.trigger === 'manual'));
      await sleep(3_000);
      const scheduled = ran.filter((run) => run.trigger === 'schedule').map((run) => run.slot);
      assert.equal(new Set(scheduled).size, scheduled.length, `each minute once: ${JSON.stringify(ran)}`);
      assert.equal(ran.filter((run) => run.trigger === 'manual').length, 1);
      const recorded = await server.db.kysely.selectFrom('job_runs').selectAll().where('job', '=', 'every-minute').execute();
      assert.equal(recorded.length, ran.length);
      assert.ok(recorded.every((run) => run.status === 'success'));
    });
  });
}
