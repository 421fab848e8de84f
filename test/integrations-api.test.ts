import assert from 'node:assert/strict';
import { it } from 'node:test';
import { makeIntegration } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

const GRAFANA = { name: 'Grafana prod', type: 'grafana', config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_abc_12345678' };

forEachDialect('integrations API', { tenants: 'Integrations' }, (ctx) => {
  it('creates with type defaults, validates the config, and never returns the secret', async () => {
    const created = await ctx.server.api.post('/api/v1/integrations', GRAFANA, ctx.a.admin.token);
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.capabilities, ['METRICS', 'ALERTING', 'STATUS']);
    assert.deepEqual(created.body.config, { url: 'http://127.0.0.1:9/', verify_tls: true, poll_interval_seconds: 60 });
    assert.equal(created.body.secret_set, true);
    assert.equal(created.body.enabled, true);
    assert.equal(created.body.last_sync_at, null);
    assert.doesNotMatch(created.text, /glsa_abc_12345678/);
    const fetched = await ctx.server.api.get(`/api/v1/integrations/${created.body.id}`, ctx.a.admin.token);
    assert.doesNotMatch(fetched.text, /glsa_abc/);
    const stored = await ctx.server.db.kysely.selectFrom('secrets').select(['ciphertext']).execute();
    assert.ok(stored.length >= 1);
    assert.ok(stored.every((row) => !row.ciphertext.includes('glsa_abc')), 'the secret is encrypted at rest');
    const listed = await ctx.server.api.get('/api/v1/integrations', ctx.a.admin.token);
    assert.equal(listed.body.items.length, 1);
    assert.doesNotMatch(listed.text, /glsa_abc/);
  });

  it('rejects bad types, unsupported capabilities, bad configs and bad secrets with 400, creating nothing', async () => {
    const count = async () => (await ctx.server.api.get('/api/v1/integrations?limit=500', ctx.a.admin.token)).body.items.length;
    const before = await count();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...GRAFANA, type: 'nagios' }, 'type'],
      [{ ...GRAFANA, name: 'x', capabilities: ['VULNERABILITY_FEED'] }, 'capabilities'],
      [{ ...GRAFANA, name: 'x', capabilities: ['TELEPATHY'] }, 'capabilities'],
      [{ ...GRAFANA, name: 'x', config: {} }, 'config.url'],
      [{ ...GRAFANA, name: 'x', config: { url: 'ftp://example' } }, 'config.url'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://x', poll_interval_seconds: 1 } }, 'config.poll_interval_seconds'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://x', verify_tls: 'no' } }, 'config.verify_tls'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://x', surprise: 1 } }, 'config.surprise'],
      // Where cloud metadata services answer, written every way a URL can name it.
      [{ ...GRAFANA, name: 'x', config: { url: 'http://169.254.169.254/latest/meta-data/' } }, 'config.url'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://[::ffff:169.254.169.254]/' } }, 'config.url'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://[fe80::1]:3000/' } }, 'config.url'],
      [{ ...GRAFANA, name: 'x', config: { url: 'http://0.0.0.0:3000/' } }, 'config.url'],
      [{ ...GRAFANA, name: 'x', secret: undefined }, 'secret'],
      [{ ...GRAFANA, name: 'x', tenant_id: ctx.b.id }, 'tenant_id'],
      [{ ...GRAFANA, name: 'x', enabled: 'true' }, 'enabled'],
      [{ ...GRAFANA, name: 'x', secret: { token: 'a' } }, 'secret'],
      [{ ...GRAFANA, name: 'x', keyvault_secret_id: 'some/ref' }, 'secret'],
      [{ name: 'w', type: 'wazuh', config: { url: 'https://w:55000', username: 'wazuh' }, secret: { password: 'p', indexer_password: 'q' } }, 'config.indexer_url'],
      [{ name: 'w', type: 'wazuh', config: { url: 'https://w:55000', username: 'u', indexer_url: 'https://w:9200', indexer_username: 'admin' }, secret: 'just-a-string' }, 'secret'],
      [{ name: 'm', type: 'meraki', config: { organization_id: '12' } }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const response = await ctx.server.api.post('/api/v1/integrations', body, ctx.a.admin.token);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.ok(response.body.errors?.some((e: { field: string }) => e.field.startsWith(field)), `${field}: ${response.text}`);
      assert.ok(response.body.errors.every((e: { code?: string }) => e.code !== undefined), `every field error has a code a client can translate: ${response.text}`);
      assert.doesNotMatch(response.text, /"p"|just-a-string|"q"/, 'secret values are not echoed');
    }
    assert.equal(await count(), before);
  });

  it('fills per-type defaults (Meraki URL), accepts a secret object for Wazuh and a credential-less Prometheus', async () => {
    const meraki = await ctx.server.api.post('/api/v1/integrations', { name: 'Meraki', type: 'meraki', config: { organization_id: '549236' }, secret: 'meraki-key' }, ctx.a.admin.token);
    assert.equal(meraki.status, 201, meraki.text);
    assert.equal(meraki.body.config.url, 'https://api.meraki.com/api/v1');
    const wazuh = await ctx.server.api.post('/api/v1/integrations', {
      name: 'Wazuh', type: 'wazuh', config: { url: 'https://w:55000', username: 'wazuh-wui', indexer_url: 'https://w:9200', indexer_username: 'admin' },
      secret: { password: 'api-pass', indexer_password: 'idx-pass' },
    }, ctx.a.admin.token);
    assert.equal(wazuh.status, 201, wazuh.text);
    assert.deepEqual(wazuh.body.capabilities, ['ALERTING', 'VULNERABILITY_FEED', 'STATUS']);
    const prometheus = await ctx.server.api.post('/api/v1/integrations', { name: 'Prom', type: 'prometheus', config: { url: 'http://127.0.0.1:9/' }, capabilities: ['METRICS'] }, ctx.a.admin.token);
    assert.equal(prometheus.status, 201, prometheus.text);
    assert.equal(prometheus.body.secret_set, false);
    const paloalto = await ctx.server.api.post('/api/v1/integrations', { name: 'PA', type: 'paloalto', config: { url: 'https://fw' }, secret: { username: 'api', password: 'pw' } }, ctx.a.admin.token);
    assert.equal(paloalto.status, 201, paloalto.text);
    const taken = await ctx.server.api.post('/api/v1/integrations', { name: 'Meraki', type: 'meraki', config: { organization_id: '1' }, secret: 'k' }, ctx.a.admin.token);
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['name', 'taken']]);
  });

  it('patches by merging config, replaces or removes secrets, and keeps the credential rule', async () => {
    const created = await ctx.server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Patchable' }, ctx.a.admin.token);
    const id = created.body.id;
    const patched = await ctx.server.api.patch(`/api/v1/integrations/${id}`, { config: { poll_interval_seconds: 300 }, enabled: false }, ctx.a.admin.token);
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.config, { url: 'http://127.0.0.1:9/', verify_tls: true, poll_interval_seconds: 300 });
    assert.equal(patched.body.enabled, false);
    const secretsBefore = await ctx.server.db.kysely.selectFrom('secrets').select('id').execute();
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { secret: 'glsa_new_token' }, ctx.a.admin.token)).status, 200);
    const secretsAfter = await ctx.server.db.kysely.selectFrom('secrets').select('id').execute();
    assert.equal(secretsAfter.length, secretsBefore.length, 'the old secret is deleted when replaced');
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { secret: null }, ctx.a.admin.token)).status, 400, 'grafana needs a credential');
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { config: { url: 'nope' } }, ctx.a.admin.token)).status, 400);
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { config: { url: 'http://169.254.169.254/' } }, ctx.a.admin.token)).status, 400, 'a link-local address');
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { type: 'splunk' }, ctx.a.admin.token)).status, 400, 'the type cannot change');
    assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, {}, ctx.a.admin.token)).status, 400);
    const unchanged = await ctx.server.api.get(`/api/v1/integrations/${id}`, ctx.a.admin.token);
    assert.equal(unchanged.body.config.url, 'http://127.0.0.1:9/');
    assert.equal(unchanged.body.secret_set, true);
    assert.equal((await ctx.server.api.delete(`/api/v1/integrations/${id}`, ctx.a.admin.token)).status, 204);
    const secretsGone = await ctx.server.db.kysely.selectFrom('secrets').select('id').execute();
    assert.equal(secretsGone.length, secretsAfter.length - 1, 'deleting the integration deletes its secret');
  });

  it('reports an unreachable vendor: test answers ok:false, sync marks the system alert', async () => {
    const created = await ctx.server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Unreachable' }, ctx.a.admin.token);
    const test = await ctx.server.api.post(`/api/v1/integrations/${created.body.id}/test`, undefined, ctx.a.admin.token);
    assert.equal(test.status, 200, test.text);
    assert.equal(test.body.ok, false);
    assert.equal(test.body.reason, 'unreachable');
    const sync = await ctx.server.api.post(`/api/v1/integrations/${created.body.id}/sync`, undefined, ctx.a.admin.token);
    assert.equal(sync.status, 200, sync.text);
    assert.equal(sync.body.status, 'error');
    assert.match(sync.body.error, /unreachable|not available/);
    const after = await ctx.server.api.get(`/api/v1/integrations/${created.body.id}`, ctx.a.admin.token);
    assert.equal(after.body.last_sync_status, 'error');
    assert.ok(after.body.last_error);
    const system = await ctx.server.db.kysely.selectFrom('systems').selectAll().where('integration_id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.equal(system.status, 'alert');
    const run = await ctx.server.db.kysely.selectFrom('job_runs').selectAll().where('subject_id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.equal(run.status, 'error');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${created.body.id}`, ctx.a.admin.token);
    assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action), ['integration.sync', 'integration.test', 'integration.create']);
  });

  it('another tenant\'s integrations are 404 on every route', async () => {
    const ours = await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'A only' });
    const id = (await makeIntegration(ctx.server, ctx.b.admin.token, { ...GRAFANA, name: 'B only', enabled: true })).id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/integrations/${id}`],
      ['PATCH', `/api/v1/integrations/${id}`, { enabled: false }],
      ['DELETE', `/api/v1/integrations/${id}`],
      ['POST', `/api/v1/integrations/${id}/test`],
      ['POST', `/api/v1/integrations/${id}/sync`],
      ['GET', `/api/v1/integrations/${id}/grafana/dashboards`],
      ['GET', `/api/v1/integrations/${id}/grafana/dashboards/abc`],
      ['GET', `/api/v1/integrations/${id}/grafana/dashboards/abc/panels/1/data`],
    ];
    for (const [method, url, body] of routes) {
      for (const suffix of ['', `?tenant_id=${ctx.b.id}`]) {
        const response = await ctx.server.api.request(method, url + suffix, { token: ctx.a.admin.token, ...(body ? { body } : {}) });
        assert.equal(response.status, 404, `${method} ${url}${suffix}`);
      }
    }
    const listA = await ctx.server.api.get(`/api/v1/integrations?limit=500&tenant_id=${ctx.b.id}`, ctx.a.admin.token);
    assert.ok(listA.body.items.some((i: { id: string }) => i.id === ours.id), 'the caller\'s own tenant is listed');
    assert.ok(listA.body.items.every((i: { tenant_id: string }) => i.tenant_id === ctx.a.id));
    const still = await ctx.server.api.get(`/api/v1/integrations/${id}`, ctx.b.admin.token);
    assert.equal(still.body.enabled, true);
    assert.equal(still.body.last_sync_at, null, 'no sync ran on B\'s integration');
  });

  it('SUPER_ADMIN lists exactly one tenant\'s integrations with ?tenant_id=, and 404 for an unknown tenant', async () => {
    const owned = {
      [ctx.a.id]: (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Listed for A' })).id,
      [ctx.b.id]: (await makeIntegration(ctx.server, ctx.b.admin.token, { name: 'Listed for B' })).id,
    };
    for (const [tenant, other] of [[ctx.a.id, ctx.b.id], [ctx.b.id, ctx.a.id]] as const) {
      const response = await ctx.server.api.get(`/api/v1/integrations?limit=500&tenant_id=${tenant}`, ctx.superAdmin);
      assert.equal(response.status, 200, response.text);
      const ids = response.body.items.map((i: { id: string }) => i.id);
      assert.ok(ids.includes(owned[tenant]));
      assert.ok(!ids.includes(owned[other]));
      assert.ok(response.body.items.every((i: { tenant_id: string }) => i.tenant_id === tenant));
    }
    assert.equal((await ctx.server.api.get('/api/v1/integrations?tenant_id=01900000-0000-7000-8000-000000000000', ctx.superAdmin)).status, 404);
  });

  it('role matrix: ADMIN writes; MANAGER and OPERATOR read; VIEWER nothing', async () => {
    const id = (await ctx.server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Matrix' }, ctx.a.admin.token)).body.id;
    for (const [role, read, write] of [['MANAGER', 200, 403], ['OPERATOR', 200, 403], ['VIEWER', 403, 403]] as const) {
      const user = { MANAGER: ctx.a.manager, OPERATOR: ctx.a.operator, VIEWER: ctx.a.viewer }[role];
      assert.equal((await ctx.server.api.get('/api/v1/integrations', user.token)).status, read, `${role} list`);
      assert.equal((await ctx.server.api.get(`/api/v1/integrations/${id}`, user.token)).status, read, `${role} get`);
      assert.equal((await ctx.server.api.post('/api/v1/integrations', { ...GRAFANA, name: `by ${role}` }, user.token)).status, write, `${role} create`);
      assert.equal((await ctx.server.api.patch(`/api/v1/integrations/${id}`, { enabled: false }, user.token)).status, write, `${role} patch`);
      assert.equal((await ctx.server.api.post(`/api/v1/integrations/${id}/sync`, undefined, user.token)).status, write, `${role} sync`);
      assert.equal((await ctx.server.api.post(`/api/v1/integrations/${id}/test`, undefined, user.token)).status, write, `${role} test`);
      assert.equal((await ctx.server.api.delete(`/api/v1/integrations/${id}`, user.token)).status, write, `${role} delete`);
    }
  });

  it('the Grafana routes answer 404 for other types and 400 for bad ranges', async () => {
    const prom = (await ctx.server.api.get('/api/v1/integrations?type=prometheus', ctx.a.admin.token)).body.items[0];
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${prom.id}/grafana/dashboards`, ctx.a.admin.token)).status, 404);
    const grafana = (await ctx.server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Ranges' }, ctx.a.admin.token)).body.id;
    for (const query of ['from=yesterday', 'from=now-6x', 'from=now&to=now-1h', 'from=0&to=99999999999999']) {
      const response = await ctx.server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/abc/panels/1/data?${query}`, ctx.a.admin.token);
      assert.equal(response.status, 400, query);
    }
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/bad uid!/panels/1/data`, ctx.a.admin.token)).status, 400);
    assert.equal((await ctx.server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/abc/panels/-1/data`, ctx.a.admin.token)).status, 400);
  });
});
