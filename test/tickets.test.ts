import assert from 'node:assert/strict';
import { it } from 'node:test';
import { makeTicket } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('tickets', { tenants: 'Tickets' }, (ctx) => {
  it('creates, reads, updates (tracking resolved_at), comments on and deletes a ticket', async () => {
    const created = await ctx.server.api.post('/api/v1/tickets', { title: '  Firewall down  ', description: 'PA-3220 unreachable', priority: 'critical', assignee_id: ctx.a.operator.id }, ctx.a.operator.token);
    assert.equal(created.status, 201, created.text);
    const ticket = created.body;
    assert.equal(ticket.title, 'Firewall down');
    assert.equal(ticket.status, 'open');
    assert.equal(ticket.priority, 'critical');
    assert.equal(ticket.tenant_id, ctx.a.id);
    assert.equal(ticket.created_by, ctx.a.operator.id);
    assert.equal(ticket.resolved_at, null);
    // The answer is built from what was written, not read back: it must say what a read says.
    const { comments, ...stored } = (await ctx.server.api.get(`/api/v1/tickets/${ticket.id}`, ctx.a.operator.token)).body;
    assert.deepEqual(comments, []);
    assert.deepEqual(ticket, stored);
    assert.ok(ticket.created_by_username !== null && ticket.assignee_username !== null);

    const resolved = await ctx.server.api.patch(`/api/v1/tickets/${ticket.id}`, { status: 'resolved', assignee_id: null }, ctx.a.operator.token);
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.status, 'resolved');
    assert.equal(resolved.body.assignee_id, null);
    assert.ok(resolved.body.resolved_at !== null);
    assert.ok(resolved.body.updated_at >= ticket.updated_at);
    const reopened = await ctx.server.api.patch(`/api/v1/tickets/${ticket.id}`, { status: 'in_progress' }, ctx.a.operator.token);
    assert.equal(reopened.body.resolved_at, null);

    const comment = await ctx.server.api.post(`/api/v1/tickets/${ticket.id}/comments`, { body: 'Rebooted the management plane' }, ctx.a.operator.token);
    assert.equal(comment.status, 201);
    assert.equal(comment.body.author_id, ctx.a.operator.id);
    const detail = await ctx.server.api.get(`/api/v1/tickets/${ticket.id}`, ctx.a.operator.token);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.comments.map((c: { body: string }) => c.body), ['Rebooted the management plane']);

    assert.equal((await ctx.server.api.delete(`/api/v1/tickets/${ticket.id}`, ctx.a.operator.token)).status, 403, 'operators cannot delete');
    assert.equal((await ctx.server.api.delete(`/api/v1/tickets/${ticket.id}`, ctx.a.manager.token)).status, 204);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${ticket.id}`, ctx.a.manager.token)).status, 404);
  });

  it('audits every ticket write with actor, tenant and resource', async () => {
    const created = await ctx.server.api.post('/api/v1/tickets', { title: 'Audited' }, ctx.a.operator.token);
    await ctx.server.api.patch(`/api/v1/tickets/${created.body.id}`, { priority: 'high' }, ctx.a.operator.token);
    await ctx.server.api.patch(`/api/v1/tickets/${created.body.id}`, { priority: 'bogus' }, ctx.a.operator.token);
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_type=ticket&resource_id=${created.body.id}`, ctx.a.manager.token);
    assert.equal(audit.status, 200);
    const entries = audit.body.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
    assert.deepEqual(entries, ['ticket.update:failure', 'ticket.update:success', 'ticket.create:success']);
    const createEntry = audit.body.items.at(-1);
    assert.equal(createEntry.actor_id, ctx.a.operator.id);
    assert.equal(createEntry.tenant_id, ctx.a.id);
    assert.equal(createEntry.ip, '127.0.0.1');
    assert.ok(createEntry.request_id);
  });

  it('filters by status, priority, assignee, text and since; pages without gaps or repeats', async () => {
    const tenant = (await ctx.server.api.createTenant(ctx.superAdmin, 'Filters')).id;
    const u = await ctx.server.api.createUser(ctx.superAdmin, tenant, 'filter.admin', 'ADMIN');
    const specs = [
      { title: 'Disk full on wazuh-01', priority: 'high', status: 'open', assignee_id: u.id },
      { title: 'Splunk license 100%_used', priority: 'critical', status: 'open' },
      { title: 'Meraki AP offline', priority: 'low', status: 'closed' },
      { title: 'Patch CVE-2024-3400', description: 'GlobalProtect', priority: 'critical', status: 'in_progress', assignee_id: u.id },
    ];
    for (let i = 0; i < 26; i++) specs.push({ title: `Bulk ${i}`, priority: 'medium', status: 'open' });
    const before = new Date().toISOString();
    for (const spec of specs) assert.equal((await ctx.server.api.post('/api/v1/tickets', spec, u.token)).status, 201);

    const get = async (query: string) => (await ctx.server.api.get(`/api/v1/tickets?${query}`, u.token)).body.items.map((t: { title: string }) => t.title);
    assert.deepEqual(await get('priority=critical'), ['Patch CVE-2024-3400', 'Splunk license 100%_used']);
    assert.deepEqual(await get('status=closed'), ['Meraki AP offline']);
    assert.deepEqual(await get(`assignee_id=${u.id}`), ['Patch CVE-2024-3400', 'Disk full on wazuh-01']);
    assert.equal((await get('assignee_id=none&limit=500')).length, 28);
    assert.deepEqual(await get('q=globalprotect'), ['Patch CVE-2024-3400']);
    assert.deepEqual(await get('q=WAZUH'), ['Disk full on wazuh-01']);
    assert.deepEqual(await get('q=100%25_'), ['Splunk license 100%_used'], '% and _ match literally');
    assert.deepEqual(await get('q=%25'), ['Splunk license 100%_used']);
    assert.equal((await get(`since=${encodeURIComponent(before)}&limit=500`)).length, 30);
    assert.equal((await get(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: { items: { id: string }[]; next_cursor: string | null } } = await ctx.server.api.get(`/api/v1/tickets?limit=7${cursor ? `&cursor=${cursor}` : ''}`, u.token);
      seen.push(...response.body.items.map((t) => t.id));
      cursor = response.body.next_cursor;
    } while (cursor !== null);
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
    assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first');

    for (const bad of ['status=done', 'priority=urgent', 'assignee_id=bob', 'since=yesterday', 'limit=-1', 'limit=abc', 'unknown=1', 'cursor=%00%01']) {
      const response = await ctx.server.api.get(`/api/v1/tickets?${bad}`, u.token);
      assert.equal(response.status, 400, bad);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    }
  });

  it('rejects an assignee from another tenant, bad bodies and unknown fields, changing nothing', async () => {
    const created = await ctx.server.api.post('/api/v1/tickets', { title: 'Stable' }, ctx.a.operator.token);
    const id = created.body.id;
    const bodies: unknown[] = [
      { assignee_id: ctx.b.admin.id },
      { status: 'done' },
      { priority: 3 },
      { title: '' },
      { title: 'x'.repeat(201) },
      { title: 123 },
      { tenant_id: ctx.b.id },
      { alert_id: '01900000-0000-7000-8000-000000000000' },
      { vulnerability_id: 'not-a-uuid' },
      { title: 'ok', hacker: true },
      {},
      [],
      'string',
      null,
    ];
    for (const body of bodies) {
      const response = await ctx.server.api.request('PATCH', `/api/v1/tickets/${id}`, { token: ctx.a.operator.token, rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok(response.body.errors?.every((e: { code?: string }) => e.code !== undefined), `every field error has a code: ${response.text}`);
    }
    const foreignAssignee = await ctx.server.api.post('/api/v1/tickets', { title: 'x', assignee_id: ctx.b.admin.id }, ctx.a.operator.token);
    assert.equal(foreignAssignee.status, 400);
    assert.deepEqual(foreignAssignee.body.errors, [{ field: 'assignee_id', message: 'is not a user of this tenant', code: 'unknown_reference', params: { value: ctx.b.admin.id } }]);
    const after = await ctx.server.api.get(`/api/v1/tickets/${id}`, ctx.a.operator.token);
    const { comments: _comments, ...unchanged } = after.body;
    assert.deepEqual(unchanged, created.body);
  });

  it('another tenant\'s tickets are 404 on every route and stay untouched', async () => {
    const ours = await makeTicket(ctx.server, ctx.a.operator.token, { title: 'Tenant A work' });
    const id = (await makeTicket(ctx.server, ctx.b.admin.token, { title: 'Tenant B secret', description: 'classified' })).id;
    const attacker = ctx.a.manager.token;
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${id}`, attacker)).status, 404);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${id}?tenant_id=${ctx.b.id}`, attacker)).status, 404);
    assert.equal((await ctx.server.api.patch(`/api/v1/tickets/${id}`, { title: 'pwned' }, attacker)).status, 404);
    assert.equal((await ctx.server.api.patch(`/api/v1/tickets/${id}?tenant_id=${ctx.b.id}`, { title: 'pwned' }, attacker)).status, 404);
    assert.equal((await ctx.server.api.post(`/api/v1/tickets/${id}/comments`, { body: 'pwned' }, attacker)).status, 404);
    assert.equal((await ctx.server.api.delete(`/api/v1/tickets/${id}`, attacker)).status, 404);
    const list = await ctx.server.api.get(`/api/v1/tickets?limit=500&tenant_id=${ctx.b.id}&q=secret`, attacker);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 0);
    const own = await ctx.server.api.get(`/api/v1/tickets?limit=500&tenant_id=${ctx.b.id}`, attacker);
    assert.ok(own.body.items.length > 0);
    assert.ok(own.body.items.some((t: { id: string }) => t.id === ours.id));
    assert.ok(own.body.items.every((t: { tenant_id: string }) => t.tenant_id === ctx.a.id), 'B\'s tickets stay out of A\'s list');
    const created = await ctx.server.api.post(`/api/v1/tickets?tenant_id=${ctx.b.id}`, { title: 'planted' }, attacker);
    assert.equal(created.body.tenant_id, ctx.a.id, 'a tenant user always writes into its own tenant');

    const still = await ctx.server.api.get(`/api/v1/tickets/${id}`, ctx.b.admin.token);
    assert.equal(still.status, 200);
    assert.equal(still.body.title, 'Tenant B secret');
    assert.deepEqual(still.body.comments, []);
    const listB = await ctx.server.api.get('/api/v1/tickets?limit=500', ctx.b.admin.token);
    assert.ok(listB.body.items.some((t: { id: string }) => t.id === id));
    assert.ok(listB.body.items.every((t: { tenant_id: string }) => t.tenant_id === ctx.b.id));
  });

  it('SUPER_ADMIN acts on a tenant named by tenant_id', async () => {
    assert.equal((await ctx.server.api.get('/api/v1/tickets', ctx.superAdmin)).status, 400);
    assert.equal((await ctx.server.api.get('/api/v1/tickets?tenant_id=01900000-0000-7000-8000-000000000000', ctx.superAdmin)).status, 404);
    const created = await ctx.server.api.post(`/api/v1/tickets?tenant_id=${ctx.b.id}`, { title: 'From the platform team' }, ctx.superAdmin);
    assert.equal(created.status, 201);
    assert.equal(created.body.tenant_id, ctx.b.id);
    assert.equal(created.body.created_by, null);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets/${created.body.id}?tenant_id=${ctx.a.id}`, ctx.superAdmin)).status, 404);
    const read = await ctx.server.api.get(`/api/v1/tickets/${created.body.id}?tenant_id=${ctx.b.id}`, ctx.superAdmin);
    assert.equal(read.status, 200);
    const { comments: _comments, ...stored } = read.body;
    assert.deepEqual(created.body, stored, 'the answer to the create (unassigned, by no user of the tenant) says what a read says');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${created.body.id}`, ctx.b.admin.token);
    assert.equal(audit.body.items[0].tenant_id, ctx.b.id, 'the tenant sees the platform\'s action in its own audit log');
  });

  it('role matrix', async () => {
    const { viewer, operator, manager, admin } = ctx.a;
    const target = (await ctx.server.api.post('/api/v1/tickets', { title: 'Matrix' }, admin.token)).body.id;
    const matrix: [string, string, { token: string }, number][] = [
      ['GET', '/api/v1/tickets', viewer, 200],
      ['GET', `/api/v1/tickets/${target}`, viewer, 200],
      ['POST', '/api/v1/tickets', viewer, 403],
      ['PATCH', `/api/v1/tickets/${target}`, viewer, 403],
      ['POST', `/api/v1/tickets/${target}/comments`, viewer, 403],
      ['DELETE', `/api/v1/tickets/${target}`, viewer, 403],
      ['POST', '/api/v1/tickets', operator, 201],
      ['PATCH', `/api/v1/tickets/${target}`, operator, 200],
      ['POST', `/api/v1/tickets/${target}/comments`, operator, 201],
      ['DELETE', `/api/v1/tickets/${target}`, operator, 403],
      ['PATCH', `/api/v1/tickets/${target}`, manager, 200],
      ['DELETE', `/api/v1/tickets/${target}`, admin, 204],
    ];
    for (const [method, url, user, status] of matrix) {
      const body = method === 'POST' ? (url.endsWith('comments') ? { body: 'c' } : { title: 't' }) : method === 'PATCH' ? { priority: 'low' } : undefined;
      const response = await ctx.server.api.request(method, url, { token: user.token, ...(body ? { body } : {}) });
      assert.equal(response.status, status, `${method} ${url}`);
    }
    assert.equal((await ctx.server.api.get('/api/v1/tickets')).status, 401);
  });
});
