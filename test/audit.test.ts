import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`audit log (${dialect})`, () => {
    let server: TestServer;
    let admin: string;
    let tenantA: string;
    let tenantB: string;
    let adminA: { id: string; token: string };

    before(async () => {
      server = await startServer(dialect);
      admin = await server.api.adminToken();
      tenantA = (await server.api.createTenant(admin, 'Audit A')).id;
      tenantB = (await server.api.createTenant(admin, 'Audit B')).id;
      adminA = await server.api.createUser(admin, tenantA, 'audit.admin.a', 'ADMIN');
      const adminB = await server.api.createUser(admin, tenantB, 'audit.admin.b', 'ADMIN');
      await server.api.post('/api/v1/tickets', { title: 'B work' }, adminB.token);
      await server.api.post('/api/v1/tickets', { title: 'A work' }, adminA.token);
    });
    after(() => server.close());

    it('shows a tenant ADMIN its own tenant only, whatever tenant_id it sends', async () => {
      for (const url of ['/api/v1/audit-logs?limit=500', `/api/v1/audit-logs?limit=500&tenant_id=${tenantB}`]) {
        const response = await server.api.get(url, adminA.token);
        assert.equal(response.status, 200);
        assert.ok(response.body.items.length > 0);
        assert.ok(response.body.items.every((e: { tenant_id: string }) => e.tenant_id === tenantA), url);
      }
    });

    it('shows SUPER_ADMIN every tenant, or one', async () => {
      const all = await server.api.get('/api/v1/audit-logs?limit=500', admin);
      const tenants = new Set(all.body.items.map((e: { tenant_id: string | null }) => e.tenant_id));
      assert.ok(tenants.has(tenantA) && tenants.has(tenantB) && tenants.has(null));
      const onlyB = await server.api.get(`/api/v1/audit-logs?limit=500&tenant_id=${tenantB}`, admin);
      assert.ok(onlyB.body.items.every((e: { tenant_id: string }) => e.tenant_id === tenantB));
    });

    it('filters by actor, action, resource, outcome and time range', async () => {
      const byActor = await server.api.get(`/api/v1/audit-logs?actor_id=${adminA.id}`, adminA.token);
      assert.ok(byActor.body.items.length >= 2);
      assert.ok(byActor.body.items.every((e: { actor_id: string }) => e.actor_id === adminA.id));
      const creates = await server.api.get('/api/v1/audit-logs?action=ticket.create&resource_type=ticket&outcome=success', adminA.token);
      assert.equal(creates.body.items.length, 1);
      assert.equal(creates.body.items[0].user_agent !== undefined, true);
      const future = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await server.api.get(`/api/v1/audit-logs?from=${encodeURIComponent(future)}`, adminA.token)).body.items.length, 0);
      const past = new Date(Date.now() - 3_600_000).toISOString();
      assert.equal((await server.api.get(`/api/v1/audit-logs?to=${encodeURIComponent(past)}`, adminA.token)).body.items.length, 0);
      assert.equal((await server.api.get(`/api/v1/audit-logs?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`, adminA.token)).status, 400);
      assert.equal((await server.api.get('/api/v1/audit-logs?outcome=maybe', adminA.token)).status, 400);
      assert.equal((await server.api.get('/api/v1/audit-logs?from=last-week', adminA.token)).status, 400);
    });

    it('records logins and logouts', async () => {
      const tokens = await server.api.login('audit.admin.a', 'Correct-Horse-7-Battery');
      await server.api.post('/api/v1/auth/logout', undefined, tokens.access_token);
      const entries = await server.api.get(`/api/v1/audit-logs?actor_id=${adminA.id}&resource_type=session`, adminA.token);
      const actions = entries.body.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
      assert.equal(actions[0], 'auth.logout:success');
      assert.equal(actions[1], 'auth.login:success');
    });

    it('is append-only in the database itself', async () => {
      const count = async () => Number((await server.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      await assert.rejects(server.db.kysely.updateTable('audit_logs').set({ action: 'forged' }).execute(), /append-only/);
      await assert.rejects(server.db.kysely.deleteFrom('audit_logs').execute(), /append-only/);
      assert.equal(await count(), before);
    });

    it('is not readable by operators or viewers', async () => {
      const op = await server.api.createUser(admin, tenantA, 'audit.op', 'OPERATOR');
      assert.equal((await server.api.get('/api/v1/audit-logs', op.token)).status, 403);
    });
  });
}
