import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWazuhSimulator, type WazuhSimulator } from './simulators/wazuh.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`vulnerabilities and patching (${dialect})`, () => {
    let server: TestServer;
    let sim: WazuhSimulator;
    let admin: string;
    let tenantA: string;
    let tenantB: string;
    let operatorA: { id: string; token: string };
    let viewerA: { id: string; token: string };
    let adminB: { id: string; token: string };
    let integrationId: string;

    let adminA: string;
    const sync = async () => {
      const outcome = await server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, adminA);
      assert.equal(outcome.body.status, 'success', outcome.text);
      return outcome.body;
    };

    before(async () => {
      server = await startServer(dialect, { SENTINEL_SYNC: 'off' });
      sim = await startWazuhSimulator();
      admin = await server.api.adminToken();
      tenantA = (await server.api.createTenant(admin, 'Vulns A')).id;
      tenantB = (await server.api.createTenant(admin, 'Vulns B')).id;
      adminA = (await server.api.createUser(admin, tenantA, 'vuln.admin.a', 'ADMIN')).token;
      operatorA = await server.api.createUser(admin, tenantA, 'vuln.operator.a', 'OPERATOR');
      viewerA = await server.api.createUser(admin, tenantA, 'vuln.viewer.a', 'VIEWER');
      adminB = await server.api.createUser(admin, tenantB, 'vuln.admin.b', 'ADMIN');
      const created = await server.api.post('/api/v1/integrations', {
        name: 'Wazuh', type: 'wazuh', capabilities: ['VULNERABILITY_FEED', 'STATUS'],
        config: { url: sim.url, username: sim.credentials.username, indexer_url: sim.indexerUrl, indexer_username: sim.credentials.indexer_username },
        secret: { password: sim.credentials.password, indexer_password: sim.credentials.indexer_password },
      }, adminA);
      assert.equal(created.status, 201, created.text);
      integrationId = created.body.id;
    });
    after(async () => {
      await server.close();
      await sim.close();
    });

    it('the sync fills the vulnerability list; filters and cursor paging work', async () => {
      const outcome = await sync();
      assert.ok(outcome.vulnerabilities > 0);
      const all = await server.api.get('/api/v1/vulnerabilities?limit=500', viewerA.token);
      assert.equal(all.status, 200, all.text);
      assert.equal(all.body.items.length, outcome.vulnerabilities);
      assert.ok(all.body.items.every((v: { status: string; cve: string }) => v.status === 'open' && /^CVE-/.test(v.cve)));
      const critical = await server.api.get('/api/v1/vulnerabilities?severity=critical&limit=500', viewerA.token);
      assert.ok(critical.body.items.length > 0 && critical.body.items.every((v: { severity: string }) => v.severity === 'critical'));
      const cve = all.body.items[0].cve;
      const byCve = await server.api.get(`/api/v1/vulnerabilities?cve=${cve.toLowerCase()}`, viewerA.token);
      assert.ok(byCve.body.items.length >= 1 && byCve.body.items.every((v: { cve: string }) => v.cve === cve));
      const page = await server.api.get('/api/v1/vulnerabilities?limit=2', viewerA.token);
      assert.equal(page.body.items.length, 2);
      assert.ok(page.body.next_cursor);
      for (const bad of ['status=fixed', 'severity=urgent', 'cve=%20bad%20', 'system_id=nope', 'since=soon']) {
        assert.equal((await server.api.get(`/api/v1/vulnerabilities?${bad}`, viewerA.token)).status, 400, bad);
      }
    });

    it('patch starts a patch job (409 twice); the feed dropping the finding resolves it and completes the job', async () => {
      const list = await server.api.get('/api/v1/vulnerabilities?status=open&limit=500', viewerA.token);
      const target = list.body.items[0];
      const patched = await server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, { note: 'Rolling out openssl update', scheduled_at: '2026-12-01T02:00:00Z' }, operatorA.token);
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.status, 'patching');
      assert.equal(patched.body.patch_jobs.length, 1);
      assert.deepEqual(
        { status: patched.body.patch_jobs[0].status, requested_by: patched.body.patch_jobs[0].requested_by, note: patched.body.patch_jobs[0].note, scheduled_at: patched.body.patch_jobs[0].scheduled_at },
        { status: 'pending', requested_by: operatorA.id, note: 'Rolling out openssl update', scheduled_at: '2026-12-01T02:00:00.000Z' },
      );
      assert.equal((await server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, {}, operatorA.token)).status, 409);
      assert.equal((await server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, { scheduled_at: 'tomorrow' }, operatorA.token)).status, 400);

      // Still reported by the feed: stays patching.
      await sync();
      assert.equal((await server.api.get(`/api/v1/vulnerabilities/${target.id}`, viewerA.token)).body.status, 'patching');
      // The agent got the fix: the feed stops reporting it.
      const [agentId, cve, pkg] = [target.asset, target.cve, target.package];
      const before = sim.data.vulnerabilities.length;
      sim.data.vulnerabilities = sim.data.vulnerabilities.filter((doc) => {
        const d = doc as { agent: { name: string }; vulnerability: { id: string }; package: { name: string } };
        return !(d.agent.name === agentId && d.vulnerability.id === cve && d.package.name === pkg);
      });
      assert.ok(sim.data.vulnerabilities.length < before);
      await sync();
      const after = await server.api.get(`/api/v1/vulnerabilities/${target.id}`, viewerA.token);
      assert.equal(after.body.status, 'resolved');
      assert.ok(after.body.resolved_at);
      assert.equal(after.body.patch_jobs[0].status, 'completed');
      assert.ok(after.body.patch_jobs[0].completed_at);
      assert.equal((await server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, {}, operatorA.token)).status, 409, 'resolved cannot be patched');
      assert.equal((await server.api.post(`/api/v1/vulnerabilities/${target.id}/resolve`, {}, operatorA.token)).status, 409);
    });

    it('resolve by hand completes a pending patch job; audit records patch and resolve', async () => {
      const open = (await server.api.get('/api/v1/vulnerabilities?status=open&limit=500', viewerA.token)).body.items[0];
      await server.api.post(`/api/v1/vulnerabilities/${open.id}/patch`, {}, operatorA.token);
      const resolved = await server.api.post(`/api/v1/vulnerabilities/${open.id}/resolve`, { note: 'Host decommissioned' }, operatorA.token);
      assert.equal(resolved.status, 200, resolved.text);
      assert.equal(resolved.body.status, 'resolved');
      assert.equal(resolved.body.patch_jobs[0].status, 'completed');
      assert.equal(resolved.body.patch_jobs[0].note, 'Host decommissioned');
      const audit = await server.api.get(`/api/v1/audit-logs?resource_id=${open.id}`, adminA);
      assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action).filter((a: string) => a !== 'vulnerability.get'), ['vulnerability.resolve', 'vulnerability.patch']);
    });

    it('roles and tenants: VIEWER cannot patch; another tenant gets 404 everywhere', async () => {
      const open = (await server.api.get('/api/v1/vulnerabilities?status=open&limit=500', viewerA.token)).body.items[0];
      assert.equal((await server.api.post(`/api/v1/vulnerabilities/${open.id}/patch`, {}, viewerA.token)).status, 403);
      for (const [method, url, body] of [
        ['GET', `/api/v1/vulnerabilities/${open.id}`],
        ['POST', `/api/v1/vulnerabilities/${open.id}/patch`, {}],
        ['POST', `/api/v1/vulnerabilities/${open.id}/resolve`, {}],
      ] as [string, string, unknown?][]) {
        for (const suffix of ['', `?tenant_id=${tenantA}`]) {
          assert.equal((await server.api.request(method, url + suffix, { token: adminB.token, ...(body ? { body } : {}) })).status, 404, `${method} ${url}${suffix}`);
        }
      }
      assert.equal((await server.api.get(`/api/v1/vulnerabilities?tenant_id=${tenantA}`, adminB.token)).body.items.length, 0);
      assert.equal((await server.api.get(`/api/v1/vulnerabilities/${open.id}`, viewerA.token)).body.status, 'open', 'unchanged');
    });
  });
}
