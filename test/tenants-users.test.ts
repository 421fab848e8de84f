import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('tenants and users', { tenants: 'Users' }, (ctx) => {
  describe('tenants', () => {
    it('creates with a derived slug and default config, canonicalising the time zone', async () => {
      const created = await ctx.server.api.post('/api/v1/tenants', { name: 'Compañía Ñandú S.A.', config: { timezone: 'america/new_york', language: 'es' } }, ctx.superAdmin);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.slug, 'compania-nandu-s-a');
      assert.deepEqual(created.body.config, { timezone: 'America/New_York', language: 'es', theme: 'system' });
      assert.equal(created.body.is_active, true);
      const fetched = await ctx.server.api.get(`/api/v1/tenants/${created.body.id}`, ctx.superAdmin);
      assert.deepEqual(fetched.body, created.body);
    });

    it('rejects unknown time zones, bad slugs and duplicate slugs', async () => {
      assert.equal((await ctx.server.api.post('/api/v1/tenants', { name: 'X', config: { timezone: 'Mars/Olympus' } }, ctx.superAdmin)).status, 400);
      assert.equal((await ctx.server.api.post('/api/v1/tenants', { name: 'X', slug: 'Bad Slug' }, ctx.superAdmin)).status, 400);
      assert.equal((await ctx.server.api.post('/api/v1/tenants', { name: 'X', config: { language: 'fr' } }, ctx.superAdmin)).status, 400);
      assert.equal((await ctx.server.api.post('/api/v1/tenants', { name: 'Dup', slug: 'dup' }, ctx.superAdmin)).status, 201);
      const dup = await ctx.server.api.post('/api/v1/tenants', { name: 'Dup 2', slug: 'dup' }, ctx.superAdmin);
      assert.equal(dup.status, 409);
      assert.deepEqual(dup.body.errors, [{ field: 'slug', message: 'is already another tenant\'s', code: 'taken' }], 'the field a form shows it under');
      // Without a slug, it comes from the name: the name is the field to change.
      const derived = await ctx.server.api.post('/api/v1/tenants', { name: 'DUP' }, ctx.superAdmin);
      assert.equal(derived.status, 409);
      assert.deepEqual(derived.body.errors, [{ field: 'name', message: 'gives the slug "dup", which is already another tenant\'s', code: 'slug_taken', params: { value: 'dup' } }]);
      const list = await ctx.server.api.get('/api/v1/tenants?q=dup', ctx.superAdmin);
      assert.equal(list.body.items.length, 1, 'the rejected duplicate created nothing');
    });

    it('patches name and config (merging), and pages the list with a cursor', async () => {
      const t = await ctx.server.api.createTenant(ctx.superAdmin, 'Patchable');
      const patched = await ctx.server.api.patch(`/api/v1/tenants/${t.id}`, { name: 'Patched', config: { theme: 'dark' } }, ctx.superAdmin);
      assert.equal(patched.status, 200);
      assert.equal(patched.body.name, 'Patched');
      assert.equal(patched.body.config.theme, 'dark');
      assert.equal(patched.body.config.timezone, 'UTC');
      assert.equal((await ctx.server.api.patch(`/api/v1/tenants/${t.id}`, {}, ctx.superAdmin)).status, 400);

      const seen = new Set<string>();
      let url = '/api/v1/tenants?limit=2';
      for (let page = 0; page < 20; page++) {
        const response = await ctx.server.api.get(url, ctx.superAdmin);
        assert.equal(response.status, 200);
        assert.ok(response.body.items.length <= 2);
        for (const item of response.body.items) {
          assert.ok(!seen.has(item.id), 'no tenant appears twice');
          seen.add(item.id);
        }
        if (response.body.next_cursor === null) break;
        url = `/api/v1/tenants?limit=2&cursor=${response.body.next_cursor}`;
      }
      const all = await ctx.server.api.get('/api/v1/tenants?limit=500', ctx.superAdmin);
      assert.equal(seen.size, all.body.items.length);
      assert.equal((await ctx.server.api.get('/api/v1/tenants?cursor=garbage!!', ctx.superAdmin)).status, 400);
      assert.equal((await ctx.server.api.get('/api/v1/tenants?limit=501', ctx.superAdmin)).status, 400);
      assert.equal((await ctx.server.api.get('/api/v1/tenants?limit=0', ctx.superAdmin)).status, 400);
    });

    it('deactivating a tenant ends its users\' sessions and blocks their logins; reactivating restores login', async () => {
      const t = await ctx.server.api.createTenant(ctx.superAdmin, 'Soon Inactive');
      const user = await ctx.server.api.createUser(ctx.superAdmin, t.id, 'inactive.user', 'ADMIN');
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 200);
      assert.equal((await ctx.server.api.patch(`/api/v1/tenants/${t.id}`, { is_active: false }, ctx.superAdmin)).status, 200);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
      assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: user.refresh })).status, 401);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'inactive.user', password: PASSWORD })).status, 401);
      await ctx.server.api.patch(`/api/v1/tenants/${t.id}`, { is_active: true }, ctx.superAdmin);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'inactive.user', password: PASSWORD })).status, 200);
    });

    it('deletes a tenant with its users and tickets', async () => {
      const t = await ctx.server.api.createTenant(ctx.superAdmin, 'Doomed');
      const user = await ctx.server.api.createUser(ctx.superAdmin, t.id, 'doomed.user', 'ADMIN');
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'x' }, user.token)).status, 201);
      assert.equal((await ctx.server.api.delete(`/api/v1/tenants/${t.id}`, ctx.superAdmin)).status, 204);
      assert.equal((await ctx.server.api.get(`/api/v1/tenants/${t.id}`, ctx.superAdmin)).status, 404);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
      const tickets = await ctx.server.db.kysely.selectFrom('tickets').select('id').where('tenant_id', '=', t.id).execute();
      assert.equal(tickets.length, 0);
      assert.equal((await ctx.server.api.delete(`/api/v1/tenants/${t.id}`, ctx.superAdmin)).status, 404);
    });

    it('is SUPER_ADMIN only', async () => {
      const t = await ctx.server.api.createTenant(ctx.superAdmin, 'Tenant Admins Cannot');
      const tenantAdmin = await ctx.server.api.createUser(ctx.superAdmin, t.id, 'tadmin', 'ADMIN');
      assert.equal((await ctx.server.api.get('/api/v1/tenants', tenantAdmin.token)).status, 403);
      assert.equal((await ctx.server.api.get(`/api/v1/tenants/${t.id}`, tenantAdmin.token)).status, 403);
      assert.equal((await ctx.server.api.post('/api/v1/tenants', { name: 'Nope' }, tenantAdmin.token)).status, 403);
      assert.equal((await ctx.server.api.patch(`/api/v1/tenants/${t.id}`, { name: 'Nope' }, tenantAdmin.token)).status, 403);
      assert.equal((await ctx.server.api.delete(`/api/v1/tenants/${t.id}`, tenantAdmin.token)).status, 403);
      const denied = await ctx.server.api.get('/api/v1/audit-logs?action=permission.denied', ctx.superAdmin);
      assert.ok(denied.body.items.some((e: { actor_username: string }) => e.actor_username === 'tadmin'));
    });
  });

  describe('users', () => {
    it('a tenant ADMIN creates users in its own tenant only (a tenant_id it sends is ignored)', async () => {
      const created = await ctx.server.api.post('/api/v1/users', { username: 'New.Person', email: 'New@A.example', password: PASSWORD, role: 'OPERATOR', tenant_id: ctx.b.id }, ctx.a.admin.token);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.tenant_id, ctx.a.id);
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
        const response = await ctx.server.api.post('/api/v1/users', { username: 'policy.user', password, role: 'VIEWER' }, ctx.a.admin.token);
        assert.equal(response.status, 400, password);
        assert.ok(response.body.errors.some((e: { message: string }) => e.message === message), `${password}: ${response.text}`);
      }
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'policy.user', password: 'x'.repeat(129), role: 'VIEWER' }, ctx.a.admin.token)).status, 400);
      assert.equal((await ctx.server.api.get('/api/v1/users?q=policy', ctx.a.admin.token)).body.items.length, 0);
    });

    it('rejects duplicate usernames and e-mails across tenants with 409', async () => {
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'new.person', password: PASSWORD, role: 'VIEWER' }, ctx.b.admin.token)).status, 409);
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'other.person', email: 'NEW@a.example', password: PASSWORD, role: 'VIEWER' }, ctx.b.admin.token)).status, 409);
    });

    it('rejects SUPER_ADMIN as a role and unknown or platform permissions', async () => {
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'SUPER_ADMIN' }, ctx.a.admin.token)).status, 400);
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'VIEWER', permissions: ['tenants:write'] }, ctx.a.admin.token)).status, 400);
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'wannabe', password: PASSWORD, role: 'VIEWER', permissions: ['root'] }, ctx.a.admin.token)).status, 400);
    });

    it('SUPER_ADMIN must name an existing tenant', async () => {
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'orphan', password: PASSWORD, role: 'VIEWER' }, ctx.superAdmin)).status, 400);
      // An unknown tenant is 404, as on every tenant-owned route.
      assert.equal((await ctx.server.api.post('/api/v1/users', { username: 'orphan', password: PASSWORD, role: 'VIEWER', tenant_id: '01900000-0000-7000-8000-000000000000' }, ctx.superAdmin)).status, 404);
      const all = await ctx.server.api.get('/api/v1/users?limit=500', ctx.superAdmin);
      assert.ok(all.body.items.some((u: { tenant_id: string }) => u.tenant_id === ctx.a.id));
      assert.ok(all.body.items.some((u: { tenant_id: string }) => u.tenant_id === ctx.b.id));
      const onlyB = await ctx.server.api.get(`/api/v1/users?tenant_id=${ctx.b.id}`, ctx.superAdmin);
      assert.ok(onlyB.body.items.length > 0);
      assert.ok(onlyB.body.items.every((u: { tenant_id: string }) => u.tenant_id === ctx.b.id));
    });

    it('SUPER_ADMIN lists exactly one tenant\'s users with ?tenant_id=', async () => {
      for (const [tenant, other] of [[ctx.a, ctx.b], [ctx.b, ctx.a]] as const) {
        const response = await ctx.server.api.get(`/api/v1/users?limit=500&tenant_id=${tenant.id}`, ctx.superAdmin);
        assert.equal(response.status, 200, response.text);
        const ids = response.body.items.map((u: { id: string }) => u.id);
        for (const user of [tenant.admin, tenant.manager, tenant.operator, tenant.viewer]) assert.ok(ids.includes(user.id), `${tenant.name} lists ${user.username}`);
        for (const user of [other.admin, other.viewer]) assert.ok(!ids.includes(user.id), `${tenant.name} does not list ${user.username}`);
        assert.ok(response.body.items.every((u: { tenant_id: string }) => u.tenant_id === tenant.id));
      }
    });

    it('SUPER_ADMIN gets 404 listing the users of an unknown tenant', async () => {
      const response = await ctx.server.api.get('/api/v1/users?tenant_id=01900000-0000-7000-8000-000000000000', ctx.superAdmin);
      assert.equal(response.status, 404, response.text);
    });

    it('extra permissions widen a role', async () => {
      const viewer = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'viewer.plus', 'VIEWER', { permissions: ['tickets:write'] });
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'by a viewer with tickets:write' }, viewer.token)).status, 201);
      // `permissions` means the extra grants wherever it appears; the effective set is `effective_permissions`.
      const user = (await ctx.server.api.get(`/api/v1/users/${viewer.id}`, ctx.a.admin.token)).body;
      const me = (await ctx.server.api.get('/api/v1/auth/me', viewer.token)).body;
      for (const shown of [user, me]) {
        assert.deepEqual(shown.permissions, ['tickets:write']);
        assert.ok(shown.effective_permissions.includes('tickets:write') && shown.effective_permissions.includes('alerts:read'));
      }
      assert.deepEqual(me.effective_permissions, user.effective_permissions);
      const plain = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'viewer.plain', 'VIEWER');
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'denied' }, plain.token)).status, 403);
    });

    it('a role change applies on the next request; disabling ends sessions', async () => {
      const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'role.change', 'VIEWER');
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'no' }, user.token)).status, 403);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${user.id}`, { role: 'OPERATOR' }, ctx.a.admin.token)).status, 200);
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'yes' }, user.token)).status, 201);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${user.id}`, { role: 'VIEWER' }, ctx.a.admin.token)).status, 200);
      assert.equal((await ctx.server.api.post('/api/v1/tickets', { title: 'no again' }, user.token)).status, 403);

      assert.equal((await ctx.server.api.patch(`/api/v1/users/${user.id}`, { is_active: false }, ctx.a.admin.token)).status, 200);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
      assert.equal((await ctx.server.api.post('/api/v1/auth/refresh', { refresh_token: user.refresh })).status, 401);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'role.change', password: PASSWORD })).status, 401);
    });

    it('an admin cannot demote, disable or delete itself', async () => {
      const me = await ctx.server.api.get('/api/v1/auth/me', ctx.a.admin.token);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${me.body.id}`, { role: 'VIEWER' }, ctx.a.admin.token)).status, 400);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${me.body.id}`, { is_active: false }, ctx.a.admin.token)).status, 400);
      assert.equal((await ctx.server.api.delete(`/api/v1/users/${me.body.id}`, ctx.a.admin.token)).status, 400);
    });

    it('an admin password reset ends the user\'s sessions; delete removes the user', async () => {
      const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'reset.me', 'VIEWER');
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${user.id}`, { password: 'Another-Good-Pass-3' }, ctx.a.admin.token)).status, 200);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'reset.me', password: 'Another-Good-Pass-3' })).status, 200);
      assert.equal((await ctx.server.api.delete(`/api/v1/users/${user.id}`, ctx.a.admin.token)).status, 204);
      assert.equal((await ctx.server.api.get(`/api/v1/users/${user.id}`, ctx.a.admin.token)).status, 404);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'reset.me', password: 'Another-Good-Pass-3' })).status, 401);
    });

    it('an admin lists and ends a user\'s sessions; other roles and other tenants cannot', async () => {
      const user = await ctx.server.api.createUser(ctx.superAdmin, ctx.a.id, 'lost.laptop', 'OPERATOR');
      await ctx.server.api.login('lost.laptop', PASSWORD);
      const listed = await ctx.server.api.get(`/api/v1/users/${user.id}/sessions`, ctx.a.admin.token);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.items.length, 2);
      assert.ok(listed.body.items.every((s: { current: boolean }) => !s.current));
      assert.equal((await ctx.server.api.get(`/api/v1/users/${user.id}/sessions`, ctx.b.admin.token)).status, 404);
      assert.equal((await ctx.server.api.delete(`/api/v1/users/${user.id}/sessions`, ctx.b.admin.token)).status, 404);
      assert.equal((await ctx.server.api.get(`/api/v1/users/${user.id}/sessions`, user.token)).status, 403);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 200, 'failed attempts changed nothing');
      assert.equal((await ctx.server.api.delete(`/api/v1/users/${user.id}/sessions`, ctx.a.admin.token)).status, 204);
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', user.token)).status, 401);
      assert.equal((await ctx.server.api.get(`/api/v1/users/${user.id}/sessions`, ctx.a.admin.token)).body.items.length, 0);
      assert.equal((await ctx.server.api.post('/api/v1/auth/login', { username: 'lost.laptop', password: PASSWORD })).status, 200);
    });

    it('another tenant\'s users are 404 for every route', async () => {
      const victim = await ctx.server.api.createUser(ctx.superAdmin, ctx.b.id, 'victim.b', 'OPERATOR');
      assert.equal((await ctx.server.api.get(`/api/v1/users/${victim.id}`, ctx.a.admin.token)).status, 404);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${victim.id}`, { role: 'VIEWER' }, ctx.a.admin.token)).status, 404);
      assert.equal((await ctx.server.api.patch(`/api/v1/users/${victim.id}`, { password: 'Hijacked-Pass-99' }, ctx.a.admin.token)).status, 404);
      assert.equal((await ctx.server.api.delete(`/api/v1/users/${victim.id}`, ctx.a.admin.token)).status, 404);
      const list = await ctx.server.api.get(`/api/v1/users?limit=500&tenant_id=${ctx.b.id}`, ctx.a.admin.token);
      assert.ok(list.body.items.some((u: { id: string }) => u.id === ctx.a.admin.id), 'the caller\'s own tenant is listed');
      assert.ok(!list.body.items.some((u: { id: string }) => u.id === victim.id));
      assert.ok(list.body.items.every((u: { tenant_id: string }) => u.tenant_id === ctx.a.id));
      const still = await ctx.server.api.get(`/api/v1/users/${victim.id}`, ctx.b.admin.token);
      assert.equal(still.status, 200);
      assert.equal(still.body.role, 'OPERATOR');
      assert.equal((await ctx.server.api.get('/api/v1/auth/me', victim.token)).status, 200, 'the victim\'s session survived');
    });

    it('role matrix for user management', async () => {
      const roles = ['MANAGER', 'OPERATOR', 'VIEWER'] as const;
      const expected: Record<(typeof roles)[number], { read: number; write: number }> = {
        MANAGER: { read: 200, write: 403 },
        OPERATOR: { read: 200, write: 403 },
        VIEWER: { read: 403, write: 403 },
      };
      for (const role of roles) {
        const user = { MANAGER: ctx.a.manager, OPERATOR: ctx.a.operator, VIEWER: ctx.a.viewer }[role];
        assert.equal((await ctx.server.api.get('/api/v1/users', user.token)).status, expected[role].read, `${role} list`);
        assert.equal((await ctx.server.api.get(`/api/v1/users/${user.id}`, user.token)).status, expected[role].read, `${role} get`);
        assert.equal((await ctx.server.api.post('/api/v1/users', { username: `made.by.${role.toLowerCase()}`, password: PASSWORD, role: 'VIEWER' }, user.token)).status, expected[role].write, `${role} create`);
        assert.equal((await ctx.server.api.patch(`/api/v1/users/${user.id}`, { email: 'x@y.example' }, user.token)).status, expected[role].write, `${role} patch`);
        assert.equal((await ctx.server.api.delete(`/api/v1/users/${user.id}`, user.token)).status, expected[role].write, `${role} delete`);
        assert.equal((await ctx.server.api.get('/api/v1/audit-logs', user.token)).status, role === 'MANAGER' ? 200 : 403, `${role} audit`);
      }
    });
  });
});
