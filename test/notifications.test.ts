import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, beforeEach, it } from 'node:test';
import { createServices } from '../src/app.ts';
import { makeAlert, makeIntegration } from './helpers/factories.ts';
import { startSmtpSink } from './helpers/smtp-sink.ts';
import { forEachDialect, type DialectSuite } from './helpers/suite.ts';
import { startWebhookReceiver } from './helpers/webhook-receiver.ts';
import { isForbiddenAddress } from '../src/platform/net/outbound-address.ts';

const sink = await startSmtpSink();
const authSink = await startSmtpSink({ user: 'mailer', password: 'Sm7p-p@ss word' });
const hook = await startWebhookReceiver();
after(async () => {
  await sink.close();
  await authSink.close();
  await hook.close();
});

const SECRET = 'whsec_0123456789abcdef';
/** A loopback URL where nothing listens. */
const NOBODY = await (async () => {
  const probe = await startWebhookReceiver();
  await probe.close();
  return probe.url;
})();
const MINUTE = 60_000;

/** Checks X-Sentinel-Signature as docs/notifications.md tells a receiver to. */
function verifySignature(header: string | string[] | undefined, raw: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${raw}`).digest('hex');
  return expected === match[2] && Math.abs(nowSeconds - Number(match[1])) <= 300;
}

async function channel(ctx: DialectSuite, token: string, body: Record<string, unknown>, query = '') {
  const response = await ctx.server.api.post(`/api/v1/notification-channels${query}`, body, token);
  assert.equal(response.status, 201, response.text);
  return response.body as { id: string } & Record<string, any>;
}

/** Changes an alert as a writer would (now: the scan reads by change time; tests move the scan's clock instead). */
async function setAlert(ctx: DialectSuite, id: string, status: 'active' | 'resolved') {
  const now = Date.now();
  await ctx.server.db.kysely.updateTable('alerts').set({ status, updated_at: now, resolved_at: status === 'resolved' ? now : null }).where('id', '=', id).execute();
}

it('refuses webhook addresses of link-local (cloud metadata), multicast and unspecified hosts, in every spelling', () => {
  for (const host of ['169.254.169.254', '[::ffff:169.254.169.254]', '::ffff:a9fe:a9fe', '[fe80::1]', 'FEBF::1', '0.0.0.0', '::', '224.0.0.1', '[ff02::1]', 'fd00:ec2::254']) {
    assert.equal(isForbiddenAddress(host), true, host);
  }
  for (const host of ['127.0.0.1', '10.1.2.3', '192.168.1.10', '[::1]', 'fd12::1', 'hooks.slack.com', '8.8.8.8', '::ffff:7f00:1']) {
    assert.equal(isForbiddenAddress(host), false, host);
  }
});

forEachDialect('notifications', { tenants: 'Notify', env: { SENTINEL_SMTP_URL: sink.url, SENTINEL_SMTP_FROM: 'Sentinel <alerts@sentinel.test>' } }, (ctx) => {
  const dispatch = () => ctx.server.services.notificationsDispatch;
  const deliveries = async (token: string, query = '') => (await ctx.server.api.get(`/api/v1/notifications/deliveries${query}`, token)).body.items as any[];
  /** Disables every channel and resolves every alert of both tenants, so each test hears only its own. */
  beforeEach(async () => {
    await ctx.server.db.kysely.updateTable('notification_channels').set({ enabled: 0 }).execute();
    await ctx.server.db.kysely.updateTable('alerts').set({ status: 'resolved', updated_at: Date.now() }).where('status', '!=', 'resolved').execute();
    await dispatch().scan();
    await dispatch().deliverDue(Date.now() + 24 * 60 * MINUTE);
    hook.received.length = 0;
    hook.answers.length = 0;
  });

  it('creates channels of each type, keeps secret settings in the secret store and never returns them', async () => {
    const before = await ctx.server.db.kysely.selectFrom('secrets').select('id').execute();
    const email = await channel(ctx, ctx.a.admin.token, { name: 'SOC mail', type: 'email', config: { recipients: ['soc@example.com'] }, min_severity: 'medium' });
    assert.deepEqual(email.config, { recipients: ['soc@example.com'] });
    assert.deepEqual(email.secrets_set, []);
    assert.equal(email.quiet_minutes, 30);
    assert.equal(email.enabled, true);
    const webhook = await channel(ctx, ctx.a.admin.token, { name: 'SIEM hook', type: 'webhook', config: { url: `${hook.url}/siem`, secret: SECRET } });
    assert.deepEqual(webhook.config, { url: `${hook.url}/siem` });
    assert.deepEqual(webhook.secrets_set, ['secret']);
    assert.equal(webhook.min_severity, 'high');
    const slack = await channel(ctx, ctx.a.admin.token, { name: 'Slack', type: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX' }, sources: ['wazuh'] });
    assert.deepEqual(slack.config, {});
    assert.deepEqual(slack.secrets_set, ['url']);
    const teams = await channel(ctx, ctx.a.admin.token, { name: 'Teams', type: 'teams', config: { url: 'https://example.webhook.office.com/webhookb2/secret-token' } });
    for (const text of [JSON.stringify([webhook, slack, teams]), (await ctx.server.api.get('/api/v1/notification-channels', ctx.a.admin.token)).text, (await ctx.server.api.get(`/api/v1/notification-channels/${webhook.id}`, ctx.a.admin.token)).text]) {
      assert.doesNotMatch(text, /whsec_|XXXXsecretXXXX|secret-token/);
    }
    const stored = await ctx.server.db.kysely.selectFrom('secrets').select(['id', 'ciphertext']).execute();
    assert.equal(stored.length, before.length + 3);
    assert.ok(stored.every((row) => !/whsec_|XXXXsecret/.test(row.ciphertext)), 'encrypted at rest');
    const rows = await ctx.server.db.kysely.selectFrom('notification_channels').select(['config']).execute();
    assert.ok(rows.every((row) => !/whsec_|XXXXsecret|secret-token/.test(row.config)), 'not in the channel rows either');

    // PATCH merges the config; a new secret replaces the old one.
    const patched = await ctx.server.api.patch(`/api/v1/notification-channels/${webhook.id}`, { config: { secret: 'whsec_another_secret_value' }, min_severity: 'low', sources: ['Sentinel rules'] }, ctx.a.admin.token);
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.config, { url: `${hook.url}/siem` });
    assert.equal(patched.body.min_severity, 'low');
    assert.deepEqual(patched.body.sources, ['Sentinel rules']);
    assert.equal((await ctx.server.db.kysely.selectFrom('secrets').select('id').execute()).length, before.length + 3, 'the old secret is deleted');
    assert.equal((await ctx.server.api.delete(`/api/v1/notification-channels/${teams.id}`, ctx.a.admin.token)).status, 204);
    assert.equal((await ctx.server.db.kysely.selectFrom('secrets').select('id').execute()).length, before.length + 2, 'deleting the channel deletes its secret');
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${teams.id}`, ctx.a.admin.token)).status, 404);
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${webhook.id}`, ctx.a.admin.token);
    assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action), ['notification_channel.update', 'notification_channel.create']);
    assert.doesNotMatch(audit.text, /whsec_/);
  });

  it('refuses bad channels with a 400 naming the field, and a taken name with 409, changing nothing', async () => {
    const count = async () => (await ctx.server.db.kysely.selectFrom('notification_channels').select('id').execute()).length;
    const secrets = async () => (await ctx.server.db.kysely.selectFrom('secrets').select('id').execute()).length;
    const [channelsBefore, secretsBefore] = [await count(), await secrets()];
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', type: 'pager', config: {} }, 'type'],
      [{ name: 'x', type: 'email', config: {} }, 'config.recipients'],
      [{ name: 'x', type: 'email', config: { recipients: [] } }, 'config.recipients'],
      [{ name: 'x', type: 'email', config: { recipients: ['not an address'] } }, 'config.recipients'],
      [{ name: 'x', type: 'email', config: { recipients: ['a@b.co'], url: 'https://x' } }, 'config.url'],
      [{ name: 'x', type: 'email', config: { recipients: ['a@b.co'], smtp_url: 'http://mail' } }, 'config.smtp_url'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x' } }, 'config.secret'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: 'short' } }, 'config.secret'],
      [{ name: 'x', type: 'webhook', config: { url: 'ftp://x', secret: SECRET } }, 'config.url'],
      [{ name: 'x', type: 'slack', config: { url: 'https://x', secret: SECRET } }, 'config.secret'],
      [{ name: 'x', type: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data/', secret: SECRET } }, 'config.url'],
      [{ name: 'x', type: 'teams', config: { url: 'http://[fe80::1]:8080/hook' } }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'http://0.0.0.0:8000/', secret: SECRET } }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'http://[::ffff:169.254.169.254]/', secret: SECRET } }, 'config.url'],
      [{ name: 'x', type: 'teams', config: {} }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: SECRET, extra: 1 } }, 'config.extra'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: SECRET }, min_severity: 'urgent' }, 'min_severity'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: SECRET }, sources: [] }, 'sources'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: SECRET }, quiet_minutes: -1 }, 'quiet_minutes'],
      [{ name: '', type: 'webhook', config: { url: 'https://x', secret: SECRET } }, 'name'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://x', secret: SECRET }, tenant_id: ctx.b.id }, 'tenant_id'],
    ];
    for (const [body, field] of cases) {
      const response = await ctx.server.api.post('/api/v1/notification-channels', body, ctx.a.admin.token);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(response.body.errors?.some((e: { field: string }) => e.field.startsWith(field)), `${field}: ${response.text}`);
      assert.doesNotMatch(response.text, /0123456789abcdef/, 'secret values are not echoed');
    }
    const made = await channel(ctx, ctx.a.admin.token, { name: 'Unique', type: 'webhook', config: { url: 'https://x.example', secret: SECRET } });
    const taken = await ctx.server.api.post('/api/v1/notification-channels', { name: 'Unique', type: 'webhook', config: { url: 'https://y.example', secret: SECRET } }, ctx.a.admin.token);
    assert.equal(taken.status, 409, taken.text);
    assert.equal(await count(), channelsBefore + 1);
    assert.equal(await secrets(), secretsBefore + 1, 'the refused channel left no secret behind');
    for (const [body, field] of [[{}, ''], [{ config: { recipients: ['a@b.co'] } }, 'config.recipients'], [{ config: { secret: null } }, 'config.secret'], [{ type: 'email' }, 'type']] as const) {
      const response = await ctx.server.api.patch(`/api/v1/notification-channels/${made.id}`, body, ctx.a.admin.token);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      if (field !== '') assert.ok(response.body.errors?.some((e: { field: string }) => e.field.startsWith(field)), `${field}: ${response.text}`);
    }
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${made.id}`, ctx.a.admin.token)).body.config.url, 'https://x.example');
  });

  it('announces an opened and a resolved alert by e-mail and signed webhook, and logs each delivery', async () => {
    const mail = await channel(ctx, ctx.a.admin.token, { name: 'Flow mail', type: 'email', config: { recipients: ['soc@example.com', 'oncall@example.com'] } });
    const webhook = await channel(ctx, ctx.a.admin.token, { name: 'Flow hook', type: 'webhook', config: { url: `${hook.url}/flow`, secret: SECRET } });
    const mailsBefore = sink.messages().length;
    const alertId = await makeAlert(ctx.server, ctx.a.id, { title: 'Brute force on vpn-gw-01', severity: 'critical', source: 'Sentinel rules', asset: 'vpn-gw-01' });
    assert.equal(await dispatch().scan(), 2);
    assert.equal(await dispatch().scan(), 0, 'a change is announced once');
    assert.equal(await dispatch().deliverDue(), 2);

    const [opened] = (await sink.waitFor(mailsBefore + 1)).slice(mailsBefore);
    assert.deepEqual(opened!.rcptTos.sort(), ['oncall@example.com', 'soc@example.com']);
    assert.match(opened!.headers.from!, /alerts@sentinel\.test/);
    assert.match(opened!.headers.subject!, /Alert opened: \[CRITICAL\] Brute force on vpn-gw-01/);
    assert.match(opened!.text, /Asset: vpn-gw-01/);
    assert.match(opened!.text, new RegExp(alertId));

    assert.equal(hook.received.length, 1);
    const request = hook.received[0]!;
    assert.equal(request.path, '/flow');
    assert.ok(verifySignature(request.headers['x-sentinel-signature'], request.raw, SECRET), `signature ${String(request.headers['x-sentinel-signature'])}`);
    assert.ok(!verifySignature(request.headers['x-sentinel-signature'], request.raw.replace('critical', 'low'), SECRET), 'a changed body does not verify');
    assert.equal(request.body.type, 'alert.opened');
    assert.equal(request.body.alert.id, alertId);
    assert.equal(request.body.alert.severity, 'critical');
    assert.equal(request.headers['x-sentinel-event'], 'alert.opened');

    await setAlert(ctx, alertId, 'resolved');
    assert.equal(await dispatch().scan(), 2);
    await dispatch().deliverDue();
    const [resolved] = (await sink.waitFor(mailsBefore + 2)).slice(mailsBefore + 1);
    assert.match(resolved!.headers.subject!, /Alert resolved: \[CRITICAL\] Brute force/);
    assert.equal(hook.received.at(-1)!.body.type, 'alert.resolved');
    assert.equal(hook.received.at(-1)!.body.alert.status, 'resolved');
    assert.ok(verifySignature(hook.received.at(-1)!.headers['x-sentinel-signature'], hook.received.at(-1)!.raw, SECRET));

    const log = await deliveries(ctx.a.manager.token, `?alert_id=${alertId}`);
    assert.deepEqual(log.map((d) => [d.event, d.status, d.attempts]).sort(), [
      ['alert.opened', 'delivered', 1], ['alert.opened', 'delivered', 1], ['alert.resolved', 'delivered', 1], ['alert.resolved', 'delivered', 1],
    ]);
    assert.ok(log.every((d) => [mail.id, webhook.id].includes(d.channel_id) && d.delivered_at !== null && d.next_attempt_at === null));
    assert.equal(log.find((d) => d.channel_id === webhook.id)!.response_status, 200);
    assert.equal((await deliveries(ctx.a.manager.token, `?channel_id=${mail.id}&event=alert.resolved`)).length, 1);
  });

  it('end to end: telemetry ingested, a rule fires, e-mail and signed webhook go out; the condition clears, the resolution goes out', async () => {
    await channel(ctx, ctx.a.admin.token, { name: 'Rules mail', type: 'email', config: { recipients: ['facilities@example.com'] }, sources: ['Sentinel rules'] });
    await channel(ctx, ctx.a.admin.token, { name: 'Rules hook', type: 'webhook', config: { url: `${hook.url}/rules`, secret: SECRET } });
    const rule = await ctx.server.api.post('/api/v1/alert-rules', { name: 'Cold room too warm', kind: 'telemetry', severity: 'critical', metric: 'room.temp', labels: { room: 'cold-1' }, aggregation: 'avg', window_seconds: 60, operator: '>', threshold: 8 }, ctx.a.admin.token);
    assert.equal(rule.status, 201, rule.text);
    const ingest = async (value: number) => assert.equal((await ctx.server.api.post('/api/v1/telemetry', { points: [{ metric: 'room.temp', value, labels: { room: 'cold-1' } }] }, ctx.a.admin.token)).status, 201);
    const mailsBefore = sink.messages().length;
    await ingest(12);
    await ctx.server.services.ruleEvaluator.evaluateTenant(ctx.a.id);
    await dispatch().scan();
    await dispatch().deliverDue();
    const [opened] = (await sink.waitFor(mailsBefore + 1)).slice(mailsBefore);
    assert.match(opened!.headers.subject!, /Alert opened: \[CRITICAL\] Cold room too warm/);
    assert.match(opened!.text, /Source: Sentinel rules/);
    const fired = hook.received.find((r) => r.path === '/rules')!;
    assert.equal(fired.body.type, 'alert.opened');
    assert.ok(verifySignature(fired.headers['x-sentinel-signature'], fired.raw, SECRET));
    const active = await ctx.server.api.get('/api/v1/alerts/active', ctx.a.viewer.token);
    assert.ok(active.body.items.some((a: { id: string }) => a.id === fired.body.alert.id), 'the alert is in /alerts/active');

    await ingest(-40);
    await ctx.server.services.ruleEvaluator.evaluateTenant(ctx.a.id);
    await dispatch().scan();
    await dispatch().deliverDue();
    const [resolved] = (await sink.waitFor(mailsBefore + 2)).slice(mailsBefore + 1);
    assert.match(resolved!.headers.subject!, /Alert resolved: \[CRITICAL\] Cold room too warm/);
    const cleared = hook.received.filter((r) => r.path === '/rules').at(-1)!;
    assert.equal(cleared.body.type, 'alert.resolved');
    assert.equal(cleared.body.alert.id, fired.body.alert.id);
    assert.ok(verifySignature(cleared.headers['x-sentinel-signature'], cleared.raw, SECRET));
  });

  it('routes by severity and by source (the alert\'s source or its integration\'s type)', async () => {
    const severe = await channel(ctx, ctx.a.admin.token, { name: 'Severe only', type: 'webhook', config: { url: `${hook.url}/severe`, secret: SECRET }, min_severity: 'high' });
    const wazuh = await channel(ctx, ctx.a.admin.token, { name: 'Wazuh only', type: 'webhook', config: { url: `${hook.url}/wazuh`, secret: SECRET }, min_severity: 'info', sources: ['WAZUH', 'Sentinel rules'] });
    const integration = await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Wazuh feed', type: 'wazuh', config: { url: 'https://127.0.0.1:9', username: 'u', indexer_url: 'https://127.0.0.1:9', indexer_username: 'a' }, secret: { password: 'p', indexer_password: 'q' } });
    const low = await makeAlert(ctx.server, ctx.a.id, { severity: 'low', source: 'rule 5710', integration_id: integration.id });
    const medium = await makeAlert(ctx.server, ctx.a.id, { severity: 'medium', source: 'splunk search' });
    const high = await makeAlert(ctx.server, ctx.a.id, { severity: 'high', source: 'Sentinel rules' });
    await dispatch().scan();
    const routed = await ctx.server.db.kysely.selectFrom('notification_deliveries').select(['channel_id', 'alert_id']).where('alert_id', 'in', [low, medium, high]).execute();
    const pairs = routed.map((r) => `${r.channel_id === severe.id ? 'severe' : r.channel_id === wazuh.id ? 'wazuh' : 'other'}:${r.alert_id === low ? 'low' : r.alert_id === medium ? 'medium' : 'high'}`).sort();
    assert.deepEqual(pairs, ['severe:high', 'wazuh:high', 'wazuh:low']);
  });

  it('does not storm when an alert flaps: a re-opening within the quiet time is announced once it is up, if still open', async () => {
    await channel(ctx, ctx.a.admin.token, { name: 'Flappy', type: 'webhook', config: { url: `${hook.url}/flap`, secret: SECRET }, quiet_minutes: 10 });
    const t0 = Date.now();
    const alertId = await makeAlert(ctx.server, ctx.a.id, { severity: 'high', title: 'Flapping link' });
    const events = async () => (await ctx.server.db.kysely.selectFrom('notification_deliveries').select(['event', 'created_at']).where('alert_id', '=', alertId).orderBy('id').execute()).map((r) => r.event);
    await dispatch().scan(t0);
    await setAlert(ctx, alertId, 'resolved');
    await dispatch().scan(t0 + 1000);
    for (let i = 1; i <= 5; i++) {
      await setAlert(ctx, alertId, 'active');
      await dispatch().scan(t0 + i * MINUTE);
      await setAlert(ctx, alertId, 'resolved');
      await dispatch().scan(t0 + i * MINUTE + 1000);
    }
    await setAlert(ctx, alertId, 'active');
    await dispatch().scan(t0 + 6 * MINUTE);
    assert.deepEqual(await events(), ['alert.opened', 'alert.resolved'], 'six re-openings within the quiet time: nothing more yet');
    await dispatch().scan(t0 + 10 * MINUTE + 2000);
    assert.deepEqual(await events(), ['alert.opened', 'alert.resolved', 'alert.reopened'], 'still open when the quiet time is up: announced once');
    await dispatch().scan(t0 + 11 * MINUTE);
    assert.equal((await events()).length, 3);
  });

  it('retries with back-off (5xx, timeouts, SMTP 4xx), gives up at once on a 4xx, and survives a restart', async () => {
    const webhook = await channel(ctx, ctx.a.admin.token, { name: 'Flaky receiver', type: 'webhook', config: { url: `${hook.url}/flaky`, secret: SECRET } });
    hook.answers.push(503, 502);
    const alertId = await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'Retry me' });
    const t0 = Date.now();
    await dispatch().scan(t0);
    const row = async () => ctx.server.db.kysely.selectFrom('notification_deliveries').selectAll().where('alert_id', '=', alertId).executeTakeFirstOrThrow();
    await dispatch().deliverDue(t0);
    let delivery = await row();
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.last_error, 'HTTP 503');
    assert.ok(Number(delivery.next_attempt_at) >= t0 + 27_000 && Number(delivery.next_attempt_at) <= t0 + 33_000, `first retry ~30 s later: ${Number(delivery.next_attempt_at) - t0}`);
    assert.equal(await dispatch().deliverDue(t0 + 10_000), 0, 'not before its time');
    await dispatch().deliverDue(t0 + 34_000);
    delivery = await row();
    assert.equal(delivery.attempts, 2);
    assert.ok(Number(delivery.next_attempt_at) >= t0 + 34_000 + 54_000, 'the second wait is twice as long');
    // A restart: another process's services over the same database send what is still due.
    const restarted = createServices(ctx.server.config, ctx.server.db, ctx.server.secretKey);
    await restarted.notificationsDispatch.deliverDue(t0 + 10 * MINUTE);
    delivery = await row();
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 3);
    assert.equal(hook.received.filter((r) => r.path === '/flaky').length, 3);
    assert.equal(new Set(hook.received.filter((r) => r.path === '/flaky').map((r) => r.headers['x-sentinel-delivery'])).size, 1, 'the same delivery id each time, for receivers to drop duplicates');

    // A message a worker took and never finished (it died) is taken over once its lease lapses.
    const orphan = await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'Orphaned' });
    await dispatch().scan();
    await ctx.server.db.kysely.updateTable('notification_deliveries').set({ status: 'sending', attempts: 1, locked_until: Date.now() + MINUTE }).where('alert_id', '=', orphan).execute();
    assert.equal(await dispatch().deliverDue(), 0);
    assert.equal(await dispatch().deliverDue(Date.now() + 2 * MINUTE), 1);
    assert.equal((await ctx.server.db.kysely.selectFrom('notification_deliveries').select('status').where('alert_id', '=', orphan).executeTakeFirstOrThrow()).status, 'delivered');

    // A 4xx answer is final.
    hook.answers.push(410);
    const gone = await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'Gone' });
    await dispatch().scan();
    await dispatch().deliverDue();
    const refused = await ctx.server.db.kysely.selectFrom('notification_deliveries').selectAll().where('alert_id', '=', gone).executeTakeFirstOrThrow();
    assert.equal(refused.status, 'failed');
    assert.equal(refused.response_status, 410);
    await ctx.server.api.patch(`/api/v1/notification-channels/${webhook.id}`, { enabled: false }, ctx.a.admin.token);

    // An unreachable receiver is retried, and after the last attempt the message has failed.
    await channel(ctx, ctx.a.admin.token, { name: 'Nobody home', type: 'webhook', config: { url: NOBODY, secret: SECRET } });
    const lost = await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'Nobody listens' });
    await dispatch().scan();
    for (let i = 0; i < 8; i++) await dispatch().deliverDue(Date.now() + i * 2 * 60 * MINUTE);
    const unreachable = await ctx.server.db.kysely.selectFrom('notification_deliveries').selectAll().where('alert_id', '=', lost).executeTakeFirstOrThrow();
    assert.equal(unreachable.status, 'failed');
    assert.equal(unreachable.attempts, 8);
    assert.match(unreachable.last_error!, /ECONNREFUSED/);
  });

  it('keeps the delivery log for 90 days', async () => {
    await channel(ctx, ctx.a.admin.token, { name: 'Pruned', type: 'webhook', config: { url: `${hook.url}/prune`, secret: SECRET } });
    const alertId = await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'Old news' });
    await dispatch().scan();
    await dispatch().deliverDue();
    const logged = async () => (await deliveries(ctx.a.admin.token, `?alert_id=${alertId}`)).length;
    assert.equal(await logged(), 1);
    await dispatch().prune(Date.now() + 89 * 24 * 60 * MINUTE);
    assert.equal(await logged(), 1);
    await dispatch().prune(Date.now() + 91 * 24 * 60 * MINUTE);
    assert.equal(await logged(), 0);
  });

  it('several workers scanning and sending at once announce each change once', async () => {
    await channel(ctx, ctx.a.admin.token, { name: 'Race', type: 'webhook', config: { url: `${hook.url}/race`, secret: SECRET } });
    const others = [createServices(ctx.server.config, ctx.server.db, ctx.server.secretKey), createServices(ctx.server.config, ctx.server.db, ctx.server.secretKey)].map((s) => s.notificationsDispatch);
    const ids = await Promise.all([1, 2, 3].map((i) => makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: `Race ${i}` })));
    await Promise.all([dispatch(), ...others].map((d) => d.scan()));
    await Promise.all([dispatch(), ...others].map((d) => d.deliverDue()));
    const rows = await ctx.server.db.kysely.selectFrom('notification_deliveries').select(['alert_id', 'status']).where('alert_id', 'in', ids).execute();
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.status === 'delivered'));
    assert.equal(hook.received.filter((r) => r.path === '/race').length, 3);
  });

  it('sends Slack- and Teams-shaped bodies (unsigned: those services do not check signatures)', async () => {
    await channel(ctx, ctx.a.admin.token, { name: 'Slack body', type: 'slack', config: { url: `${hook.url}/slack` } });
    await channel(ctx, ctx.a.admin.token, { name: 'Teams body', type: 'teams', config: { url: `${hook.url}/teams` } });
    await makeAlert(ctx.server, ctx.a.id, { severity: 'high', title: 'Disk <full> & more' });
    await dispatch().scan();
    await dispatch().deliverDue();
    const slack = hook.received.find((r) => r.path === '/slack')!;
    assert.equal(slack.body.text, 'Alert opened: [HIGH] Disk <full> & more');
    assert.match(slack.body.attachments[0].blocks[0].text.text, /Disk &lt;full&gt; &amp; more/);
    assert.equal(slack.headers['x-sentinel-signature'], undefined);
    const teams = hook.received.find((r) => r.path === '/teams')!;
    assert.equal(teams.body.type, 'message');
    const card = teams.body.attachments[0];
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.type, 'AdaptiveCard');
    assert.match(card.content.body[0].text, /Disk <full> & more/);
    assert.ok(card.content.body[1].facts.some((f: { title: string; value: string }) => f.title === 'Severity' && f.value === 'high'));
  });

  it('writes what people read in the tenant\'s language; a webhook\'s JSON stays data', async () => {
    assert.equal((await ctx.server.api.patch('/api/v1/tenant/settings', { language: 'es' }, ctx.b.admin.token)).status, 200);
    try {
      await channel(ctx, ctx.b.admin.token, { name: 'Slack es', type: 'slack', config: { url: `${hook.url}/slack-es` } });
      await channel(ctx, ctx.b.admin.token, { name: 'Hook es', type: 'webhook', config: { url: `${hook.url}/hook-es`, secret: SECRET } });
      await makeAlert(ctx.server, ctx.b.id, { severity: 'high', title: 'Disco lleno' });
      await dispatch().scan();
      await dispatch().deliverDue();
      const slack = hook.received.find((r) => r.path === '/slack-es')!;
      assert.equal(slack.body.text, 'Alerta abierta: [ALTA] Disco lleno');
      assert.match(slack.body.attachments[0].blocks[0].text.text, /Severidad: alta\nEstado: activa/);
      const json = hook.received.find((r) => r.path === '/hook-es')!;
      assert.equal(json.body.type, 'alert.opened');
      assert.equal(json.body.alert.title, 'Disco lleno');
      const testChannel = await channel(ctx, ctx.b.admin.token, { name: 'Prueba', type: 'slack', config: { url: `${hook.url}/slack-test-es` } });
      assert.equal((await ctx.server.api.post(`/api/v1/notification-channels/${testChannel.id}/test`, undefined, ctx.b.admin.token)).body.status, 'delivered');
      assert.equal(hook.received.find((r) => r.path === '/slack-test-es')!.body.text, 'Mensaje de prueba de Sentinel al canal "Prueba"');
    } finally {
      assert.equal((await ctx.server.api.patch('/api/v1/tenant/settings', { language: 'en' }, ctx.b.admin.token)).status, 200);
    }
  });

  it('test sends a message now, through a channel\'s own SMTP server with its login, and logs it', async () => {
    const own = await channel(ctx, ctx.a.admin.token, { name: 'Own SMTP', type: 'email', config: { recipients: ['team@example.com'], smtp_url: authSink.url } });
    assert.deepEqual(own.secrets_set, ['smtp_url']);
    assert.doesNotMatch(JSON.stringify(own), /Sm7p/);
    const before = authSink.messages().length;
    const tested = await ctx.server.api.post(`/api/v1/notification-channels/${own.id}/test`, undefined, ctx.a.admin.token);
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.body.status, 'delivered');
    assert.equal(tested.body.event, 'channel.test');
    const [message] = (await authSink.waitFor(before + 1)).slice(before);
    assert.equal(message!.login, 'mailer');
    assert.match(message!.headers.subject!, /Test message from Sentinel to the channel "Own SMTP"/);

    const broken = await channel(ctx, ctx.a.admin.token, { name: 'Broken', type: 'webhook', config: { url: NOBODY, secret: SECRET } });
    const failed = await ctx.server.api.post(`/api/v1/notification-channels/${broken.id}/test`, undefined, ctx.a.admin.token);
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.body.status, 'failed');
    assert.match(failed.body.last_error, /ECONNREFUSED/);
    const wrongLogin = await channel(ctx, ctx.a.admin.token, { name: 'Wrong login', type: 'email', config: { recipients: ['team@example.com'], smtp_url: authSink.url.replace('mailer', 'intruder') } });
    const refused = await ctx.server.api.post(`/api/v1/notification-channels/${wrongLogin.id}/test`, undefined, ctx.a.admin.token);
    assert.equal(refused.body.status, 'failed');
    assert.doesNotMatch(refused.text, /Sm7p/, 'no credentials in the log');
    const log = await deliveries(ctx.a.admin.token, '?event=channel.test');
    assert.deepEqual(log.slice(0, 3).map((d) => d.status), ['failed', 'failed', 'delivered']);
  });

  it('keeps tenants apart on every route and in what is announced', async () => {
    const ours = await channel(ctx, ctx.a.admin.token, { name: 'A private', type: 'webhook', config: { url: `${hook.url}/a`, secret: SECRET }, min_severity: 'info' });
    const theirs = await channel(ctx, ctx.b.admin.token, { name: 'B private', type: 'webhook', config: { url: `${hook.url}/b`, secret: SECRET }, min_severity: 'info' });
    await makeAlert(ctx.server, ctx.a.id, { severity: 'critical', title: 'A only' });
    await dispatch().scan();
    await dispatch().deliverDue();
    assert.deepEqual(hook.received.map((r) => r.path), ['/a'], 'B\'s channel hears nothing of A\'s alert');
    const listA = await ctx.server.api.get('/api/v1/notification-channels', ctx.a.admin.token);
    assert.ok(listA.body.items.some((c: { id: string }) => c.id === ours.id));
    assert.ok(listA.body.items.every((c: { tenant_id: string }) => c.tenant_id === ctx.a.id));
    const logA = await deliveries(ctx.a.admin.token);
    assert.ok(logA.length > 0);
    const logB = await deliveries(ctx.b.admin.token);
    assert.ok(logB.every((d) => d.tenant_id === ctx.b.id));
    for (const [method, path, body] of [
      ['GET', `/api/v1/notification-channels/${ours.id}`, undefined],
      ['PATCH', `/api/v1/notification-channels/${ours.id}`, { name: 'stolen' }],
      ['POST', `/api/v1/notification-channels/${ours.id}/test`, undefined],
      ['DELETE', `/api/v1/notification-channels/${ours.id}`, undefined],
    ] as const) {
      const response = await ctx.server.api.request(method, path, { token: ctx.b.admin.token, ...(body ? { body } : {}) });
      assert.equal(response.status, 404, `${method} ${path}: ${response.text}`);
    }
    assert.equal((await ctx.server.api.get(`/api/v1/notifications/deliveries?channel_id=${ours.id}`, ctx.b.admin.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${ours.id}`, ctx.a.admin.token)).body.name, 'A private');
    // A SUPER_ADMIN names the tenant.
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${theirs.id}?tenant_id=${ctx.b.id}`, ctx.superAdmin)).status, 200);
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${theirs.id}?tenant_id=${ctx.a.id}`, ctx.superAdmin)).status, 404);
    assert.equal((await ctx.server.api.get('/api/v1/notification-channels', ctx.superAdmin)).status, 400, 'a SUPER_ADMIN must name the tenant');
  });

  it('lets ADMIN write, MANAGER read, and refuses OPERATOR and VIEWER', async () => {
    const made = await channel(ctx, ctx.a.admin.token, { name: 'Roles', type: 'webhook', config: { url: `${hook.url}/roles`, secret: SECRET } });
    const routes = [
      ['GET', '/api/v1/notification-channels', undefined, 'read'],
      ['GET', `/api/v1/notification-channels/${made.id}`, undefined, 'read'],
      ['GET', '/api/v1/notifications/deliveries', undefined, 'read'],
      ['POST', '/api/v1/notification-channels', { name: 'By role', type: 'webhook', config: { url: 'https://x.example', secret: SECRET } }, 'write'],
      ['PATCH', `/api/v1/notification-channels/${made.id}`, { quiet_minutes: 5 }, 'write'],
      ['POST', `/api/v1/notification-channels/${made.id}/test`, undefined, 'write'],
      ['DELETE', `/api/v1/notification-channels/${made.id}`, undefined, 'write'],
    ] as const;
    for (const [role, user] of [['MANAGER', ctx.a.manager], ['OPERATOR', ctx.a.operator], ['VIEWER', ctx.a.viewer]] as const) {
      for (const [method, path, body, kind] of routes) {
        const response = await ctx.server.api.request(method, path, { token: user.token, ...(body ? { body } : {}) });
        const allowed = role === 'MANAGER' && kind === 'read';
        assert.equal(response.status, allowed ? 200 : 403, `${role} ${method} ${path}: ${response.text}`);
      }
    }
    assert.equal((await ctx.server.api.get(`/api/v1/notification-channels/${made.id}`, ctx.a.admin.token)).body.quiet_minutes, 30, 'nothing changed');
    assert.equal((await ctx.server.api.get('/api/v1/notification-channels')).status, 401);
    for (const [method, path, body] of routes.slice(3)) {
      const response = await ctx.server.api.request(method, path, { token: ctx.a.admin.token, ...(body ? { body } : {}) });
      assert.ok([200, 201, 204].includes(response.status), `ADMIN ${method} ${path}: ${response.text}`);
    }
  });
});

