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
    const pending = patched.body.patch_jobs[0];
    assert.deepEqual(
      { status: pending.status, requested_by: pending.requested_by, requested_by_username: pending.requested_by_username, note: pending.note, scheduled_at: pending.scheduled_at, started_by_username: pending.started_by_username, completed_by_username: pending.completed_by_username },
      { status: 'pending', requested_by: ctx.a.operator.id, requested_by_username: ctx.a.operator.username, note: 'Rolling out openssl update', scheduled_at: '2026-12-01T02:00:00.000Z', started_by_username: null, completed_by_username: null },
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
    assert.deepEqual([after.body.patch_jobs[0].completed_by_username, after.body.resolved_by, after.body.resolved_by_username], [null, null, null], 'no user named for the feed');
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
    assert.equal(resolved.body.resolved_by_username, ctx.a.operator.username);
    assert.equal(resolved.body.patch_jobs[0].completed_by_username, ctx.a.operator.username);
    const listed = (await ctx.server.api.get('/api/v1/vulnerabilities?status=resolved&limit=500', ctx.a.viewer.token)).body.items.find((v: { id: string }) => v.id === open.id);
    assert.equal(listed.resolved_by_username, ctx.a.operator.username, 'the list names the user too');
    assert.equal(resolved.body.patch_jobs[0].note, 'Host decommissioned');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${open.id}`, ctx.a.admin.token);
    assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action).filter((a: string) => a !== 'vulnerability.get'), ['vulnerability.resolve', 'vulnerability.patch']);
    // An id naming no user of this tenant (another tenant's user) shows no name.
    await ctx.server.db.kysely.updateTable('vulnerabilities').set({ resolved_by: ctx.b.admin.id }).where('id', '=', open.id).execute();
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${open.id}`, ctx.a.viewer.token)).body.resolved_by_username, null);
  });

  it('severity is the CVSS band when scored (CVSS 8.6 is high), the vendor\'s word kept; the distribution explains and agrees', async () => {
    const runc = (await ctx.server.api.get('/api/v1/vulnerabilities?cve=CVE-2024-21626', ctx.a.viewer.token)).body.items[0];
    assert.deepEqual([runc.cvss_score, runc.severity, runc.severity_basis, runc.vendor_severity], [8.6, 'high', 'cvss', 'Untriaged']);
    const unscored = (await ctx.server.api.get('/api/v1/vulnerabilities?cve=CVE-2024-28757', ctx.a.viewer.token)).body.items[0];
    assert.deepEqual([unscored.cvss_score, unscored.severity, unscored.severity_basis], [null, 'info', 'vendor']);
    const distribution = (await ctx.server.api.get('/api/v1/analytics/vulnerability-distribution', ctx.a.viewer.token)).body;
    const open = (await ctx.server.api.get('/api/v1/vulnerabilities?limit=500', ctx.a.viewer.token)).body.items.filter((v: { status: string }) => v.status === 'open' || v.status === 'patching');
    const scored = open.filter((v: { cvss_score: number | null }) => v.cvss_score !== null && v.cvss_score > 0);
    for (const band of ['critical', 'high', 'medium', 'low'] as const) {
      assert.equal(distribution.by_cvss_band[band], scored.filter((v: { severity: string }) => v.severity === band).length, `${band}: severity and CVSS band agree`);
    }
    assert.equal(distribution.by_severity_basis.cvss + distribution.by_severity_basis.vendor, distribution.total);
    assert.match(distribution.severity_basis, /CVSS band/);
  });

  it('accepted risk (who, why, until when) survives the feed; an expired acceptance and a by-hand resolution the feed contradicts reopen, audited', async () => {
    const [first, second] = (await ctx.server.api.get('/api/v1/vulnerabilities?status=open&limit=500', ctx.a.viewer.token)).body.items;
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    for (const bad of [{}, { reason: '' }, { reason: 'x', until: 'soon' }, { reason: 'x', until: '2020-01-01T00:00:00Z' }, { reason: 'x', extra: 1 }]) {
      assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${first.id}/accept-risk`, bad, ctx.a.operator.token)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${first.id}/accept-risk`, { reason: 'x' }, ctx.a.viewer.token)).status, 403);
    const accepted = await ctx.server.api.post(`/api/v1/vulnerabilities/${first.id}/accept-risk`, { reason: 'Isolated lab host, compensating firewall rule', until }, ctx.a.operator.token);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.status, 'accepted_risk');
    assert.deepEqual({ ...accepted.body.accepted_risk, accepted_at: undefined }, { accepted_by: ctx.a.operator.id, accepted_by_username: ctx.a.operator.username, accepted_at: undefined, reason: 'Isolated lab host, compensating firewall rule', until: until });
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${first.id}/accept-risk`, { reason: 'again' }, ctx.a.operator.token)).status, 409);
    assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${first.id}/patch`, {}, ctx.a.operator.token)).status, 409);

    await sync();
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${first.id}`, ctx.a.viewer.token)).body.status, 'accepted_risk', 'still reported, still accepted');

    const resolved = await ctx.server.api.post(`/api/v1/vulnerabilities/${second.id}/resolve`, { note: 'Patched by hand' }, ctx.a.operator.token);
    assert.deepEqual([resolved.body.resolved_by, resolved.body.resolved_by_username], [ctx.a.operator.id, ctx.a.operator.username]);
    // The acceptance ran out.
    await ctx.server.db.kysely.updateTable('vulnerabilities').set({ accepted_until: Date.now() - 1000 }).where('id', '=', first.id).execute();
    await sync();
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${first.id}`, ctx.a.viewer.token)).body.status, 'open', 'acceptance expired');
    assert.equal((await ctx.server.api.get(`/api/v1/vulnerabilities/${second.id}`, ctx.a.viewer.token)).body.status, 'open', 'the scanner still finds it');
    for (const [id, reason] of [[first.id, 'acceptance_expired'], [second.id, 'reported_again']]) {
      const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${id}&action=vulnerability.reopen`, ctx.a.admin.token);
      assert.deepEqual(audit.body.items.map((e: { detail: { reason: string } }) => e.detail.reason), [reason]);
    }
  });

  it('patch jobs: pending → in_progress → succeeded | failed | cancelled with who and when; other moves are 409', async () => {
    const [a, b] = (await ctx.server.api.get('/api/v1/vulnerabilities?status=open&limit=500', ctx.a.viewer.token)).body.items;
    const job = (await ctx.server.api.post(`/api/v1/vulnerabilities/${a.id}/patch`, {}, ctx.a.operator.token)).body.patch_jobs[0];
    const move = (vulnerabilityId: string, jobId: string, body: unknown, token = ctx.a.operator.token) =>
      ctx.server.api.request('PATCH', `/api/v1/vulnerabilities/${vulnerabilityId}/patch-jobs/${jobId}`, { token, body });
    assert.equal((await move(a.id, job.id, { status: 'succeeded' })).status, 409, 'not started yet');
    const inSpanish = await ctx.server.api.request('PATCH', `/api/v1/vulnerabilities/${a.id}/patch-jobs/${job.id}`, { token: ctx.a.operator.token, body: { status: 'succeeded' }, headers: { 'accept-language': 'es' } });
    assert.equal(inSpanish.body.detail, 'Una tarea de parche pendiente no puede pasar a completada (permitidos: en curso, fallida, cancelada)');
    for (const bad of [{}, { status: 'done' }, { status: 'pending' }, { status: 'in_progress', extra: true }]) assert.equal((await move(a.id, job.id, bad)).status, 400, JSON.stringify(bad));
    assert.equal((await move(a.id, job.id, { status: 'in_progress' }, ctx.a.viewer.token)).status, 403);
    assert.equal((await move(b.id, job.id, { status: 'in_progress' })).status, 404, 'the job belongs to another vulnerability');
    assert.equal((await ctx.server.api.request('PATCH', `/api/v1/vulnerabilities/${a.id}/patch-jobs/${job.id}?tenant_id=${ctx.a.id}`, { token: ctx.b.admin.token, body: { status: 'in_progress' } })).status, 404);

    const started = await move(a.id, job.id, { status: 'in_progress', note: 'Rolling out' });
    assert.equal(started.status, 200, started.text);
    assert.deepEqual([started.body.status, started.body.patch_jobs[0].status, started.body.patch_jobs[0].started_by], ['patching', 'in_progress', ctx.a.operator.id]);
    assert.deepEqual([started.body.patch_jobs[0].started_by_username, started.body.patch_jobs[0].completed_by_username], [ctx.a.operator.username, null]);
    assert.ok(started.body.patch_jobs[0].started_at);
    const failed = await move(a.id, job.id, { status: 'failed', note: 'Package conflict' });
    assert.deepEqual([failed.body.status, failed.body.patch_jobs[0].status, failed.body.patch_jobs[0].completed_by, failed.body.patch_jobs[0].note], ['open', 'failed', ctx.a.operator.id, 'Package conflict']);
    assert.equal(failed.body.patch_jobs[0].completed_by_username, ctx.a.operator.username);
    assert.equal((await move(a.id, job.id, { status: 'in_progress' })).status, 409, 'a finished job stays finished');

    const retry = (await ctx.server.api.post(`/api/v1/vulnerabilities/${a.id}/patch`, {}, ctx.a.operator.token)).body.patch_jobs[0];
    assert.equal((await move(a.id, retry.id, { status: 'cancelled' })).body.status, 'open');
    const third = (await ctx.server.api.post(`/api/v1/vulnerabilities/${a.id}/patch`, {}, ctx.a.operator.token)).body.patch_jobs[0];
    await move(a.id, third.id, { status: 'in_progress' });
    const done = await move(a.id, third.id, { status: 'succeeded' }, ctx.a.admin.token);
    assert.deepEqual([done.body.status, done.body.resolved_by, done.body.patch_jobs.slice(0, 3).map((j: { status: string }) => j.status)], ['resolved', ctx.a.admin.id, ['succeeded', 'cancelled', 'failed']], 'newest first');
    assert.deepEqual(
      [done.body.resolved_by_username, done.body.patch_jobs[0].requested_by_username, done.body.patch_jobs[0].started_by_username, done.body.patch_jobs[0].completed_by_username],
      [ctx.a.admin.username, ctx.a.operator.username, ctx.a.operator.username, ctx.a.admin.username],
      'each user named by their own username',
    );
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${a.id}&action=vulnerability.patch_job_update&outcome=success`, ctx.a.admin.token);
    assert.equal(audit.body.items.length, 5, 'in_progress, failed, cancelled, in_progress, succeeded');
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
