import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`tickets (${dialect})`, () => {
    let server: TestServer;
    let admin: string;
    let tenantA: string;
    let tenantB: string;
    let operatorA: { id: string; token: string };
    let managerA: { id: string; token: string };
    let adminB: { id: string; token: string };

    before(async () => {
      server = await startServer(dialect);
      admin = await server.api.adminToken();
      tenantA = (await server.api.createTenant(admin, 'Tickets A')).id;
      tenantB = (await server.api.createTenant(admin, 'Tickets B')).id;
      operatorA = await server.api.createUser(admin, tenantA, 'op.a', 'OPERATOR');
      managerA = await server.api.createUser(admin, tenantA, 'mgr.a', 'MANAGER');
      adminB = await server.api.createUser(admin, tenantB, 'admin.tb', 'ADMIN');
    });
    after(() => server.close());

    it('creates, reads, updates (tracking resolved_at), comments on and deletes a ticket', async () => {
      const created = await server.api.post('/api/v1/tickets', { title: '  Firewall down  ', description: 'PA-3220 unreachable', priority: 'critical', assignee_id: operatorA.id }, operatorA.token);
      assert.equal(created.status, 201, created.text);
      const ticket = created.body;
      assert.equal(ticket.title, 'Firewall down');
      assert.equal(ticket.status, 'open');
      assert.equal(ticket.priority, 'critical');
      assert.equal(ticket.tenant_id, tenantA);
      assert.equal(ticket.created_by, operatorA.id);
      assert.equal(ticket.resolved_at, null);

      const resolved = await server.api.patch(`/api/v1/tickets/${ticket.id}`, { status: 'resolved', assignee_id: null }, operatorA.token);
      assert.equal(resolved.status, 200);
      assert.equal(resolved.body.status, 'resolved');
      assert.equal(resolved.body.assignee_id, null);
      assert.ok(resolved.body.resolved_at !== null);
      assert.ok(resolved.body.updated_at >= ticket.updated_at);
      const reopened = await server.api.patch(`/api/v1/tickets/${ticket.id}`, { status: 'in_progress' }, operatorA.token);
      assert.equal(reopened.body.resolved_at, null);

      const comment = await server.api.post(`/api/v1/tickets/${ticket.id}/comments`, { body: 'Rebooted the management plane' }, operatorA.token);
      assert.equal(comment.status, 201);
      assert.equal(comment.body.author_id, operatorA.id);
      const detail = await server.api.get(`/api/v1/tickets/${ticket.id}`, operatorA.token);
      assert.equal(detail.status, 200);
      assert.deepEqual(detail.body.comments.map((c: { body: string }) => c.body), ['Rebooted the management plane']);

      assert.equal((await server.api.delete(`/api/v1/tickets/${ticket.id}`, operatorA.token)).status, 403, 'operators cannot delete');
      assert.equal((await server.api.delete(`/api/v1/tickets/${ticket.id}`, managerA.token)).status, 204);
      assert.equal((await server.api.get(`/api/v1/tickets/${ticket.id}`, managerA.token)).status, 404);
    });

    it('audits every ticket write with actor, tenant and resource', async () => {
      const created = await server.api.post('/api/v1/tickets', { title: 'Audited' }, operatorA.token);
      await server.api.patch(`/api/v1/tickets/${created.body.id}`, { priority: 'high' }, operatorA.token);
      await server.api.patch(`/api/v1/tickets/${created.body.id}`, { priority: 'bogus' }, operatorA.token);
      const audit = await server.api.get(`/api/v1/audit-logs?resource_type=ticket&resource_id=${created.body.id}`, managerA.token);
      assert.equal(audit.status, 200);
      const entries = audit.body.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
      assert.deepEqual(entries, ['ticket.update:failure', 'ticket.update:success', 'ticket.create:success']);
      const createEntry = audit.body.items.at(-1);
      assert.equal(createEntry.actor_id, operatorA.id);
      assert.equal(createEntry.tenant_id, tenantA);
      assert.equal(createEntry.ip, '127.0.0.1');
      assert.ok(createEntry.request_id);
    });

    it('filters by status, priority, assignee, text and since; pages without gaps or repeats', async () => {
      const tenant = (await server.api.createTenant(admin, 'Filters')).id;
      const u = await server.api.createUser(admin, tenant, 'filter.admin', 'ADMIN');
      const specs = [
        { title: 'Disk full on wazuh-01', priority: 'high', status: 'open', assignee_id: u.id },
        { title: 'Splunk license 100%_used', priority: 'critical', status: 'open' },
        { title: 'Meraki AP offline', priority: 'low', status: 'closed' },
        { title: 'Patch CVE-2024-3400', description: 'GlobalProtect', priority: 'critical', status: 'in_progress', assignee_id: u.id },
      ];
      for (let i = 0; i < 26; i++) specs.push({ title: `Bulk ${i}`, priority: 'medium', status: 'open' });
      const before = new Date().toISOString();
      for (const spec of specs) assert.equal((await server.api.post('/api/v1/tickets', spec, u.token)).status, 201);

      const get = async (query: string) => (await server.api.get(`/api/v1/tickets?${query}`, u.token)).body.items.map((t: { title: string }) => t.title);
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
        const response: { body: { items: { id: string }[]; next_cursor: string | null } } = await server.api.get(`/api/v1/tickets?limit=7${cursor ? `&cursor=${cursor}` : ''}`, u.token);
        seen.push(...response.body.items.map((t) => t.id));
        cursor = response.body.next_cursor;
      } while (cursor !== null);
      assert.equal(seen.length, 30);
      assert.equal(new Set(seen).size, 30);
      assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first');

      for (const bad of ['status=done', 'priority=urgent', 'assignee_id=bob', 'since=yesterday', 'limit=-1', 'limit=abc', 'unknown=1', 'cursor=%00%01']) {
        const response = await server.api.get(`/api/v1/tickets?${bad}`, u.token);
        assert.equal(response.status, 400, bad);
        assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      }
    });

    it('rejects an assignee from another tenant, bad bodies and unknown fields, changing nothing', async () => {
      const created = await server.api.post('/api/v1/tickets', { title: 'Stable' }, operatorA.token);
      const id = created.body.id;
      const bodies: unknown[] = [
        { assignee_id: adminB.id },
        { status: 'done' },
        { priority: 3 },
        { title: '' },
        { title: 'x'.repeat(201) },
        { title: 123 },
        { tenant_id: tenantB },
        { alert_id: '01900000-0000-7000-8000-000000000000' },
        { vulnerability_id: 'not-a-uuid' },
        { title: 'ok', hacker: true },
        {},
        [],
        'string',
        null,
      ];
      for (const body of bodies) {
        const response = await server.api.request('PATCH', `/api/v1/tickets/${id}`, { token: operatorA.token, rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        assert.equal(response.status, 400, JSON.stringify(body));
      }
      assert.equal((await server.api.post('/api/v1/tickets', { title: 'x', assignee_id: adminB.id }, operatorA.token)).status, 400);
      const after = await server.api.get(`/api/v1/tickets/${id}`, operatorA.token);
      const { comments: _comments, ...unchanged } = after.body;
      assert.deepEqual(unchanged, created.body);
    });

    it('another tenant\'s tickets are 404 on every route and stay untouched', async () => {
      const theirs = await server.api.post('/api/v1/tickets', { title: 'Tenant B secret', description: 'classified' }, adminB.token);
      const id = theirs.body.id;
      const attacker = managerA.token;
      assert.equal((await server.api.get(`/api/v1/tickets/${id}`, attacker)).status, 404);
      assert.equal((await server.api.get(`/api/v1/tickets/${id}?tenant_id=${tenantB}`, attacker)).status, 404);
      assert.equal((await server.api.patch(`/api/v1/tickets/${id}`, { title: 'pwned' }, attacker)).status, 404);
      assert.equal((await server.api.patch(`/api/v1/tickets/${id}?tenant_id=${tenantB}`, { title: 'pwned' }, attacker)).status, 404);
      assert.equal((await server.api.post(`/api/v1/tickets/${id}/comments`, { body: 'pwned' }, attacker)).status, 404);
      assert.equal((await server.api.delete(`/api/v1/tickets/${id}`, attacker)).status, 404);
      const list = await server.api.get(`/api/v1/tickets?limit=500&tenant_id=${tenantB}&q=secret`, attacker);
      assert.equal(list.status, 200);
      assert.equal(list.body.items.length, 0);
      const created = await server.api.post(`/api/v1/tickets?tenant_id=${tenantB}`, { title: 'planted' }, attacker);
      assert.equal(created.body.tenant_id, tenantA, 'a tenant user always writes into its own tenant');

      const still = await server.api.get(`/api/v1/tickets/${id}`, adminB.token);
      assert.equal(still.status, 200);
      assert.equal(still.body.title, 'Tenant B secret');
      assert.deepEqual(still.body.comments, []);
      const listB = await server.api.get('/api/v1/tickets?limit=500', adminB.token);
      assert.ok(listB.body.items.every((t: { tenant_id: string }) => t.tenant_id === tenantB));
    });

    it('SUPER_ADMIN acts on a tenant named by tenant_id', async () => {
      assert.equal((await server.api.get('/api/v1/tickets', admin)).status, 400);
      assert.equal((await server.api.get('/api/v1/tickets?tenant_id=01900000-0000-7000-8000-000000000000', admin)).status, 404);
      const created = await server.api.post(`/api/v1/tickets?tenant_id=${tenantB}`, { title: 'From the platform team' }, admin);
      assert.equal(created.status, 201);
      assert.equal(created.body.tenant_id, tenantB);
      assert.equal(created.body.created_by, null);
      assert.equal((await server.api.get(`/api/v1/tickets/${created.body.id}?tenant_id=${tenantA}`, admin)).status, 404);
      assert.equal((await server.api.get(`/api/v1/tickets/${created.body.id}?tenant_id=${tenantB}`, admin)).status, 200);
      const audit = await server.api.get(`/api/v1/audit-logs?resource_id=${created.body.id}`, adminB.token);
      assert.equal(audit.body.items[0].tenant_id, tenantB, 'the tenant sees the platform\'s action in its own audit log');
    });

    it('role matrix', async () => {
      const viewer = await server.api.createUser(admin, tenantA, 'viewer.t', 'VIEWER');
      const adminA = await server.api.createUser(admin, tenantA, 'admin.ta', 'ADMIN');
      const target = (await server.api.post('/api/v1/tickets', { title: 'Matrix' }, adminA.token)).body.id;
      const matrix: [string, string, { token: string }, number][] = [
        ['GET', '/api/v1/tickets', viewer, 200],
        ['GET', `/api/v1/tickets/${target}`, viewer, 200],
        ['POST', '/api/v1/tickets', viewer, 403],
        ['PATCH', `/api/v1/tickets/${target}`, viewer, 403],
        ['POST', `/api/v1/tickets/${target}/comments`, viewer, 403],
        ['DELETE', `/api/v1/tickets/${target}`, viewer, 403],
        ['POST', '/api/v1/tickets', operatorA, 201],
        ['PATCH', `/api/v1/tickets/${target}`, operatorA, 200],
        ['POST', `/api/v1/tickets/${target}/comments`, operatorA, 201],
        ['DELETE', `/api/v1/tickets/${target}`, operatorA, 403],
        ['PATCH', `/api/v1/tickets/${target}`, managerA, 200],
        ['DELETE', `/api/v1/tickets/${target}`, adminA, 204],
      ];
      for (const [method, url, user, status] of matrix) {
        const body = method === 'POST' ? (url.endsWith('comments') ? { body: 'c' } : { title: 't' }) : method === 'PATCH' ? { priority: 'low' } : undefined;
        const response = await server.api.request(method, url, { token: user.token, ...(body ? { body } : {}) });
        assert.equal(response.status, status, `${method} ${url}`);
      }
      assert.equal((await server.api.get('/api/v1/tickets')).status, 401);
    });
  });
}
