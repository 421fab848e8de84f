import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, it } from 'node:test';
import { startPaloAltoSimulator, type PaloAltoSimulator } from './simulators/paloalto.ts';
import { makeVulnerability } from './helpers/factories.ts';
import { PASSWORD } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';
import { connectLive as connect } from './helpers/live-client.ts';

forEachDialect('live updates over WebSocket', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Live', roles: ['ADMIN', 'VIEWER'] }, (ctx) => {
  let sim: PaloAltoSimulator;

  before(async () => {
    sim = await startPaloAltoSimulator({ jobPollsBeforeFin: 1 });
  });
  after(() => sim.close());

  it('delivers sync and API events to the tenant\'s clients only', async () => {
    const a = await connect(ctx.server, ctx.a.viewer.token);
    const b = await connect(ctx.server, ctx.b.admin.token);
    try {
      const integration = await ctx.server.api.post('/api/v1/integrations', { name: 'Firewall', type: 'paloalto', config: { url: sim.url }, secret: sim.credentials }, ctx.a.admin.token);
      assert.equal(integration.status, 201, integration.text);
      const outcome = await ctx.server.api.post(`/api/v1/integrations/${integration.body.id}/sync`, undefined, ctx.a.admin.token);
      assert.equal(outcome.body.status, 'success', outcome.text);
      const created = await a.waitFor((e) => e.type === 'alert.created');
      assert.equal(created.tenant_id, ctx.a.id);
      assert.ok(typeof created.id === 'string' && typeof created.severity === 'string');
      assert.equal(a.events.filter((e) => e.type === 'alert.created').length, outcome.body.alerts);

      const resolved = await ctx.server.api.post(`/api/v1/alerts/${String(created.id)}/resolve`, { resolution_note: 'done' }, ctx.a.admin.token);
      assert.equal(resolved.status, 200, resolved.text);
      const event = await a.waitFor((e) => e.type === 'alert.resolved' && e.id === created.id);
      assert.equal(event.tenant_id, ctx.a.id);
      // The alert's own field names, and values as the alert shows them.
      const { title, severity, status, system_id, last_seen } = resolved.body;
      assert.deepEqual(event, { type: 'alert.resolved', tenant_id: ctx.a.id, id: created.id, title, severity, status, system_id, last_seen });

      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(b.events.map((e) => e.type), ['hello'], 'tenant B heard nothing of tenant A');
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it('delivers vulnerability and system events from API actions', async () => {
    const a = await connect(ctx.server, ctx.a.admin.token);
    try {
      const system = await ctx.server.db.kysely.selectFrom('systems').select(['id']).where('tenant_id', '=', ctx.a.id).executeTakeFirstOrThrow();
      const id = await makeVulnerability(ctx.server, ctx.a.id, { system_id: system.id, cve: 'CVE-2024-3400', title: 't', severity: 'critical', cvss_score: 10, asset: 'fw01' });
      assert.equal((await ctx.server.api.post(`/api/v1/vulnerabilities/${id}/patch`, {}, ctx.a.admin.token)).status, 200);
      const event = await a.waitFor((e) => e.type === 'vulnerability.updated' && e.id === id);
      assert.equal(event.change, 'patching');
    } finally {
      a.socket.close();
    }
  });

  it('closes the socket when its session ends (logout)', async () => {
    const { access_token } = await ctx.server.api.login(ctx.a.viewer.username, PASSWORD);
    const client = await connect(ctx.server, access_token);
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    assert.equal((await ctx.server.api.post('/api/v1/auth/logout', undefined, access_token)).status, 204);
    const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 8_000))]);
    assert.equal(code, 4001, 'closed with "session ended" within the check interval');
  });

  it('answers a plain HTTP GET with 426 and how to connect, whoever asks', async () => {
    for (const token of [undefined, ctx.a.viewer.token, 'not-a-token']) {
      const response = await ctx.server.api.get('/api/v1/live', token);
      assert.equal(response.status, 426, response.text);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(response.headers.get('upgrade'), 'websocket');
      assert.equal(response.body.title, 'Upgrade Required');
      assert.match(response.body.detail, /WebSocket/);
    }
    // An Upgrade header without `Connection: Upgrade` is no upgrade either (fetch refuses to send one).
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.get(`${ctx.server.url}/api/v1/live`, { headers: { upgrade: 'websocket', authorization: `Bearer ${ctx.a.viewer.token}` } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
    });
    assert.equal(status, 426);
  });

  it('refuses a missing or bad token, a token for another purpose, and a foreign Origin', async () => {
    await assert.rejects(connect(ctx.server, 'not-a-token'), /handshake refused: 401/);
    const { refresh_token } = await ctx.server.api.login(ctx.a.viewer.username, PASSWORD);
    await assert.rejects(connect(ctx.server, refresh_token), /handshake refused: 401/);
    await assert.rejects(connect(ctx.server, ctx.a.viewer.token, { origin: 'https://evil.example' }), /handshake refused: 403/);
    const sameOrigin = await connect(ctx.server, ctx.a.viewer.token, { origin: ctx.server.url });
    sameOrigin.socket.close();
    // The query token is only accepted on the live route.
    assert.equal((await ctx.server.api.get(`/api/v1/auth/me?access_token=${ctx.a.viewer.token}`)).status, 401, "a query token is ignored on other routes");
  });
});
