import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../src/platform/db/database.ts';
import { ADMIN_PASSWORD, ApiClient, createPostgresDatabase, dialects } from './helpers/harness.ts';

const BIN = new URL('../bin/sentinel.js', import.meta.url).pathname;
const WRITERS = 24;
const KILL_AFTER_MS = [400, 900, 1500];

/** Starts `sentinel serve` on a free port and resolves once it answers /health. */
async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; api: ApiClient }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(port), SENTINEL_SYNC: 'off', SENTINEL_RATE_LIMIT_PER_MINUTE: '1000000', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const api = new ApiClient(`http://127.0.0.1:${port}`);
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    try {
      if ((await fetch(`${api.baseUrl}/health`)).ok) return { child, api };
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('sentinel did not start');
}

for (const dialect of dialects()) {
  describe(`a write and its audit entry are one (${dialect})`, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let dropDatabase: (() => Promise<void>) | undefined;

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-kill-'));
      env = { SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD };
      if (dialect === 'postgres') {
        const database = await createPostgresDatabase();
        env.DATABASE_URL = database.url;
        dropDatabase = database.drop;
      }
    });
    after(async () => {
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('leaves no stored ticket without its ticket.create audit row after kill -9 under write load', async () => {
      let acknowledged = 0;
      for (const killAfter of KILL_AFTER_MS) {
        const { child, api } = await startServer(env);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const admin = await api.adminToken();
        const tenant = await api.createTenant(admin, `Kill ${killAfter}`);
        let killed = false;
        const writer = async () => {
          while (!killed) {
            const response = await api.post(`/api/v1/tickets?tenant_id=${tenant.id}`, { title: 'under load' }, admin).catch(() => undefined);
            if (response?.status === 201) acknowledged++;
          }
        };
        const writers = Array.from({ length: WRITERS }, writer);
        await new Promise((resolve) => setTimeout(resolve, killAfter));
        child.kill('SIGKILL');
        killed = true;
        await Promise.all([...writers, exited]);
      }
      assert.ok(acknowledged > 0, 'some writes were acknowledged before the kills');

      const db = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL });
      try {
        const orphans = await db.kysely.selectFrom('tickets')
          .leftJoin('audit_logs', (join) => join.onRef('audit_logs.resource_id', '=', 'tickets.id').on('audit_logs.action', '=', 'ticket.create'))
          .where('audit_logs.id', 'is', null)
          .select('tickets.id')
          .execute();
        const stored = await db.kysely.selectFrom('tickets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.ok(Number(stored.n) >= acknowledged, `every acknowledged ticket is stored (${stored.n} stored, ${acknowledged} acknowledged)`);
        assert.deepEqual(orphans, [], `${orphans.length} of ${stored.n} stored tickets have no ticket.create audit row`);
      } finally {
        await db.close();
      }
    });
  });
}
