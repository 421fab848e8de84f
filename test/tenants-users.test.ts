import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, dialects, startServer, type TestServer } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`tenants and users (${dialect})`, () => {
    let server: TestServer;
    let admin: string;

    before(async () => {
      server = await startServer(dialect);
      admin = await server.api.adminToken();
    });
    after(() => server.close());

    describe('tenants', () => {
      it('creates with a derived slug and default config, canonicalising the time zone', async () => {
        const created = await server.api.post('/api/v1/tenants', { name: 'Compañía Ñandú S.A.', config: { timezone: 'america/new_york', language: 'es' } }, admin);
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.slug, 'compania-nandu-s-a');
        assert.deepEqual(created.body.config, { timezone: 'America/New_York', language: 'es', theme: 'system' });
        assert.equal(created.body.is_active, true);
        const fetched = await server.api.get(`/api/v1/tenants/${created.body.id}`, admin);
        assert.deepEqual(fetched.body, created.body);
      });

      it('rejects unknown time zones, bad slugs and duplicate slugs', async () => {
        assert.equal((await server.api.post('/api/v1/tenants', { name: 'X', config: { timezone: 'Mars/Olympus' } }, admin)).status, 400);
        assert.equal((await server.api.post('/api/v1/tenants', { name: 'X', slug: 'Bad Slug' }, admin)).status, 400);
        assert.equal((await server.api.post('/api/v1/tenants', { name: 'X', config: { language: 'fr' } }, admin)).status, 400);
        assert.equal((await server.api.post('/api/v1/tenants', { name: 'Dup', slug: 'dup' }, admin)).status, 201);
        const dup = await server.api.post('/api/v1/tenants', { name: 'Dup 2', slug: 'dup' }, admin);
        assert.equal(dup.status, 409);
        const list = await server.api.get('/api/v1/tenants?q=dup', admin);
        assert.equal(list.body.items.length, 1, 'the rejected duplicate created nothing');
      });

      it('patches name and config (merging), and pages the list with a cursor', async () => {
        const t = await server.api.createTenant(admin, 'Patchable');
        const patched = await server.api.patch(`/api/v1/tenants/${t.id}`, { name: 'Patched', config: { theme: 'dark' } }, admin);
        assert.equal(patched.status, 200);
        assert.equal(patched.body.name, 'Patched');
        assert.equal(patched.body.config.theme, 'dark');
        assert.equal(patched.body.config.timezone, 'UTC');
        assert.equal((await server.api.patch(`/api/v1/tenants/${t.id}`, {}, admin)).status, 400);

        const seen = new Set<string>();
        let url = '/api/v1/tenants?limit=2';
        for (let page = 0; page < 20; page++) {
          const response = await server.api.get(url, admin);
          assert.equal(response.status, 200);
          assert.ok(response.body.items.length <= 2);
          for (const item of response.body.items) {
            assert.ok(!seen.has(item.id), 'no tenant appears twice');
            seen.add(item.id);
          }
          if (response.body.next_cursor === null) break;
          url = `/api/v1/tenants?limit=2&cursor=${response.body.next_cursor}`;
        }
        const all = await server.api.get('/api/v1/tenants?limit=500', admin);
        assert.equal(seen.size, all.body.items.length);
        assert.equal((await server.api.get('/api/v1/tenants?cursor=garbage!!', admin)).status, 400);
        assert.equal((await server.api.get('/api/v1/tenants?limit=501', admin)).status, 400);
        assert.equal((await server.api.get('/api/v1/tenants?limit=0', admin)).status, 400);
      });

      it('deactivating a tenant ends its users\' sessions and blocks their logins; reactivating restores login', async () => {
        const t = await server.api.createTenant(admin, 'Soon Inactive');
        const user = await server.api.createUser(admin, t.id, 'inactive.user', 'ADMIN');
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 200);
        assert.equal((await server.api.patch(`/api/v1/tenants/${t.id}`, { is_active: false }, admin)).status, 200);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 401);
        assert.equal((await server.api.post('/api/v1/auth/refresh', { refresh_token: user.refresh })).status, 401);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'inactive.user', password: PASSWORD })).status, 401);
        await server.api.patch(`/api/v1/tenants/${t.id}`, { is_active: true }, admin);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'inactive.user', password: PASSWORD })).status, 200);
      });

      it('deletes a tenant with its users and tickets', async () => {
        const t = await server.api.createTenant(admin, 'Doomed');
        const user = await server.api.createUser(admin, t.id, 'doomed.user', 'ADMIN');
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'x' }, user.token)).status, 201);
        assert.equal((await server.api.delete(`/api/v1/tenants/${t.id}`, admin)).status, 204);
        assert.equal((await server.api.get(`/api/v1/tenants/${t.id}`, admin)).status, 404);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 401);
        const tickets = await server.db.kysely.selectFrom('tickets').select('id').where('tenant_id', '=', t.id).execute();
        assert.equal(tickets.length, 0);
        assert.equal((await server.api.delete(`/api/v1/tenants/${t.id}`, admin)).status, 404);
      });

      it('is SUPER_ADMIN only', async () => {
        const t = await server.api.createTenant(admin, 'Tenant Admins Cannot');
        const tenantAdmin = await server.api.createUser(admin, t.id, 'tadmin', 'ADMIN');
        assert.equal((await server.api.get('/api/v1/tenants', tenantAdmin.token)).status, 403);
        assert.equal((await server.api.get(`/api/v1/tenants/${t.id}`, tenantAdmin.token)).status, 403);
        assert.equal((await server.api.post('/api/v1/tenants', { name: 'Nope' }, tenantAdmin.token)).status, 403);
        assert.equal((await server.api.patch(`/api/v1/tenants/${t.id}`, { name: 'Nope' }, tenantAdmin.token)).status, 403);
        assert.equal((await server.api.delete(`/api/v1/tenants/${t.id}`, tenantAdmin.token)).status, 403);
        const denied = await server.api.get('/api/v1/audit-logs?action=permission.denied', admin);
        assert.ok(denied.body.items.some((e: { actor_username: string }) => e.actor_username === 'tadmin'));
      });
    });

    describe('users', () => {
      let tenantA: string;
      let tenantB: string;
      let adminA: string;
      let adminB: string;

      before(async () => {
        tenantA = (await server.api.createTenant(admin, 'Users A')).id;
        tenantB = (await server.api.createTenant(admin, 'Users B')).id;
        adminA = (await server.api.createUser(admin, tenantA, 'admin.a', 'ADMIN')).token;
        adminB = (await server.api.createUser(admin, tenantB, 'admin.b', 'ADMIN')).token;
      });

      it('a tenant ADMIN creates users in its own tenant only (a tenant_id it sends is ignored)', async () => {
        const created = await server.api.post('/api/v1/users', { username: 'New.Person', email: 'New@A.example', password: PASSWORD, role: 'OPERATOR', tenant_id: tenantB }, adminA);
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.tenant_id, tenantA);
        assert.equal(created.body.username, 'new.person');
        assert.equal(created.body.email, 'new@a.example');
        assert.equal('password_hash' in created.body, false);
        assert.equal('password' in created.body, false);
      });

      it('enforces the password policy', async () => {
        const cases: [string, string][] = [
          ['Short1a', 'must NOT have fewer than 8 characters'],
          ['alllowercase1', 'must contain an upper-case letter'],
          ['ALLUPPERCASE1', 'must contain a lower-case letter'],
          ['NoDigitsHere', 'must contain a digit'],
          ['Password123', 'is too common'],
          ['Qwerty123', 'is too common'],
          ['Xx-policy.user-9', 'must not contain the username'],
        ];
        for (const [password, message] of cases) {
          const response = await server.api.post('/api/v1/users', { username: 'policy.user', password, role: 'VIEWER' }, adminA);
          assert.equal(response.status, 400, password);
          assert.ok(response.body.errors.some((e: { message: string }) => e.message === message), `${password}: ${response.text}`);
        }
        assert.equal((await server.api.post('/api/v1/users', { username: 'policy.user', password: 'x'.repeat(129), role: 'VIEWER' }, adminA)).status, 400);
        assert.equal((await server.api.get('/api/v1/users?q=policy', adminA)).body.items.length, 0);
      });

      it('rejects duplicate usernames and e-mails across tenants with 409', async () => {
        assert.equal((await server.api.post('/api/v1/users', { username: 'new.person', password: PASSWORD, role: 'VIEWER' }, adminB)).status, 409);
        assert.equal((await server.api.post('/api/v1/users', { username: 'other.person', email: 'NEW@a.example', password: PASSWORD, role: 'VIEWER' }, adminB)).status, 409);
      });

      it('rejects SUPER_ADMIN as a role and unknown or platform permissions', async () => {
        assert.equal((await server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'SUPER_ADMIN' }, adminA)).status, 400);
        assert.equal((await server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'VIEWER', permissions: ['tenants:write'] }, adminA)).status, 400);
        assert.equal((await server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'VIEWER', permissions: ['root'] }, adminA)).status, 400);
      });

      it('SUPER_ADMIN must name an existing tenant', async () => {
        assert.equal((await server.api.post('/api/v1/users', { username: 'orphan', password: PASSWORD, role: 'VIEWER' }, admin)).status, 400);
        assert.equal((await server.api.post('/api/v1/users', { username: 'orphan', password: PASSWORD, role: 'VIEWER', tenant_id: '01900000-0000-7000-8000-000000000000' }, admin)).status, 400);
        const all = await server.api.get('/api/v1/users?limit=500', admin);
        assert.ok(all.body.items.some((u: { tenant_id: string }) => u.tenant_id === tenantA));
        assert.ok(all.body.items.some((u: { tenant_id: string }) => u.tenant_id === tenantB));
        const onlyB = await server.api.get(`/api/v1/users?tenant_id=${tenantB}`, admin);
        assert.ok(onlyB.body.items.every((u: { tenant_id: string }) => u.tenant_id === tenantB));
      });

      it('extra permissions widen a role', async () => {
        const viewer = await server.api.createUser(admin, tenantA, 'viewer.plus', 'VIEWER', { permissions: ['tickets:write'] });
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'by a viewer with tickets:write' }, viewer.token)).status, 201);
        const plain = await server.api.createUser(admin, tenantA, 'viewer.plain', 'VIEWER');
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'denied' }, plain.token)).status, 403);
      });

      it('a role change applies on the next request; disabling ends sessions', async () => {
        const user = await server.api.createUser(admin, tenantA, 'role.change', 'VIEWER');
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'no' }, user.token)).status, 403);
        assert.equal((await server.api.patch(`/api/v1/users/${user.id}`, { role: 'OPERATOR' }, adminA)).status, 200);
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'yes' }, user.token)).status, 201);
        assert.equal((await server.api.patch(`/api/v1/users/${user.id}`, { role: 'VIEWER' }, adminA)).status, 200);
        assert.equal((await server.api.post('/api/v1/tickets', { title: 'no again' }, user.token)).status, 403);

        assert.equal((await server.api.patch(`/api/v1/users/${user.id}`, { is_active: false }, adminA)).status, 200);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 401);
        assert.equal((await server.api.post('/api/v1/auth/refresh', { refresh_token: user.refresh })).status, 401);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'role.change', password: PASSWORD })).status, 401);
      });

      it('an admin cannot demote, disable or delete itself', async () => {
        const me = await server.api.get('/api/v1/auth/me', adminA);
        assert.equal((await server.api.patch(`/api/v1/users/${me.body.id}`, { role: 'VIEWER' }, adminA)).status, 400);
        assert.equal((await server.api.patch(`/api/v1/users/${me.body.id}`, { is_active: false }, adminA)).status, 400);
        assert.equal((await server.api.delete(`/api/v1/users/${me.body.id}`, adminA)).status, 400);
      });

      it('an admin password reset ends the user\'s sessions; delete removes the user', async () => {
        const user = await server.api.createUser(admin, tenantA, 'reset.me', 'VIEWER');
        assert.equal((await server.api.patch(`/api/v1/users/${user.id}`, { password: 'Another-Good-Pass-3' }, adminA)).status, 200);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 401);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'reset.me', password: 'Another-Good-Pass-3' })).status, 200);
        assert.equal((await server.api.delete(`/api/v1/users/${user.id}`, adminA)).status, 204);
        assert.equal((await server.api.get(`/api/v1/users/${user.id}`, adminA)).status, 404);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'reset.me', password: 'Another-Good-Pass-3' })).status, 401);
      });

      it('an admin lists and ends a user\'s sessions; other roles and other tenants cannot', async () => {
        const user = await server.api.createUser(admin, tenantA, 'lost.laptop', 'OPERATOR');
        await server.api.login('lost.laptop', PASSWORD);
        const listed = await server.api.get(`/api/v1/users/${user.id}/sessions`, adminA);
        assert.equal(listed.status, 200);
        assert.equal(listed.body.items.length, 2);
        assert.ok(listed.body.items.every((s: { current: boolean }) => !s.current));
        assert.equal((await server.api.get(`/api/v1/users/${user.id}/sessions`, adminB)).status, 404);
        assert.equal((await server.api.delete(`/api/v1/users/${user.id}/sessions`, adminB)).status, 404);
        assert.equal((await server.api.get(`/api/v1/users/${user.id}/sessions`, user.token)).status, 403);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 200, 'failed attempts changed nothing');
        assert.equal((await server.api.delete(`/api/v1/users/${user.id}/sessions`, adminA)).status, 204);
        assert.equal((await server.api.get('/api/v1/auth/me', user.token)).status, 401);
        assert.equal((await server.api.get(`/api/v1/users/${user.id}/sessions`, adminA)).body.items.length, 0);
        assert.equal((await server.api.post('/api/v1/auth/login', { username: 'lost.laptop', password: PASSWORD })).status, 200);
      });

      it('another tenant\'s users are 404 for every route', async () => {
        const victim = await server.api.createUser(admin, tenantB, 'victim.b', 'OPERATOR');
        assert.equal((await server.api.get(`/api/v1/users/${victim.id}`, adminA)).status, 404);
        assert.equal((await server.api.patch(`/api/v1/users/${victim.id}`, { role: 'VIEWER' }, adminA)).status, 404);
        assert.equal((await server.api.patch(`/api/v1/users/${victim.id}`, { password: 'Hijacked-Pass-99' }, adminA)).status, 404);
        assert.equal((await server.api.delete(`/api/v1/users/${victim.id}`, adminA)).status, 404);
        const list = await server.api.get(`/api/v1/users?limit=500&tenant_id=${tenantB}`, adminA);
        assert.ok(list.body.items.every((u: { tenant_id: string }) => u.tenant_id === tenantA));
        const still = await server.api.get(`/api/v1/users/${victim.id}`, adminB);
        assert.equal(still.status, 200);
        assert.equal(still.body.role, 'OPERATOR');
        assert.equal((await server.api.get('/api/v1/auth/me', victim.token)).status, 200, 'the victim\'s session survived');
      });

      it('role matrix for user management', async () => {
        const roles = ['MANAGER', 'OPERATOR', 'VIEWER'] as const;
        const expected: Record<(typeof roles)[number], { read: number; write: number }> = {
          MANAGER: { read: 200, write: 403 },
          OPERATOR: { read: 200, write: 403 },
          VIEWER: { read: 403, write: 403 },
        };
        for (const role of roles) {
          const user = await server.api.createUser(admin, tenantA, `matrix.${role.toLowerCase()}`, role);
          assert.equal((await server.api.get('/api/v1/users', user.token)).status, expected[role].read, `${role} list`);
          assert.equal((await server.api.get(`/api/v1/users/${user.id}`, user.token)).status, expected[role].read, `${role} get`);
          assert.equal((await server.api.post('/api/v1/users', { username: `made.by.${role.toLowerCase()}`, password: PASSWORD, role: 'VIEWER' }, user.token)).status, expected[role].write, `${role} create`);
          assert.equal((await server.api.patch(`/api/v1/users/${user.id}`, { email: 'x@y.example' }, user.token)).status, expected[role].write, `${role} patch`);
          assert.equal((await server.api.delete(`/api/v1/users/${user.id}`, user.token)).status, expected[role].write, `${role} delete`);
          assert.equal((await server.api.get('/api/v1/audit-logs', user.token)).status, role === 'MANAGER' ? 200 : 403, `${role} audit`);
        }
      });
    });
  });
}
