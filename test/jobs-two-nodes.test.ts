// Two `sentinel serve` processes on one platform database run each scheduled slot once
// (docs/requirements.md, PLT-16): on SQLite (two processes on one data directory, the local
// driver) and on PostgreSQL (two nodes with their own data directories, the pg-boss driver). The
// backup job runs every minute here; one slot, one run, one archive.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from '../src/platform/db/database.ts';
import { ADMIN_PASSWORD, createServerDatabase, dialects } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';

const SECRET = 'two-nodes-share-this-secret-key-0123456789';

for (const dialect of dialects()) {
  describe(`scheduled jobs on two processes (${dialect})`, () => {
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    let dropDatabase: (() => Promise<void>) | undefined;
    after(async () => {
      for (const child of children) child.kill('SIGKILL');
      await dropDatabase?.();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('runs each minute\'s backup once, and a run request once', { timeout: 180_000 }, async () => {
      const database = await createServerDatabase(dialect);
      dropDatabase = database?.drop;
      const shared = mkdtempSync(path.join(tmpdir(), 'sentinel-two-nodes-'));
      dirs.push(shared);
      const env = (node: number) => ({
        SENTINEL_DATA_DIR: database === undefined ? shared : path.join(shared, `node${node}`),
        SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD, SENTINEL_SECRET_KEY: SECRET, SENTINEL_SYNC: 'on', SENTINEL_BACKUP_CRON: '* * * * *',
        // On MySQL two nodes share the local driver's job slots; pg-boss is PostgreSQL's.
        ...(database !== undefined ? { DATABASE_URL: database.url } : {}),
        ...(dialect === 'postgres' ? { SENTINEL_JOBS: 'pg-boss' } : {}),
      });
      const nodes = [];
      for (const node of [1, 2]) {
        nodes.push(await startServerProcess(env(node)));
        children.push(nodes.at(-1)!.child);
      }
      const db = openDatabase({ dataDir: shared, databaseUrl: database?.url });
      try {
        const token = await nodes[0]!.api.adminToken();
        const requested = await nodes[0]!.api.post('/api/v1/jobs/retention/run', {}, token);
        assert.equal(requested.status, 202, requested.text);

        const runs = async (job: string) => (await db.kysely.selectFrom('job_runs').selectAll().where('job', '=', job).execute())
          .map((run) => ({ ...run, detail: JSON.parse(run.detail ?? '{}') as { slot: number; trigger: string; node: string } }));
        for (const deadline = Date.now() + 150_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
          const backups = await runs('backup');
          if (backups.some((run) => run.status === 'success') && (await runs('retention')).length > 0) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 3_000));

        const backups = await runs('backup');
        assert.ok(backups.some((run) => run.status === 'success'), `a backup ran: ${JSON.stringify(backups)}`);
        const slots = backups.map((run) => run.detail.slot);
        assert.equal(new Set(slots).size, slots.length, `one run per slot: ${JSON.stringify(backups.map((run) => run.detail))}`);
        const archives = [shared, path.join(shared, 'node1'), path.join(shared, 'node2')].map((dir) => path.join(dir, 'backups'))
          .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.tar.gz')) : []));
        assert.equal(archives.length, backups.filter((run) => run.status === 'success').length, `one archive per run: ${archives.join(', ')}`);
        const retention = await runs('retention');
        assert.equal(retention.length, 1, 'the request ran on one node');
        assert.equal(retention[0]!.detail.trigger, 'manual');
      } finally {
        await db.close();
      }
    });
  });
}
