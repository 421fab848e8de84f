import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

const GRAFANA = { name: 'Grafana prod', type: 'grafana', config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_abc_12345678' };

for (const dialect of dialects()) {
  describe(`integrations API (${dialect})`, () => {
    let server: TestServer;
    let admin: string;
    let tenantA: string;
    let tenantB: string;
    let adminA: { id: string; token: string };
    let adminB: { id: string; token: string };

    before(async () => {
      server = await startServer(dialect);
      admin = await server.api.adminToken();
      tenantA = (await server.api.createTenant(admin, 'Integrations A')).id;
      tenantB = (await server.api.createTenant(admin, 'Integrations B')).id;
      adminA = await server.api.createUser(admin, tenantA, 'int.admin.a', 'ADMIN');
      adminB = await server.api.createUser(admin, tenantB, 'int.admin.b', 'ADMIN');
    });
    after(() => server.close());

    it('creates with type defaults, validates the config, and never returns the secret', async () => {
      const created = await server.api.post('/api/v1/integrations', GRAFANA, adminA.token);
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.capabilities, ['METRICS', 'ALERTING', 'STATUS']);
      assert.deepEqual(created.body.config, { url: 'http://127.0.0.1:9/', verify_tls: true, poll_interval_seconds: 60 });
      assert.equal(created.body.secret_set, true);
      assert.equal(created.body.enabled, true);
      assert.equal(created.body.last_sync_at, null);
      assert.doesNotMatch(created.text, /glsa_abc_12345678/);
      const fetched = await server.api.get(`/api/v1/integrations/${created.body.id}`, adminA.token);
      assert.doesNotMatch(fetched.text, /glsa_abc/);
      const stored = await server.db.kysely.selectFrom('secrets').select(['ciphertext']).execute();
      assert.ok(stored.length >= 1);
      assert.ok(stored.every((row) => !row.ciphertext.includes('glsa_abc')), 'the secret is encrypted at rest');
      const listed = await server.api.get('/api/v1/integrations', adminA.token);
      assert.equal(listed.body.items.length, 1);
      assert.doesNotMatch(listed.text, /glsa_abc/);
    });

    it('rejects bad types, unsupported capabilities, bad configs and bad secrets with 400, creating nothing', async () => {
      const count = async () => (await server.api.get('/api/v1/integrations?limit=500', adminA.token)).body.items.length;
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
        [{ ...GRAFANA, name: 'x', secret: undefined }, 'secret'],
        [{ ...GRAFANA, name: 'x', tenant_id: tenantB }, 'tenant_id'],
        [{ ...GRAFANA, name: 'x', enabled: 'true' }, 'enabled'],
        [{ ...GRAFANA, name: 'x', secret: { token: 'a' } }, 'secret'],
        [{ ...GRAFANA, name: 'x', keyvault_secret_id: 'some/ref' }, 'secret'],
        [{ name: 'w', type: 'wazuh', config: { url: 'https://w:55000', username: 'wazuh' }, secret: { password: 'p', indexer_password: 'q' } }, 'config.indexer_url'],
        [{ name: 'w', type: 'wazuh', config: { url: 'https://w:55000', username: 'u', indexer_url: 'https://w:9200', indexer_username: 'admin' }, secret: 'just-a-string' }, 'secret'],
        [{ name: 'm', type: 'meraki', config: { organization_id: '12' } }, 'secret'],
      ];
      for (const [body, field] of cases) {
        const response = await server.api.post('/api/v1/integrations', body, adminA.token);
        assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
        assert.ok(response.body.errors?.some((e: { field: string }) => e.field.startsWith(field)), `${field}: ${response.text}`);
        assert.doesNotMatch(response.text, /"p"|just-a-string|"q"/, 'secret values are not echoed');
      }
      assert.equal(await count(), before);
    });

    it('fills per-type defaults (Meraki URL), accepts a secret object for Wazuh and a credential-less Prometheus', async () => {
      const meraki = await server.api.post('/api/v1/integrations', { name: 'Meraki', type: 'meraki', config: { organization_id: '549236' }, secret: 'meraki-key' }, adminA.token);
      assert.equal(meraki.status, 201, meraki.text);
      assert.equal(meraki.body.config.url, 'https://api.meraki.com/api/v1');
      const wazuh = await server.api.post('/api/v1/integrations', {
        name: 'Wazuh', type: 'wazuh', config: { url: 'https://w:55000', username: 'wazuh-wui', indexer_url: 'https://w:9200', indexer_username: 'admin' },
        secret: { password: 'api-pass', indexer_password: 'idx-pass' },
      }, adminA.token);
      assert.equal(wazuh.status, 201, wazuh.text);
      assert.deepEqual(wazuh.body.capabilities, ['ALERTING', 'VULNERABILITY_FEED', 'STATUS']);
      const prometheus = await server.api.post('/api/v1/integrations', { name: 'Prom', type: 'prometheus', config: { url: 'http://127.0.0.1:9/' }, capabilities: ['METRICS'] }, adminA.token);
      assert.equal(prometheus.status, 201, prometheus.text);
      assert.equal(prometheus.body.secret_set, false);
      const paloalto = await server.api.post('/api/v1/integrations', { name: 'PA', type: 'paloalto', config: { url: 'https://fw' }, secret: { username: 'api', password: 'pw' } }, adminA.token);
      assert.equal(paloalto.status, 201, paloalto.text);
      assert.equal((await server.api.post('/api/v1/integrations', { name: 'Meraki', type: 'meraki', config: { organization_id: '1' }, secret: 'k' }, adminA.token)).status, 409);
    });

    it('patches by merging config, replaces or removes secrets, and keeps the credential rule', async () => {
      const created = await server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Patchable' }, adminA.token);
      const id = created.body.id;
      const patched = await server.api.patch(`/api/v1/integrations/${id}`, { config: { poll_interval_seconds: 300 }, enabled: false }, adminA.token);
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body.config, { url: 'http://127.0.0.1:9/', verify_tls: true, poll_interval_seconds: 300 });
      assert.equal(patched.body.enabled, false);
      const secretsBefore = await server.db.kysely.selectFrom('secrets').select('id').execute();
      assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, { secret: 'glsa_new_token' }, adminA.token)).status, 200);
      const secretsAfter = await server.db.kysely.selectFrom('secrets').select('id').execute();
      assert.equal(secretsAfter.length, secretsBefore.length, 'the old secret is deleted when replaced');
      assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, { secret: null }, adminA.token)).status, 400, 'grafana needs a credential');
      assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, { config: { url: 'nope' } }, adminA.token)).status, 400);
      assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, { type: 'splunk' }, adminA.token)).status, 400, 'the type cannot change');
      assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, {}, adminA.token)).status, 400);
      const unchanged = await server.api.get(`/api/v1/integrations/${id}`, adminA.token);
      assert.equal(unchanged.body.config.url, 'http://127.0.0.1:9/');
      assert.equal(unchanged.body.secret_set, true);
      assert.equal((await server.api.delete(`/api/v1/integrations/${id}`, adminA.token)).status, 204);
      const secretsGone = await server.db.kysely.selectFrom('secrets').select('id').execute();
      assert.equal(secretsGone.length, secretsAfter.length - 1, 'deleting the integration deletes its secret');
    });

    it('reports an unreachable vendor: test answers ok:false, sync marks the system alert', async () => {
      const created = await server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Unreachable' }, adminA.token);
      const test = await server.api.post(`/api/v1/integrations/${created.body.id}/test`, undefined, adminA.token);
      assert.equal(test.status, 200, test.text);
      assert.equal(test.body.ok, false);
      const sync = await server.api.post(`/api/v1/integrations/${created.body.id}/sync`, undefined, adminA.token);
      assert.equal(sync.status, 200, sync.text);
      assert.equal(sync.body.status, 'error');
      assert.match(sync.body.error, /unreachable|not available/);
      const after = await server.api.get(`/api/v1/integrations/${created.body.id}`, adminA.token);
      assert.equal(after.body.last_sync_status, 'error');
      assert.ok(after.body.last_error);
      const system = await server.db.kysely.selectFrom('systems').selectAll().where('integration_id', '=', created.body.id).executeTakeFirstOrThrow();
      assert.equal(system.status, 'alert');
      const run = await server.db.kysely.selectFrom('job_runs').selectAll().where('subject_id', '=', created.body.id).executeTakeFirstOrThrow();
      assert.equal(run.status, 'error');
      const audit = await server.api.get(`/api/v1/audit-logs?resource_id=${created.body.id}`, adminA.token);
      assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action), ['integration.sync', 'integration.test', 'integration.create']);
    });

    it('another tenant\'s integrations are 404 on every route', async () => {
      const theirs = await server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'B only' }, adminB.token);
      const id = theirs.body.id;
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
        for (const suffix of ['', `?tenant_id=${tenantB}`]) {
          const response = await server.api.request(method, url + suffix, { token: adminA.token, ...(body ? { body } : {}) });
          assert.equal(response.status, 404, `${method} ${url}${suffix}`);
        }
      }
      const listA = await server.api.get(`/api/v1/integrations?limit=500&tenant_id=${tenantB}`, adminA.token);
      assert.ok(listA.body.items.every((i: { tenant_id: string }) => i.tenant_id === tenantA));
      const still = await server.api.get(`/api/v1/integrations/${id}`, adminB.token);
      assert.equal(still.body.enabled, true);
      assert.equal(still.body.last_sync_at, null, 'no sync ran on B\'s integration');
    });

    it('role matrix: ADMIN writes; MANAGER and OPERATOR read; VIEWER nothing', async () => {
      const id = (await server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Matrix' }, adminA.token)).body.id;
      for (const [role, read, write] of [['MANAGER', 200, 403], ['OPERATOR', 200, 403], ['VIEWER', 403, 403]] as const) {
        const user = await server.api.createUser(admin, tenantA, `int.${role.toLowerCase()}`, role);
        assert.equal((await server.api.get('/api/v1/integrations', user.token)).status, read, `${role} list`);
        assert.equal((await server.api.get(`/api/v1/integrations/${id}`, user.token)).status, read, `${role} get`);
        assert.equal((await server.api.post('/api/v1/integrations', { ...GRAFANA, name: `by ${role}` }, user.token)).status, write, `${role} create`);
        assert.equal((await server.api.patch(`/api/v1/integrations/${id}`, { enabled: false }, user.token)).status, write, `${role} patch`);
        assert.equal((await server.api.post(`/api/v1/integrations/${id}/sync`, undefined, user.token)).status, write, `${role} sync`);
        assert.equal((await server.api.post(`/api/v1/integrations/${id}/test`, undefined, user.token)).status, write, `${role} test`);
        assert.equal((await server.api.delete(`/api/v1/integrations/${id}`, user.token)).status, write, `${role} delete`);
      }
    });

    it('the Grafana routes answer 404 for other types and 400 for bad ranges', async () => {
      const prom = (await server.api.get('/api/v1/integrations?type=prometheus', adminA.token)).body.items[0];
      assert.equal((await server.api.get(`/api/v1/integrations/${prom.id}/grafana/dashboards`, adminA.token)).status, 404);
      const grafana = (await server.api.post('/api/v1/integrations', { ...GRAFANA, name: 'Ranges' }, adminA.token)).body.id;
      for (const query of ['from=yesterday', 'from=now-6x', 'from=now&to=now-1h', 'from=0&to=99999999999999']) {
        const response = await server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/abc/panels/1/data?${query}`, adminA.token);
        assert.equal(response.status, 400, query);
      }
      assert.equal((await server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/bad uid!/panels/1/data`, adminA.token)).status, 400);
      assert.equal((await server.api.get(`/api/v1/integrations/${grafana}/grafana/dashboards/abc/panels/-1/data`, adminA.token)).status, 400);
    });
  });
}
