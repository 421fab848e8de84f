import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, dialects, PASSWORD, startServer, type TestServer } from './helpers/harness.ts';

/** Starts test/helpers/neighbour-writer.ts on the server's database; resolves once it writes. */
async function startNeighbour(server: TestServer) {
  const child = spawn(process.execPath, ['--no-warnings=ExperimentalWarning', '--import', 'tsx', 'test/helpers/neighbour-writer.ts'], {
    env: { ...process.env, SENTINEL_DATA_DIR: server.config.dataDir, DATABASE_URL: server.config.databaseUrl ?? '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'ready');
  return {
    /** Stops the loop and returns its tally. */
    async stop(): Promise<{ writes: number; failures: number; firstFailure: string | null }> {
      child.stdin!.end();
      const summary = JSON.parse((await lines.next()).value as string);
      if (child.exitCode === null) await once(child, 'exit');
      return summary;
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

for (const dialect of dialects()) {
  describe(`two processes on one database (${dialect})`, () => {
    let server: TestServer;
    let operator: { token: string };
    let loginUsers: [string, string][];

    before(async () => {
      server = await startServer(dialect);
      const admin = await server.api.adminToken();
      const tenant = await server.api.createTenant(admin, 'Shared');
      operator = await server.api.createUser(admin, tenant.id, 'op.shared', 'OPERATOR');
      // Others sign in: a fourth sign-in of the operator would end the session it writes with.
      await server.api.createUser(admin, tenant.id, 'viewer.shared', 'VIEWER');
      loginUsers = [['admin', ADMIN_PASSWORD], ['viewer.shared', PASSWORD]];
    });
    after(() => server.close());

    it('answers every login and ticket write while another process writes the same database', async (t) => {
      const neighbour = await startNeighbour(server);
      const healthMs: number[] = [];
      let working = true;
      const probe = (async () => {
        while (working) {
          const started = performance.now();
          assert.equal((await server.api.get('/health')).status, 200);
          healthMs.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      const statuses: number[] = [];
      const failures: string[] = [];
      const note = (what: string, response: { status: number; text: string }, expected: number) => {
        statuses.push(response.status);
        if (response.status !== expected) failures.push(`${what}: ${response.status} ${response.text}`);
      };
      const worker = async (index: number) => {
        for (let i = 0; i < 6; i++) {
          const [username, password] = loginUsers[index % 2]!;
          note('login', await server.api.post('/api/v1/auth/login', { username, password }), 200);
          note('ticket', await server.api.post('/api/v1/tickets', { title: `Shared ${index}.${i}` }, operator.token), 201);
        }
      };
      await Promise.all([0, 1, 2, 3].map(worker));
      working = false;
      await probe;
      const tally = await neighbour.stop();

      t.diagnostic(`neighbour writes ${tally.writes}; /health p50 ${percentile(healthMs, 50).toFixed(1)} ms, p99 ${percentile(healthMs, 99).toFixed(1)} ms over ${healthMs.length}`);
      assert.deepEqual(failures, [], 'every request of this process succeeds');
      assert.equal(statuses.length, 48);
      assert.equal(tally.failures, 0, `the other process lost no write (${tally.firstFailure})`);
      assert.ok(tally.writes > 0, 'the other process did write meanwhile');
    });
  });
}
