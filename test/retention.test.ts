// Retention cleanup (docs/requirements.md, PLT-16): raw detections past their retention go while
// rollups stay, old job runs go, audit entries stay unless a retention is set (and then only the
// old ones go: the log stays append-only otherwise); each run reports what it removed, and an
// ADMIN's run touches its own tenant only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { jobContext } from '../src/modules/index.ts';
import { newId } from '../src/platform/ids.ts';
import { runRetention } from '../src/platform/jobs/retention.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

const DAY = 24 * 60 * 60_000;

for (const dialect of dialects()) {
  describe(`retention cleanup (${dialect})`, () => {
    let server: TestServer;
    const tenants: { id: string; line: number }[] = [];
    const now = Date.now();

    before(async () => {
      server = await startServer(dialect);
      const token = await server.api.adminToken();
      for (const name of ['Keep A', 'Keep B']) {
        const { id } = await server.api.createTenant(token, name);
        const q = `?tenant_id=${id}`;
        const line = (await server.api.post(`/api/v1/production/lines${q}`, { line_name: 'Line', line_code: 'main' }, token)).body.line_id as number;
        const area = (await server.api.post(`/api/v1/production/areas${q}`, { line_id: line, area_name: 'Out', area_type: 'output' }, token)).body.area_id as number;
        // Ten detections 14 months ago, five this hour.
        const old = Array.from({ length: 10 }, (_, i) => ({ detected_at: now - 425 * DAY + i * 1000, area_id: area }));
        const recent = Array.from({ length: 5 }, (_, i) => ({ detected_at: now - 60_000 + i * 1000, area_id: area }));
        const stored = await server.api.post(`/api/v1/production/lines/${line}/detections${q}`, { detections: [...old, ...recent] }, token);
        assert.equal(stored.status, 201, stored.text);
        tenants.push({ id, line });
        for (const [tenantId, at] of [[id, now - 40 * DAY], [id, now - DAY]] as const) {
          await server.db.kysely.insertInto('job_runs').values({
            id: newId(at), tenant_id: tenantId, job: 'integration-sync', subject_id: null, status: 'ok', started_at: at, finished_at: at + 5, duration_ms: 5, detail: '{}', created_at: at, updated_at: at,
          }).execute();
        }
      }
      for (const at of [now - 400 * DAY, now - 400 * DAY + 1]) {
        await server.db.kysely.insertInto('audit_logs').values({
          id: newId(at), tenant_id: tenants[0]!.id, actor_id: null, actor_username: 'old', action: 'ticket.create', resource_type: null, resource_id: null,
          outcome: 'success', ip: null, user_agent: null, request_id: null, detail: null, created_at: at, updated_at: at,
        }).execute();
      }
    });
    after(() => server.close());

    const policies = (env: Partial<typeof server.config> = {}) => jobContext(server.services, { ...server.config, ...env }, server.db).retentionPolicies();
    const detections = async (tenant: { id: string; line: number }) => {
      const token = await server.api.adminToken();
      const page = await server.api.get(`/api/v1/production/lines/${tenant.line}/detections?tenant_id=${tenant.id}&limit=100&from=${new Date(now - 500 * DAY).toISOString()}`, token);
      assert.equal(page.status, 200, page.text);
      return page.body.items.length as number;
    };
    const auditCount = async () => Number((await server.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).where('actor_username', '=', 'old').executeTakeFirstOrThrow()).n);

    it('an ADMIN\'s run removes its own tenant\'s old rows only, and reports them', async () => {
      const report = await runRetention(policies(), { now, tenantId: tenants[0]!.id });
      assert.deepEqual(report.failed, {});
      assert.deepEqual(report.removed['production.detections'], { rows: 10, partitions: 0 });
      assert.equal(report.removed['jobs.runs'], 1);
      assert.equal(report.removed['audit.entries'], 0, 'no audit retention is set');
      assert.equal(await detections(tenants[0]!), 5);
      assert.equal(await detections(tenants[1]!), 15, 'the other tenant is untouched');
    });

    it('a platform run removes every tenant\'s, keeps audit entries by default, and rollups stay', async () => {
      const report = await runRetention(policies(), { now });
      assert.deepEqual(report.removed['production.detections'], { rows: 10, partitions: 0 });
      assert.equal(report.removed['jobs.runs'], 1);
      assert.equal(await auditCount(), 2);
      // The hourly rollups of the removed detections remain.
      const rollups = await server.services.plants.use(tenants[1]!.id, (plant) => sql<{ n: number }>`SELECT SUM(quantity) AS n FROM sentinel_rollup_hour WHERE bucket_start < ${now - 400 * DAY}`.execute(plant.kysely));
      assert.equal(Number(rollups.rows[0]!.n), 10);
      // Nothing left to remove: a second run reports zeros.
      const again = await runRetention(policies(), { now });
      assert.deepEqual(again.removed, { 'jobs.runs': 0, 'production.detections': { rows: 0, partitions: 0 }, 'audit.entries': 0 });
    });

    it('with an audit retention, removes old audit entries only; the log stays append-only otherwise', async () => {
      const before = Number((await server.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const report = await runRetention(policies({ auditRetentionDays: 365 }), { now });
      assert.equal(report.removed['audit.entries'], 2);
      assert.equal(await auditCount(), 0);
      const after = Number((await server.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(after, before - 2, 'recent entries stay');
      await assert.rejects(sql`DELETE FROM audit_logs`.execute(server.db.kysely), /append-only/);
      const gate = await server.db.kysely.selectFrom('audit_retention_gate').selectAll().execute();
      assert.deepEqual(gate, [], 'the gate is closed again');
    });
  });
}
