// Alert rules (docs/requirements.md, PLT-13) end to end over HTTP and the live WebSocket, with the
// evaluator running on a 1-second interval as the background worker runs it: telemetry ingest →
// the rule fires → the alert is in /alerts/active and on the live feed → the condition clears →
// the alert is resolved; production rules on a stopped line; the preview; CRUD, roles and tenants.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createAlertRulesRepo } from '../src/modules/alert-rules/alert-rules.repo.ts';
import { createRuleEvaluator } from '../src/modules/alert-rules/rule-evaluator.ts';
import { createAlertsMerge } from '../src/modules/alerts/alerts.merge.ts';
import { createSystemsMerge } from '../src/modules/systems/systems.merge.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { createLocalJobDriver, type JobDriver } from '../src/platform/jobs/job-driver.ts';
import { connectLive } from './helpers/live-client.ts';
import { forEachDialect } from './helpers/suite.ts';

const TEMPERATURE_RULE = { name: 'Server room too hot', kind: 'telemetry', severity: 'high', metric: 'room.temperature', labels: { room: 'r1' }, aggregation: 'avg', window_seconds: 60, operator: '>', threshold: 50 };

forEachDialect('alert rules', { env: { SENTINEL_RULES_EVAL_SECONDS: '1' }, tenants: 'Rules' }, (s) => {
  const api = () => s.server.api;
  let driver: JobDriver;

  before(() => {
    driver = createLocalJobDriver({ error: (obj, msg) => console.error(msg, obj) });
    s.server.services.ruleEvaluator.schedule(driver);
    driver.start();
    // The evaluator stops before the suite closes the server and its database.
    const close = s.server.close;
    s.server.close = async () => {
      await driver.stop();
      await close();
    };
  });

  const rule = async (token: string, body: Record<string, unknown>) => {
    const response = await api().post('/api/v1/alert-rules', body, token);
    assert.equal(response.status, 201, response.text);
    return response.body as { id: string } & Record<string, unknown>;
  };
  const ingest = async (points: Record<string, unknown>[]) => {
    const response = await api().post('/api/v1/telemetry', { points }, s.a.admin.token);
    assert.equal(response.status, 201, response.text);
  };
  const waitUntil = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('opens an alert when a telemetry rule fires, shows it live and in /alerts/active, and resolves it when the condition clears', async () => {
    const a = await connectLive(s.server, s.a.viewer.token);
    const b = await connectLive(s.server, s.b.viewer.token);
    try {
      const created = await rule(s.a.admin.token, TEMPERATURE_RULE);
      assert.equal(created.state, 'ok');
      await ingest([{ metric: 'room.temperature', value: 80, labels: { room: 'r1', rack: '7' } }, { metric: 'room.temperature', value: 90, labels: { room: 'r2' } }]);

      const opened = await a.waitFor((e) => e.type === 'alert.created' && e.title === TEMPERATURE_RULE.name, 10_000);
      assert.equal(opened.severity, 'high');
      // The event carries the alert's own field names, as a vendor sync's do, and the rules' system turns to alert.
      assert.deepEqual(Object.keys(opened).sort(), ['id', 'last_seen', 'severity', 'status', 'system_id', 'tenant_id', 'title', 'type']);
      assert.equal(opened.status, 'active');
      const statusChanged = await a.waitFor((e) => e.type === 'system.status_changed' && e.id === opened.system_id, 10_000);
      assert.deepEqual([statusChanged.status, statusChanged.set_by], ['alert', 'open_alerts']);
      const active = await api().get('/api/v1/alerts/active', s.a.viewer.token);
      const alert = active.body.items.find((item: { id: string }) => item.id === opened.id);
      assert.ok(alert, 'the alert is among the active ones');
      assert.equal(alert.source, 'Sentinel rules');
      assert.match(alert.description, /avg\(room\.temperature\{room="r1"\}\) over 60 s is 80/);
      const systems = await api().get('/api/v1/systems', s.a.viewer.token);
      assert.equal(systems.body.items.find((system: { id: string }) => system.id === alert.system_id)?.system, 'Sentinel rules');
      // The rules' integration is listed and readable, but has no vendor: an admin cannot change,
      // test, sync or delete it (each a 409 that changes nothing), and it never breaks a request.
      const rulesIntegration = (await api().get('/api/v1/integrations', s.a.admin.token)).body.items.find((item: { type: string }) => item.type === 'sentinel_rules');
      assert.ok(rulesIntegration, 'the rules integration is listed');
      const path = `/api/v1/integrations/${rulesIntegration.id}`;
      assert.equal((await api().get(path, s.a.admin.token)).status, 200);
      for (const response of [
        await api().patch(path, { enabled: true }, s.a.admin.token),
        await api().post(`${path}/test`, undefined, s.a.admin.token),
        await api().post(`${path}/sync`, undefined, s.a.admin.token),
        await api().delete(path, s.a.admin.token),
      ]) assert.equal(response.status, 409, response.text);
      assert.deepEqual((await api().get(path, s.a.admin.token)).body, rulesIntegration);
      assert.equal((await api().get(path, s.b.admin.token)).status, 404);
      const firing = await api().get(`/api/v1/alert-rules/${created.id}`, s.a.viewer.token);
      assert.equal(firing.body.state, 'firing');
      assert.equal(firing.body.last_value, 80);

      // Still firing: still one alert, not a new one per evaluation.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal(a.events.filter((e) => e.type === 'alert.created').length, 1);

      await ingest(Array.from({ length: 9 }, () => ({ metric: 'room.temperature', value: 0, labels: { room: 'r1' } })));
      const resolved = await a.waitFor((e) => e.type === 'alert.resolved' && e.id === opened.id, 10_000);
      assert.equal(resolved.title, TEMPERATURE_RULE.name);
      const after = await api().get(`/api/v1/alerts/${opened.id}`, s.a.viewer.token);
      assert.equal(after.body.status, 'resolved');
      assert.equal((await api().get(`/api/v1/alert-rules/${created.id}`, s.a.viewer.token)).body.state, 'ok');

      // Firing again reopens it. The rules' resolution and reopening are audited as a sync's are: by the rules' integration, in the tenant.
      await ingest([{ metric: 'room.temperature', value: 1000, labels: { room: 'r1' } }]);
      await a.waitFor((e) => e.type === 'alert.updated' && e.id === opened.id && e.change === 'reopened', 10_000);
      const audited = (await api().get(`/api/v1/audit-logs?resource_id=${opened.id}`, s.a.admin.token)).body.items.filter((entry: { actor_id: string | null }) => entry.actor_id === null);
      assert.deepEqual(audited.map((entry: Record<string, any>) => [entry.action, entry.outcome, entry.tenant_id, entry.actor_id, entry.actor_username, entry.detail]), [
        ['alert.reopen', 'success', s.a.id, null, `integration:${rulesIntegration.name}`, { integration_id: rulesIntegration.id, previous_status: 'resolved', reason: 'time_moved_on' }],
        ['alert.resolve', 'success', s.a.id, null, `integration:${rulesIntegration.name}`, { integration_id: rulesIntegration.id, automatic: true }],
      ]);
      assert.deepEqual((await api().get(`/api/v1/audit-logs?resource_id=${opened.id}`, s.b.admin.token)).body.items, []);
      assert.deepEqual(b.events.map((e) => e.type), ['hello'], 'tenant B heard nothing of tenant A');
      assert.equal((await api().get('/api/v1/alerts/active', s.b.viewer.token)).body.items.length, 0);
      await api().delete(`/api/v1/alert-rules/${created.id}`, s.a.admin.token);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it('holds a rule for for_seconds before it fires, and resolves its alert when the rule is deleted', async () => {
    const held = await rule(s.a.manager.token, { ...TEMPERATURE_RULE, name: 'Humid', metric: 'room.humidity', labels: {}, aggregation: 'max', threshold: 70, for_seconds: 2 });
    await ingest([{ metric: 'room.humidity', value: 75 }]);
    await waitUntil('pending', async () => ((await api().get(`/api/v1/alert-rules/${held.id}`, s.a.viewer.token)).body.state === 'pending' ? true : undefined));
    const alertId = await waitUntil('the alert', async () => (await api().get('/api/v1/alerts/active', s.a.viewer.token)).body.items.find((item: { title: string }) => item.title === 'Humid')?.id as string | undefined);
    const state = (await api().get(`/api/v1/alert-rules/${held.id}`, s.a.viewer.token)).body;
    assert.equal(state.state, 'firing');
    assert.ok(Date.parse(state.firing_since) - Date.parse(state.pending_since) >= 2_000, JSON.stringify(state));
    assert.equal((await api().delete(`/api/v1/alert-rules/${held.id}`, s.a.manager.token)).status, 204);
    await waitUntil('the resolution', async () => ((await api().get(`/api/v1/alerts/${alertId}`, s.a.viewer.token)).body.status === 'resolved' ? true : undefined));
  });

  it('fires a line_stopped rule on a stopped line and resolves it when the line runs again; oee_below fires on a poor shift', async () => {
    const token = s.a.admin.token;
    const line = (await api().post('/api/v1/production/lines', { line_name: 'Press', line_code: 'press', downtime_threshold_seconds: 5, ideal_cycle_seconds: 1 }, token)).body;
    const area = (await api().post('/api/v1/production/areas', { line_id: line.line_id, area_name: 'Out', area_type: 'output' }, token)).body;
    for (const [name, start, end] of [['Day', '00:00', '12:00'], ['Night', '12:00', '00:00']]) {
      assert.equal((await api().post('/api/v1/production/shifts', { shift_name: name, start_time: start, end_time: end, line_id: line.line_id }, token)).status, 201);
    }
    const detect = async (at: number) => {
      const response = await api().post(`/api/v1/production/lines/${line.line_id}/detections`, { detections: [{ detected_at: new Date(at).toISOString(), area_id: area.area_id }] }, token);
      assert.equal(response.status, 201, response.text);
    };
    await detect(Date.now() - 90_000);
    const stopped = await rule(token, { name: 'Press stopped', kind: 'line_stopped', severity: 'critical', line_id: line.line_id, minutes: 1 });
    const oee = await rule(token, { name: 'Press OEE', kind: 'oee_below', severity: 'medium', line_id: line.line_id, target: 0.99 });
    const open = async (title: string) => (await api().get('/api/v1/alerts/active', s.a.viewer.token)).body.items.find((item: { title: string }) => item.title === title) as { id: string; asset: string } | undefined;
    const stoppedAlert = await waitUntil('the stopped alert', () => open('Press stopped'));
    assert.equal(stoppedAlert.asset, `Press (line ${line.line_id})`);
    await waitUntil('the OEE alert', () => open('Press OEE'));
    assert.ok(((await api().get(`/api/v1/alert-rules/${stopped.id}`, token)).body.last_value as number) >= 1);

    await detect(Date.now());
    await waitUntil('the stopped alert resolved', async () => ((await api().get(`/api/v1/alerts/${stoppedAlert.id}`, s.a.viewer.token)).body.status === 'resolved' ? true : undefined));
    assert.ok(await open('Press OEE'), 'the shift\'s OEE is still below target');

    const unknownLine = await api().post('/api/v1/alert-rules', { name: 'x', kind: 'line_stopped', severity: 'low', line_id: 999, minutes: 5 }, token);
    assert.equal(unknownLine.status, 400);
    assert.equal(unknownLine.body.errors[0].field, 'line_id');
    const preview = await api().post('/api/v1/alert-rules/preview', { kind: 'line_stopped', line_id: line.line_id, minutes: 1 }, s.a.viewer.token);
    assert.equal(preview.status, 200, preview.text);
    // The line stood from the shift's start to the first detection, then again until the last one: each stop over a minute fired.
    assert.ok(preview.body.firings.length >= 1 && preview.body.firings.every((firing: { end: string | null }) => firing.end !== null), JSON.stringify(preview.body));
    for (const id of [stopped.id, oee.id]) await api().delete(`/api/v1/alert-rules/${id}`, token);
  });

  it('previews what a telemetry rule would have fired over the last 24 hours', async () => {
    const now = Date.now();
    const minute = now - (now % 60_000);
    // Hot from 30 to 20 minutes ago, one point a minute; cool otherwise.
    await ingest(Array.from({ length: 60 }, (_, i) => ({ metric: 'disk.used', value: i >= 30 && i < 40 ? 95 : 40, timestamp: minute - (60 - i) * 60_000 })));
    const body = { kind: 'telemetry', metric: 'disk.used', aggregation: 'max', window_seconds: 60, operator: '>=', threshold: 90 };
    const preview = await api().post('/api/v1/alert-rules/preview', body, s.a.viewer.token);
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.body.step_seconds, 60);
    assert.equal(preview.body.evaluations, 24 * 60 + 1);
    assert.deepEqual(preview.body.firings, [{ start: new Date(minute - 29 * 60_000).toISOString(), end: new Date(minute - 19 * 60_000).toISOString(), value: 95 }]);
    const held = await api().post('/api/v1/alert-rules/preview', { ...body, for_seconds: 300 }, s.a.viewer.token);
    assert.deepEqual(held.body.firings.map((f: { start: string }) => f.start), [new Date(minute - 24 * 60_000).toISOString()]);
    assert.deepEqual((await api().post('/api/v1/alert-rules/preview', body, s.b.viewer.token)).body.firings, [], 'tenant B has no such data');
    assert.equal((await api().get('/api/v1/alert-rules', s.a.viewer.token)).body.items.length, 0, 'a preview stores nothing');
  });

  it('validates each kind\'s fields, names the bad ones, and changes nothing on a bad request', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...TEMPERATURE_RULE, threshold: undefined }, 'threshold'],
      [{ ...TEMPERATURE_RULE, minutes: 5 }, 'minutes'],
      [{ ...TEMPERATURE_RULE, operator: '=>' }, 'operator'],
      [{ ...TEMPERATURE_RULE, aggregation: 'median' }, 'aggregation'],
      [{ ...TEMPERATURE_RULE, window_seconds: 1 }, 'window_seconds'],
      [{ ...TEMPERATURE_RULE, severity: 'urgent' }, 'severity'],
      [{ name: 'x', kind: 'oee_below', severity: 'low', line_id: 1 }, 'target'],
      [{ name: 'x', kind: 'oee_below', severity: 'low', line_id: 1, target: 85 }, 'target'],
      [{ ...TEMPERATURE_RULE, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const response = await api().post('/api/v1/alert-rules', body, s.a.admin.token);
      assert.equal(response.status, 400, `${field}: ${response.text}`);
      assert.ok(response.body.errors.some((error: { field: string }) => error.field === field), `${field}: ${JSON.stringify(response.body.errors)}`);
    }
    assert.equal((await api().get('/api/v1/alert-rules', s.a.admin.token)).body.items.length, 0);
    const created = await rule(s.a.admin.token, TEMPERATURE_RULE);
    const badPatch = await api().patch(`/api/v1/alert-rules/${created.id}`, { kind: 'line_stopped' }, s.a.admin.token);
    assert.equal(badPatch.status, 400);
    const unchanged = await api().get(`/api/v1/alert-rules/${created.id}`, s.a.admin.token);
    assert.equal(unchanged.body.kind, 'telemetry');
    const patched = await api().patch(`/api/v1/alert-rules/${created.id}`, { threshold: 60, enabled: false }, s.a.admin.token);
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.threshold, 60);
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.metric, TEMPERATURE_RULE.metric);
    await api().delete(`/api/v1/alert-rules/${created.id}`, s.a.admin.token);
  });

  it('keeps tenants apart and gives each role what it may do on every route', async () => {
    const created = await rule(s.a.admin.token, TEMPERATURE_RULE);
    const url = `/api/v1/alert-rules/${created.id}`;
    for (const token of [s.b.admin.token, s.b.viewer.token]) {
      assert.equal((await api().get(url, token)).status, 404);
      assert.deepEqual((await api().get('/api/v1/alert-rules', token)).body.items, []);
      assert.equal((await api().get(`${url}?tenant_id=${s.a.id}`, token)).status, 404, 'a tenant user cannot name another tenant');
    }
    assert.equal((await api().patch(url, { threshold: 1 }, s.b.admin.token)).status, 404);
    assert.equal((await api().patch(`${url}?tenant_id=${s.a.id}`, { threshold: 1 }, s.b.admin.token)).status, 404);
    assert.equal((await api().delete(url, s.b.admin.token)).status, 404);
    assert.equal((await api().get(`${url}?tenant_id=${s.a.id}`, s.superAdmin)).status, 200);
    assert.equal((await api().get(url, s.superAdmin)).status, 400, 'a SUPER_ADMIN names the tenant');
    for (const token of [s.a.viewer.token, s.a.operator.token]) {
      assert.equal((await api().get(url, token)).status, 200);
      assert.equal((await api().post('/api/v1/alert-rules/preview', { kind: 'telemetry', metric: 'x', aggregation: 'avg', window_seconds: 60, operator: '>', threshold: 1 }, token)).status, 200);
      assert.equal((await api().post('/api/v1/alert-rules', TEMPERATURE_RULE, token)).status, 403);
      assert.equal((await api().patch(url, { threshold: 1 }, token)).status, 403);
      assert.equal((await api().delete(url, token)).status, 403);
    }
    const key = (await api().post('/api/v1/api-keys', { name: 'Sensor', scopes: ['telemetry:write'] }, s.a.admin.token)).body.key;
    assert.equal((await api().request('GET', '/api/v1/alert-rules', { headers: { 'x-api-key': key } })).status, 403);
    assert.equal((await api().get('/api/v1/alert-rules')).status, 401);
    assert.equal((await api().get(url, s.a.viewer.token)).body.threshold, 50, 'nothing changed');
  });

  it('evaluates each tenant\'s rules once per interval however many processes evaluate', async () => {
    const created = await rule(s.a.admin.token, { ...TEMPERATURE_RULE, name: 'Once' });
    await driver.stop();
    // Three evaluators, each on its own database connection as separate processes would be.
    const connections = [openDatabase(s.server.config), openDatabase(s.server.config), openDatabase(s.server.config)];
    let observed = 0;
    const { telemetry, production } = s.server.services;
    const evaluators = connections.map((db) => createRuleEvaluator({
      repo: createAlertRulesRepo(db.kysely), production, alerts: createAlertsMerge(db.kysely), systems: createSystemsMerge(db.kysely), publish: () => undefined, audit: { recordMany: async () => undefined }, transaction: (work) => db.transaction(work), intervalMs: 60_000,
      telemetry: { statsAcross: (...args) => { observed++; return telemetry.statsAcross(...args); } },
    }));
    try {
      await s.server.db.kysely.updateTable('alert_rule_schedules').set({ next_eval_at: 0 }).execute();
      for (let round = 0; round < 3; round++) await Promise.all(evaluators.map((evaluator) => evaluator.evaluateDue()));
      const rules = (await api().get('/api/v1/alert-rules?enabled=true', s.a.viewer.token)).body.items.length;
      assert.ok(rules >= 1);
      assert.equal(observed, rules, 'each rule was evaluated once');
      assert.notEqual((await api().get(`/api/v1/alert-rules/${created.id}`, s.a.viewer.token)).body.last_evaluated_at, null);
    } finally {
      for (const db of connections) await db.close();
    }
  });

  it('stores a rule\'s alert changes with their audit entries or not at all', async () => {
    await driver.stop();
    const metric = 'cold_room.temperature';
    await rule(s.b.admin.token, { ...TEMPERATURE_RULE, name: 'Cold room too warm', metric, labels: {} });
    assert.equal((await api().post('/api/v1/telemetry', { points: [{ metric, value: 80 }] }, s.b.admin.token)).status, 201);
    const { db } = s.server;
    const { telemetry, production } = s.server.services;
    const evaluator = (recordMany: () => Promise<void>) => createRuleEvaluator({
      repo: createAlertRulesRepo(db.kysely), telemetry, production, alerts: createAlertsMerge(db.kysely), systems: createSystemsMerge(db.kysely),
      publish: () => undefined, audit: { recordMany }, transaction: (work) => db.transaction(work), intervalMs: 60_000,
    });
    const stored = async () => (await db.kysely.selectFrom('alerts').select('id').where('tenant_id', '=', s.b.id).where('title', '=', 'Cold room too warm').execute()).length;

    await assert.rejects(evaluator(async () => { throw new Error('the audit log cannot be written'); }).evaluateTenant(s.b.id), /audit log/);
    assert.equal(await stored(), 0, 'the alert was rolled back with its audit entries');
    await evaluator(async () => undefined).evaluateTenant(s.b.id);
    assert.equal(await stored(), 1);
  });
});
