// The MCP server (docs/requirements.md, SEC-9): the SDK's own client over Streamable HTTP at /mcp.
// Every tool's answer is compared with its REST twin's; tenants are isolated; a call without a
// token, with a key lacking the assistant scope, or without the write permission is refused.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnSync } from 'node:child_process';
import { makeAlert, makeSystem, makeTicket, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

const READ_TOOLS = [
  'get_security_summary', 'get_systems_status', 'list_systems', 'list_active_alerts', 'get_alert', 'list_vulnerabilities',
  'get_incident_analytics', 'get_response_time_analytics', 'search_tickets', 'get_ticket', 'list_production_lines',
  'get_production_line_status', 'get_production_oee',
];

/** Fields computed from the moment of the call. */
const VOLATILE: Record<string, string[]> = {
  get_security_summary: ['generated_at'],
  get_incident_analytics: ['from', 'to'],
  get_response_time_analytics: ['from', 'to'],
  get_production_line_status: ['today.to'],
};
function withoutVolatile(tool: string, body: any) {
  for (const path of VOLATILE[tool] ?? []) {
    const keys = path.split('.');
    const last = keys.pop()!;
    delete keys.reduce((at, key) => at[key], body)[last];
  }
  return body;
}

forEachDialect('MCP server', { tenants: 'Mcp' }, (s) => {
  const clients: Client[] = [];
  /** An SDK client connected to /mcp with this bearer token (an access token or an API key). */
  async function connect(token: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'test-assistant', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } } }));
    clients.push(client);
    return client;
  }
  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, data: result.structuredContent as any, text: (result.content as { text: string }[])[0]!.text };
  };
  const rest = async (url: string, token: string) => {
    const response = await s.server.api.get(url, token);
    assert.equal(response.status, 200, `${url}: ${response.text}`);
    return response.body;
  };
  let assistantKey: string;
  let alertA: string;
  let alertB: string;
  let ticketA: string;
  let lineA: number;

  before(async () => {
    const system = await makeSystem(s.server, s.a, { name: 'Firewall A', status: 'warning' });
    alertA = await makeAlert(s.server, s.a.id, { title: 'Threat on A', severity: 'critical', system_id: system.id });
    await makeAlert(s.server, s.a.id, { title: 'Older on A', severity: 'low', first_seen: Date.now() - 3_600_000 });
    alertB = await makeAlert(s.server, s.b.id, { title: 'Threat on B', severity: 'high' });
    await makeVulnerability(s.server, s.a.id, { cve: 'CVE-2024-3400', cvss_score: 10 });
    ticketA = (await makeTicket(s.server, s.a.admin.token, { title: 'Patch the firewall', priority: 'high' })).id;
    const key = await s.server.api.post('/api/v1/api-keys', { name: 'SOPHIA', scopes: ['assistant'] }, s.a.admin.token);
    assert.equal(key.status, 201, key.text);
    assistantKey = key.body.key;
    const line = await s.server.api.post('/api/v1/production/lines', { line_name: 'Packing A', timezone: 'UTC' }, s.a.admin.token);
    assert.equal(line.status, 201, line.text);
    lineA = line.body.line_id;
  });
  after(async () => {
    for (const client of clients) await client.close();
  });

  it('lists the read tools to an assistant key and the write tools only to users allowed to write', async () => {
    const names = async (token: string) => (await (await connect(token)).listTools()).tools.map((tool) => tool.name).sort();
    assert.deepEqual(await names(assistantKey), [...READ_TOOLS].sort());
    assert.deepEqual(await names(s.a.viewer.token), [...READ_TOOLS].sort());
    assert.deepEqual(await names(s.a.operator.token), [...READ_TOOLS, 'acknowledge_alert', 'create_ticket_for_alert'].sort());
    const tools = (await (await connect(assistantKey)).listTools()).tools;
    const alerts = tools.find((tool) => tool.name === 'list_active_alerts')!;
    assert.equal(alerts.annotations?.readOnlyHint, true);
    assert.equal((alerts.inputSchema.properties as Record<string, unknown>).severity !== undefined, true, 'the REST filters are the tool\'s arguments');
  });

  it('answers each read tool exactly as its REST twin', async () => {
    const client = await connect(assistantKey);
    const token = s.a.viewer.token;
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date().toISOString();
    const twins: [string, Record<string, unknown>, string][] = [
      ['get_security_summary', {}, '/api/v1/context/security-summary'],
      ['get_systems_status', {}, '/api/v1/systems/status'],
      ['list_systems', { limit: 10 }, '/api/v1/systems?limit=10'],
      ['list_active_alerts', { severity: ['critical', 'high'] }, '/api/v1/alerts/active?severity=critical,high'],
      ['list_active_alerts', { limit: 1 }, '/api/v1/alerts/active?limit=1'],
      ['get_alert', { id: alertA }, `/api/v1/alerts/${alertA}`],
      ['list_vulnerabilities', {}, '/api/v1/vulnerabilities'],
      ['get_incident_analytics', { hours: 48 }, '/api/v1/analytics/incidents?hours=48'],
      ['get_response_time_analytics', {}, '/api/v1/analytics/response-time'],
      ['search_tickets', { q: 'firewall' }, '/api/v1/tickets?q=firewall'],
      ['get_ticket', { id: ticketA }, `/api/v1/tickets/${ticketA}`],
      ['list_production_lines', {}, '/api/v1/production/lines'],
      ['get_production_line_status', { line_id: lineA }, `/api/v1/production/lines/${lineA}/status`],
      ['get_production_oee', { line_id: lineA, from, to, group_by: 'hour' }, `/api/v1/production/oee?line_id=${lineA}&from=${from}&to=${to}&group_by=hour`],
    ];
    for (const [tool, args, url] of twins) {
      const answer = await call(client, tool, args);
      assert.equal(answer.isError, false, `${tool}: ${answer.text}`);
      assert.deepEqual(JSON.parse(answer.text), answer.data, `${tool}: the text is the same JSON`);
      const twin = await rest(url, token);
      // What is computed from "now" moves between the two calls.
      assert.deepEqual(withoutVolatile(tool, answer.data), withoutVolatile(tool, twin), tool);
    }
  });

  it('keeps each tenant to its own data', async () => {
    const client = await connect(assistantKey);
    const active = await call(client, 'list_active_alerts');
    assert.ok(active.data.items.some((alert: { id: string }) => alert.id === alertA));
    assert.ok(!active.data.items.some((alert: { id: string }) => alert.id === alertB));
    const other = await call(client, 'get_alert', { id: alertB });
    assert.equal(other.isError, true);
    assert.equal(other.data.status, 404);
    // A tenant user naming another tenant still acts on its own.
    const named = await call(await connect(s.a.viewer.token), 'list_active_alerts', { tenant_id: s.b.id });
    assert.ok(!named.data.items.some((alert: { id: string }) => alert.id === alertB));
    const ackB = await call(await connect(s.a.operator.token), 'acknowledge_alert', { id: alertB });
    assert.equal(ackB.data.status, 404);
    assert.equal((await rest(`/api/v1/alerts/${alertB}`, s.b.viewer.token)).status, 'active');
  });

  it('makes a SUPER_ADMIN name the tenant', async () => {
    const client = await connect(s.superAdmin);
    const missing = await call(client, 'get_systems_status');
    assert.equal(missing.data.status, 400);
    const named = await call(client, 'get_alert', { id: alertB, tenant_id: s.b.id });
    assert.equal(named.isError, false, named.text);
    assert.equal(named.data.title, 'Threat on B');
  });

  it('refuses a call without a token, with a bad token, and a key without the assistant scope', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const headers = { accept: 'application/json, text/event-stream' };
    const anonymous = await s.server.api.request('POST', '/mcp', { body: init, headers });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.match(anonymous.headers.get('content-type')!, /problem\+json/);
    for (const token of ['not-a-token', `${assistantKey}x`]) {
      assert.equal((await s.server.api.request('POST', '/mcp', { body: init, headers, token })).status, 401, token);
    }
    const ingestKey = await s.server.api.post('/api/v1/api-keys', { name: 'scanner', scopes: ['production:write'] }, s.a.admin.token);
    const refused = await s.server.api.request('POST', '/mcp', { body: init, headers, token: ingestKey.body.key });
    assert.equal(refused.status, 403, refused.text);
    const denials = await s.server.api.get(`/api/v1/audit-logs?action=permission.denied&actor_id=${ingestKey.body.id}`, s.a.admin.token);
    assert.ok(denials.body.items.some((entry: { detail: any }) => entry.detail.permission === 'assistant' && entry.detail.channel === 'mcp'), denials.text);
    await assert.rejects(connect('not-a-token'));
    assert.equal((await s.server.api.get('/mcp', s.a.viewer.token)).status, 405);
  });

  it('leaves writes to callers with the write permission, audited with the change', async () => {
    const key = await connect(assistantKey);
    const refused = await call(key, 'acknowledge_alert', { id: alertA });
    assert.equal(refused.isError, true);
    assert.equal(refused.data.status, 403);
    const viewer = await call(await connect(s.a.viewer.token), 'create_ticket_for_alert', { id: alertA });
    assert.equal(viewer.data.status, 403);
    assert.equal((await rest(`/api/v1/alerts/${alertA}`, s.a.viewer.token)).status, 'active', 'nothing changed');

    const operator = await connect(s.a.operator.token);
    const acknowledged = await call(operator, 'acknowledge_alert', { id: alertA });
    assert.equal(acknowledged.isError, false, acknowledged.text);
    assert.equal(acknowledged.data.status, 'acknowledged');
    assert.deepEqual(acknowledged.data, await rest(`/api/v1/alerts/${alertA}`, s.a.viewer.token));
    const again = await call(operator, 'acknowledge_alert', { id: alertA });
    assert.equal(again.data.status, 409);
    const ticket = await call(operator, 'create_ticket_for_alert', { id: alertA });
    assert.equal(ticket.isError, false, ticket.text);
    assert.equal(ticket.data.alert_id, alertA);
    const same = await call(operator, 'create_ticket_for_alert', { id: alertA, priority: 'low' });
    assert.equal(same.data.id, ticket.data.id, 'an alert with an open ticket gets that ticket, as over REST');

    const mcp: { action: string; outcome: string; actor_username: string; resource_id: string | null; detail: any }[] = [];
    for (const action of ['alert.acknowledge', 'alert.create_ticket', 'permission.denied', 'alert.get']) {
      const audit = await s.server.api.get(`/api/v1/audit-logs?action=${action}&limit=500`, s.a.admin.token);
      mcp.push(...audit.body.items.filter((entry: { detail: any }) => entry.detail?.channel === 'mcp'));
    }
    assert.ok(mcp.some((e) => e.action === 'alert.acknowledge' && e.outcome === 'success' && e.resource_id === alertA && e.actor_username === s.a.operator.username));
    assert.ok(mcp.some((e) => e.action === 'alert.create_ticket' && e.outcome === 'success' && e.detail.ticket_id === ticket.data.id));
    assert.ok(mcp.some((e) => e.action === 'permission.denied' && e.outcome === 'denied' && e.actor_username === 'apikey:SOPHIA' && e.detail.tool === 'acknowledge_alert'));
    assert.ok(mcp.some((e) => e.action === 'alert.get' && e.outcome === 'success' && e.actor_username === 'apikey:SOPHIA'), 'reads are audited like REST reads');
  });

  it('answers invalid arguments with the field, and changes nothing', async () => {
    const client = await connect(s.a.operator.token);
    const bad = await call(client, 'list_active_alerts', { limit: '5', colour: 'red' });
    assert.equal(bad.isError, true);
    assert.equal(bad.data.status, 400);
    assert.deepEqual(bad.data.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort(), ['colour:unknown_field', 'limit:type'], 'the codes of the REST API\'s field errors');
    const notUuid = await call(client, 'acknowledge_alert', { id: 'nope' });
    assert.equal(notUuid.data.status, 400);
    // A refusal speaks the language the HTTP request asks for, as the REST API's problems do.
    const spanish = await connect(s.a.operator.token, { 'accept-language': 'es' });
    const refused = await call(spanish, 'list_active_alerts', { colour: 'red' });
    assert.equal(refused.data.detail, 'Los argumentos de la herramienta no son válidos');
    assert.deepEqual(refused.data.errors, [{ field: 'colour', message: 'no es un campo conocido', code: 'unknown_field' }]);
    assert.equal((await call(spanish, 'get_alert', { id: alertB })).data.detail, 'No se ha encontrado la alerta');
    assert.equal((await call(client, 'get_alert', { id: alertB })).data.detail, 'Alert not found');
    await assert.rejects(client.callTool({ name: 'drop_tables', arguments: {} }), /Unknown tool/);
  });

  /** `sentinel mcp` on this suite's database (same data dir and secret key, or the same PostgreSQL database). */
  const cliEnv = (apiKey: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: s.server.config.dataDir, LOG_LEVEL: 'silent', SENTINEL_API_KEY: apiKey,
    ...(s.server.config.databaseUrl !== undefined ? { DATABASE_URL: s.server.config.databaseUrl } : {}),
  });

  it('serves the same tools over stdio as `sentinel mcp` with an API key, and nothing else on stdout', async () => {
    const created = await s.server.api.post('/api/v1/api-keys', { name: 'VICTORIA', scopes: ['assistant'] }, s.a.admin.token);
    const stdioKey = created.body as { id: string; key: string };
    const transport = new StdioClientTransport({ command: process.execPath, args: ['--no-warnings', 'bin/sentinel.js', 'mcp'], env: cliEnv(stdioKey.key), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const client = new Client({ name: 'stdio-assistant', version: '1.0.0' });
    await client.connect(transport);
    try {
      assert.deepEqual((await client.listTools()).tools.map((tool) => tool.name).sort(), [...READ_TOOLS].sort());
      const alert = await call(client, 'get_alert', { id: alertA });
      assert.deepEqual(alert.data, await rest(`/api/v1/alerts/${alertA}`, s.a.viewer.token));
      assert.equal((await call(client, 'get_alert', { id: alertB })).data.status, 404);
      assert.equal((await call(client, 'acknowledge_alert', { id: alertA })).data.status, 403);
      // The key is checked on every message: once revoked (and the process's 1 s key cache has passed), it is refused.
      assert.equal((await s.server.api.delete(`/api/v1/api-keys/${stdioKey.id}`, s.a.admin.token)).status, 204);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await assert.rejects(client.callTool({ name: 'get_systems_status', arguments: {} }), /invalid, expired or revoked/);
    } finally {
      await client.close();
    }
    assert.equal(stderr, '');
  });

  it('refuses to start `sentinel mcp` without a valid assistant key, in one line', () => {
    for (const key of ['', `${assistantKey}x`]) {
      const run = spawnSync(process.execPath, ['--no-warnings', 'bin/sentinel.js', 'mcp'], { env: cliEnv(key), encoding: 'utf8', input: '' });
      assert.equal(run.status, 1, key);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, key === '' ? /SENTINEL_API_KEY/ : /invalid, expired or revoked/);
    }
  });
});
