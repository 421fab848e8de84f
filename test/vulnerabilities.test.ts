import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startWazuhSimulator, type WazuhSimulator } from './simulators/wazuh.ts';
import { makeIntegration, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

forEachDialect('vulnerabilities and patching', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Vulns', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let sim: WazuhSimulator;
  let integrationId: string;

  const sync = async () => {
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    assert.equal(outcome.body.status, 'success', outcome.text);
    return outcome.body;
  };

  before(async () => {
    sim = await startWazuhSimulator();
    integrationId = (await makeIntegration(ctx.server, ctx.a.admin.token, {
      name: 'Wazuh', type: 'wazuh', capabilities: ['VULNERABILITY_FEED', 'STATUS'], enabled: true,
      config: { url: sim.url, username: sim.credentials.username, indexer_url: sim.indexerUrl, indexer_username: sim.credentials.indexer_username },
      secret: { password: sim.credentials.password, indexer_password: sim.credentials.indexer_password },
    })).id;
  });
  after(() => sim.close());

  it('the sync fills the vulnerability list; filters and cursor paging work', async () => {
    const outcome = await sync();
    assert.ok(outcome.vulnerabilities > 0);
    const all = await ctx.server.api.get('/api/v1/vulnerabilities?limit=500', ctx.a.viewer.token);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.items.length, outcome.vulnerabilities);
    assert.ok(all.body.items.every((v: { status: string; cve: string }) => v.status === 'open' && /^CVE-/.test(v.cve)));
    const critical = await ctx.server.api.get('/api/v1/vulnerabilities?severity=critical&limit=500', ctx.a.viewer.token);
    assert.ok(critical.body.items.length > 0 && critical.body.items.every((v: { severity: string }) => v.severity === 'critical'));
    const cve = all.body.items[0].cve;
    const byCve = await ctx.server.api.get(`/api/v1/vulnerabilities?cve=${cve.toLowerCase()}`, ctx.a.viewer.token);
    assert.ok(byCve.body.items.length >= 1 && byCve.body.items.every((v: { cve: string }) => v.cve === cve));
    const page = await ctx.server.api.get('/api/v1/vulnerabilities?limit=2', ctx.a.viewer.token);
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.next_cursor);
    for (const bad of ['status=fixed', 'severity=urgent', 'cve=%20bad%20', 'system_id=nope', 'since=soon']) {
      assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities?${bad}`, ctx.a.viewer.token)).status, 400, bad);
    }
  });

  it('patch starts a patch job (409 twice); the feed dropping the finding resolves it and completes the job', async () => {
    const list = await ctx.server.api.get('/api/v1/vulnerabilities?status=open&limit=500', ctx.a.viewer.token);
    const target = list.body.items[0];
    const patched = await ctx.server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, { note: 'Rolling out openssl update', scheduled_at: '2026-12-01T02:00:00Z' }, ctx.a.operator.token);
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.status, 'patching');
    assert.equal(patched.body.patch_jobs.length, 1);
    assert.deepEqual(
      { status: patched.body.patch_jobs[0].status, requested_by: patched.body.patch_jobs[0].requested_by, note: patched.body.patch_jobs[0].note, scheduled_at: patched.body.patch_jobs[0].scheduled_at },
      { status: 'pending', requested_by: ctx.a.operator.id, note: 'Rolling out openssl update', scheduled_at: '2026-12-01T02:00:00.000Z' },
    );
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, {}, ctx.a.operator.token)).status, 409);
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, { scheduled_at: 'tomorrow' }, ctx.a.operator.token)).status, 400);

    // Still reported by the feed: stays patching.
    await sync();
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${target.id}`, ctx.a.viewer.token)).body.status, 'patching');
    // The agent got the fix: the feed stops reporting it.
    const [agentId, cve, pkg] = [target.asset, target.cve, target.package];
    const before = sim.data.vulnerabilities.length;
    sim.data.vulnerabilities = sim.data.vulnerabilities.filter((doc) => {
      const d = doc as { agent: { name: string }; vulnerability: { id: string }; package: { name: string } };
      return !(d.agent.name === agentId && d.vulnerability.id === cve && d.package.name === pkg);
    });
    assert.ok(sim.data.vulnerabilities.length < before);
    await sync();
    const after = await ctx.server.api.get(`/api/v1/vulnerabilities/${target.id}`, ctx.a.viewer.token);
    assert.equal(after.body.status, 'resolved');
    assert.ok(after.body.resolved_at);
    assert.equal(after.body.patch_jobs[0].status, 'succeeded');
    assert.ok(after.body.patch_jobs[0].completed_at);
    assert.equal(after.body.patch_jobs[0].completed_by, null, 'confirmed by the feed');
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${target.id}/patch`, {}, ctx.a.operator.token)).status, 409, 'resolved cannot be patched');
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${target.id}/resolve`, {}, ctx.a.operator.token)).status, 409);
  });

  it('resolve by hand completes a pending patch job; audit records patch and resolve', async () => {
    const open = (await ctx.server.api.get('/api/v1/vulnerabilities?status=open&limit=500', ctx.a.viewer.token)).body.items[0];
    await ctx.server.api.post(`/api/v1/vulnerabilities/${open.id}/patch`, {}, ctx.a.operator.token);
    const resolved = await ctx.server.api.post(`/api/v1/vulnerabilities/${open.id}/resolve`, { note: 'Host decommissioned' }, ctx.a.operator.token);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.status, 'resolved');
    assert.equal(resolved.body.patch_jobs[0].status, 'succeeded');
    assert.equal(resolved.body.patch_jobs[0].completed_by, ctx.a.operator.id);
    assert.equal(resolved.body.resolved_by, ctx.a.operator.id);
    assert.equal(resolved.body.patch_jobs[0].note, 'Host decommissioned');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${open.id}`, ctx.a.admin.token);
    assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action).filter((a: string) => a !== 'vulnerability.get'), ['vulnerability.resolve', 'vulnerability.patch']);
  });

  it('roles and tenants: VIEWER cannot patch; another tenant gets 404 everywhere', async () => {
    const open = (await ctx.server.api.get('/api/v1/vulnerabilities?status=open&limit=500', ctx.a.viewer.token)).body.items[0];
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${open.id}/patch`, {}, ctx.a.viewer.token)).status, 403);
    for (const [method, url, body] of [
      ['GET', `/api/v1/vulnerabilities/${open.id}`],
      ['POST', `/api/v1/vulnerabilities/${open.id}/patch`, {}],
      ['POST', `/api/v1/vulnerabilities/${open.id}/resolve`, {}],
    ] as [string, string, unknown?][]) {
      for (const suffix of ['', `?tenant_id=${ctx.a.id}`]) {
        assert.equal((await ctx.server.api.request(method, url + suffix, { token: ctx.b.admin.token, ...(body ? { body } : {}) })).status, 404, `${method} ${url}${suffix}`);
      }
    }
    const theirs = await makeVulnerability(ctx.server, ctx.b.id, { cve: 'CVE-2024-9999' });
    const listB = await ctx.server.api.get(`/api/v1/vulnerabilities?tenant_id=${ctx.a.id}&limit=500`, ctx.b.admin.token);
    assert.deepEqual(listB.body.items.map((v: { id: string }) => v.id), [theirs], 'B lists its own finding and none of A\'s');
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${open.id}`, ctx.a.viewer.token)).body.status, 'open', 'unchanged');
  });
});
