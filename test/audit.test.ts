import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { makeTicket } from './helpers/factories.ts';
import { PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('audit log', { tenants: 'Audit', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let ticketA: string;
  let ticketB: string;

  before(async () => {
    ticketB = (await makeTicket(ctx.server, ctx.b.admin.token, { title: 'B work' })).id;
    ticketA = (await makeTicket(ctx.server, ctx.a.admin.token, { title: 'A work' })).id;
  });

  it('shows a tenant ADMIN its own tenant only, whatever tenant_id it sends', async () => {
    for (const url of ['/api/v1/audit-logs?limit=500', `/api/v1/audit-logs?limit=500&tenant_id=${ctx.b.id}`]) {
      const response = await ctx.server.api.get(url, ctx.a.admin.token);
      assert.equal(response.status, 200);
      assert.ok(response.body.items.length > 0);
      assert.ok(response.body.items.every((e: { tenant_id: string }) => e.tenant_id === ctx.a.id), url);
    }
  });

  it('shows SUPER_ADMIN every tenant, or one', async () => {
    const all = await ctx.server.api.get('/api/v1/audit-logs?limit=500', ctx.superAdmin);
    const tenants = new Set(all.body.items.map((e: { tenant_id: string | null }) => e.tenant_id));
    assert.ok(tenants.has(ctx.a.id) && tenants.has(ctx.b.id) && tenants.has(null));
    for (const [tenant, ours, theirs] of [[ctx.b.id, ticketB, ticketA], [ctx.a.id, ticketA, ticketB]]) {
      const only = await ctx.server.api.get(`/api/v1/audit-logs?limit=500&tenant_id=${tenant}`, ctx.superAdmin);
      assert.equal(only.status, 200, only.text);
      const resources = only.body.items.map((e: { resource_id: string | null }) => e.resource_id);
      assert.ok(resources.includes(ours), 'the tenant\'s own ticket.create entry is listed');
      assert.ok(!resources.includes(theirs), 'the other tenant\'s entry is not');
      assert.ok(only.body.items.every((e: { tenant_id: string }) => e.tenant_id === tenant));
    }
  });

  it('answers SUPER_ADMIN 404 for an unknown tenant_id', async () => {
    const response = await ctx.server.api.get('/api/v1/audit-logs?tenant_id=01900000-0000-7000-8000-000000000000', ctx.superAdmin);
    assert.equal(response.status, 404, response.text);
  });

  it('filters by actor, action, resource, outcome and time range', async () => {
    const byActor = await ctx.server.api.get(`/api/v1/audit-logs?actor_id=${ctx.a.admin.id}`, ctx.a.admin.token);
    assert.ok(byActor.body.items.length >= 2);
    assert.ok(byActor.body.items.every((e: { actor_id: string }) => e.actor_id === ctx.a.admin.id));
    const creates = await ctx.server.api.get('/api/v1/audit-logs?action=ticket.create&resource_type=ticket&outcome=success', ctx.a.admin.token);
    assert.equal(creates.body.items.length, 1);
    assert.equal(creates.body.items[0].user_agent !== undefined, true);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await ctx.server.api.get(`/api/v1/audit-logs?from=${encodeURIComponent(future)}`, ctx.a.admin.token)).body.items.length, 0);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    assert.equal((await ctx.server.api.get(`/api/v1/audit-logs?to=${encodeURIComponent(past)}`, ctx.a.admin.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/audit-logs?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`, ctx.a.admin.token)).status, 400);
    assert.equal((await ctx.server.api.get('/api/v1/audit-logs?outcome=maybe', ctx.a.admin.token)).status, 400);
    assert.equal((await ctx.server.api.get('/api/v1/audit-logs?from=last-week', ctx.a.admin.token)).status, 400);
  });

  it('records logins and logouts', async () => {
    const tokens = await ctx.server.api.login(ctx.a.admin.username, PASSWORD);
    await ctx.server.api.post('/api/v1/auth/logout', undefined, tokens.access_token);
    const entries = await ctx.server.api.get(`/api/v1/audit-logs?actor_id=${ctx.a.admin.id}&resource_type=session`, ctx.a.admin.token);
    const actions = entries.body.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
    assert.equal(actions[0], 'auth.logout:success');
    assert.equal(actions[1], 'auth.login:success');
  });

  it('is append-only in the database itself', async () => {
    const count = async () => Number((await ctx.server.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    await assert.rejects(ctx.server.db.kysely.updateTable('audit_logs').set({ action: 'forged' }).execute(), /append-only/);
    await assert.rejects(ctx.server.db.kysely.deleteFrom('audit_logs').execute(), /append-only/);
    assert.equal(await count(), before);
  });

  it('is not readable by operators or viewers', async () => {
    assert.equal((await ctx.server.api.get('/api/v1/audit-logs', ctx.a.operator.token)).status, 403);
    assert.equal((await ctx.server.api.get('/api/v1/audit-logs', ctx.a.viewer.token)).status, 403);
  });
});
