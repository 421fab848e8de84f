import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/platform/db/database.ts';
import { useServerSandbox, ADMIN_PASSWORD, dialects } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';

const WRITERS = 24;
const KILL_AFTER_MS = [400, 900, 1500];

for (const dialect of dialects()) {
  describe(`a write and its audit entry are one (${dialect})`, () => {
    const sandbox = useServerSandbox(dialect, 'sentinel-kill', { SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD });

    it('leaves no stored ticket without its ticket.create audit row after kill -9 under write load', async () => {
      let acknowledged = 0;
      for (const killAfter of KILL_AFTER_MS) {
        const { child, api } = await startServerProcess(sandbox.env);
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

      const db = openDatabase({ dataDir: sandbox.dataDir, databaseUrl: sandbox.env.DATABASE_URL });
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
