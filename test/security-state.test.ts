import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LiveEvent } from '../src/platform/events/event-bus.ts';
import { availabilityPercent } from '../src/modules/systems/availability.ts';
import { snakeCaseKeys } from '../src/modules/systems/systems.merge.ts';
import { decideStatus, DEFAULT_SYSTEM_SETTINGS } from '../src/modules/systems/system-status.ts';
import { zeroSeverityCounts } from '../src/modules/security-domain/vocabulary.ts';
import { startGrafanaSimulator, type AmAlert, type GrafanaSimulator } from './simulators/grafana.ts';
import { resolveNotable, startSplunkSimulator, type SplunkSimulator } from './simulators/splunk.ts';
import { startPaloAltoSimulator, type PaloAltoSimulator } from './simulators/paloalto.ts';
import { startMerakiSimulator, type MerakiSimulator } from './simulators/meraki.ts';
import { makeIntegration } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

const HIGH_CPU = '6f1c2b9a0d3e4f58';

describe('system status and availability rules', () => {
  it('the status is the worse of the vendor health and what the open alerts call for', () => {
    const counts = { ...zeroSeverityCounts(), medium: 2 };
    assert.deepEqual(decideStatus('online', counts, DEFAULT_SYSTEM_SETTINGS), { status: 'warning', set_by: 'open_alerts', from_alerts: 'warning' });
    assert.deepEqual(decideStatus('alert', counts, DEFAULT_SYSTEM_SETTINGS), { status: 'alert', set_by: 'vendor', from_alerts: 'warning' });
    assert.deepEqual(decideStatus('warning', { ...counts, high: 1 }, DEFAULT_SYSTEM_SETTINGS), { status: 'alert', set_by: 'open_alerts', from_alerts: 'alert' });
    assert.deepEqual(decideStatus('online', { ...zeroSeverityCounts(), low: 9, info: 9 }, DEFAULT_SYSTEM_SETTINGS).status, 'online');
  });

  it('availability is the up share of the observed time in the window; unknown time counts neither way', () => {
    const periods = [
      { up: 1, started_at: 0, ended_at: 600 },
      { up: 0, started_at: 600, ended_at: 700 },
      { up: 1, started_at: 700, ended_at: 1000 },
    ];
    assert.equal(availabilityPercent(periods, 0, 1000), 90);
    assert.equal(availabilityPercent(periods, 500, 2000), 80, 'clipped to the window; after the last sample is not counted');
    assert.equal(availabilityPercent([], 0, 1000), null);
    assert.equal(availabilityPercent([{ up: 1, started_at: 5, ended_at: 5 }], 0, 1000), 100, 'a single sample');
    assert.equal(availabilityPercent([{ up: 0, started_at: 5, ended_at: 5 }], 0, 1000), 0);
  });

  it('vendor detail keys become snake_case, nested ones too', () => {
    assert.deepEqual(snakeCaseKeys({ lastReportedAt: 'x', 'sw-version': '1', nested: { lanIP: 1, list: [{ publicIp: 2 }] }, health_message: 'ok' }), {
      last_reported_at: 'x', sw_version: '1', nested: { lan_ip: 1, list: [{ public_ip: 2 }] }, health_message: 'ok',
    });
  });
});

forEachDialect('security state against the simulators', { env: { SENTINEL_SYNC: 'off' }, tenants: 'State', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let grafana: GrafanaSimulator;
  let splunk: SplunkSimulator;
  let paloalto: PaloAltoSimulator;
  let meraki: MerakiSimulator;
  let grafanaId: string;
  let splunkId: string;
  const events: LiveEvent[] = [];
  let unsubscribe: () => void;

  const sync = async (integrationId: string, expected = 'success') => {
    const outcome = await ctx.server.api.post(`/api/v1/integrations/${integrationId}/sync`, undefined, ctx.a.admin.token);
    assert.equal(outcome.body.status, expected, outcome.text);
    return outcome.body;
  };
  const systemOf = async (integrationId: string) => {
    const list = await ctx.server.api.get('/api/v1/systems?limit=500', ctx.a.viewer.token);
    const found = list.body.items.find((s: { integration_id: string }) => s.integration_id === integrationId);
    return (await ctx.server.api.get(`/api/v1/systems/${found.id}`, ctx.a.viewer.token)).body;
  };
  const alertOf = async (integrationId: string, externalId: string) => {
    const row = await ctx.server.db.kysely.selectFrom('alerts').select('id').where('integration_id', '=', integrationId).where('external_id', '=', externalId).executeTakeFirstOrThrow();
    return (await ctx.server.api.get(`/api/v1/alerts/${row.id}`, ctx.a.viewer.token)).body;
  };
  const put = (body: unknown, token: string) => ctx.server.api.request('PUT', '/api/v1/systems/settings', { token, body });
  const grafanaAlert = (fingerprint: string) => grafana.data.alerts.find((a) => a.fingerprint === fingerprint)!;

  before(async () => {
    [grafana, splunk, paloalto, meraki] = await Promise.all([startGrafanaSimulator(), startSplunkSimulator(), startPaloAltoSimulator({ jobPollsBeforeFin: 1 }), startMerakiSimulator()]);
    // A healthy Grafana (its Loki data source answers): whatever is wrong comes from its alerts.
    for (const datasource of grafana.data.datasources) datasource.health = { status: 'OK', message: 'Data source is working' };
    grafanaId = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Grafana', type: 'grafana', config: { url: grafana.url }, secret: grafana.token, enabled: true })).id;
    splunkId = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Splunk ES', type: 'splunk', config: { url: splunk.url }, secret: splunk.token, enabled: true })).id;
    unsubscribe = ctx.server.services.bus.subscribe(ctx.a.id, (event) => events.push(event));
  });
  after(async () => {
    unsubscribe();
    await Promise.all([grafana.close(), splunk.close(), paloalto.close(), meraki.close()]);
  });

  it('an open critical alert makes a healthy system `alert`, with counts, the rule that set it, and a live event', async () => {
    await sync(grafanaId);
    const system = await systemOf(grafanaId);
    assert.equal(system.vendor_status, 'online');
    assert.equal(system.status, 'alert', 'HighCPU (critical) is open');
    assert.equal(system.status_set_by, 'open_alerts');
    assert.match(system.status_rule, /open critical or high alert makes a system alert/);
    assert.deepEqual(system.open_alerts, { critical: 1, high: 0, medium: 2, low: 1, info: 0, total: 4 });
    assert.ok(events.some((e) => e.type === 'system.status_changed' && e.id === system.id && e.status === 'alert' && e.set_by === 'open_alerts'));
    assert.deepEqual((await ctx.server.api.get('/api/v1/systems/status', ctx.a.viewer.token)).body, { online: 0, warning: 0, alert: 1, total: 1 });
    assert.deepEqual((await ctx.server.api.get('/api/v1/systems?status=alert', ctx.a.viewer.token)).body.items.map((s: { id: string }) => s.id), [system.id]);
    assert.equal(system.metrics.uptime, 100, 'one sync, reachable and healthy');
    assert.equal(system.metrics.uptime_window_days, 30);
    assert.equal(typeof system.metrics.vendor_api_latency_ms, 'number');
  });

  it('resolving a firing alert sticks across syncs; the status follows the resolution at once', async () => {
    const highCpu = await alertOf(grafanaId, HIGH_CPU);
    events.length = 0;
    const resolved = await ctx.server.api.post(`/api/v1/alerts/${highCpu.id}/resolve`, { note: 'Scaled out web tier' }, ctx.a.operator.token);
    assert.equal(resolved.status, 200, resolved.text);
    const system = await systemOf(grafanaId);
    assert.equal(system.status, 'warning', 'open medium alerts remain');
    assert.ok(events.some((e) => e.type === 'system.status_changed' && e.status === 'warning' && e.previous === 'alert'));

    await sync(grafanaId);
    await sync(grafanaId);
    const after = await alertOf(grafanaId, HIGH_CPU);
    assert.equal(after.status, 'resolved', 'the vendor still lists the same occurrence: the resolution stands');
    assert.equal(after.resolution_note, 'Scaled out web tier');
    assert.equal(after.occurrences, 1);
    assert.equal((await systemOf(grafanaId)).status, 'warning');
  });

  it('a new occurrence reopens it: audited, live with its new status, note erased', async () => {
    const highCpu = grafanaAlert(HIGH_CPU);
    highCpu.startsAt = new Date(Date.now() - 60_000).toISOString();
    // A reopening and its audit entry commit together: when the entry cannot be written, neither is.
    const auditService = ctx.server.services.audit;
    const recordMany = auditService.recordMany;
    auditService.recordMany = async () => {
      throw new Error('the audit log is unavailable');
    };
    try {
      const failed = await ctx.server.api.post(`/api/v1/integrations/${grafanaId}/sync`, undefined, ctx.a.admin.token);
      assert.equal(failed.status, 500, failed.text);
    } finally {
      auditService.recordMany = recordMany;
    }
    assert.equal((await alertOf(grafanaId, HIGH_CPU)).status, 'resolved', 'not reopened without its audit entry');
    events.length = 0;
    await sync(grafanaId);
    const reopened = await alertOf(grafanaId, HIGH_CPU);
    assert.equal(reopened.status, 'active');
    assert.equal(reopened.resolution_note, null);
    assert.equal(reopened.occurrences, 2);
    const live = events.find((e) => e.type === 'alert.updated' && e.id === reopened.id);
    assert.deepEqual({ status: live?.status, change: live?.change, previous_status: live?.previous_status, reason: live?.reason }, { status: 'active', change: 'reopened', previous_status: 'resolved', reason: 'time_moved_on' });
    assert.equal((await systemOf(grafanaId)).status, 'alert');
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${reopened.id}&action=alert.reopen`, ctx.a.admin.token);
    assert.equal(audit.body.items.length, 1, audit.text);
    assert.equal(audit.body.items[0].actor_username, 'integration:Grafana');
    assert.deepEqual(audit.body.items[0].detail, { integration_id: grafanaId, previous_status: 'resolved', reason: 'time_moved_on' });
  });

  it('acknowledged stays acknowledged while the occurrence is the same; a clear and a new firing reopens it', async () => {
    const highCpu = await alertOf(grafanaId, HIGH_CPU);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${highCpu.id}/acknowledge`, undefined, ctx.a.operator.token)).status, 200);
    await sync(grafanaId);
    assert.equal((await alertOf(grafanaId, HIGH_CPU)).status, 'acknowledged');

    const saved = grafanaAlert(HIGH_CPU);
    grafana.data.alerts = grafana.data.alerts.filter((a) => a.fingerprint !== HIGH_CPU);
    await sync(grafanaId);
    const cleared = await alertOf(grafanaId, HIGH_CPU);
    assert.equal(cleared.status, 'resolved', 'cleared at the source');
    assert.equal(cleared.resolution_note, 'Cleared at the source');

    // Fires again; Grafana keeps the same startsAt here, so only the clear tells it is a new occurrence.
    grafana.data.alerts.push(saved as AmAlert);
    await sync(grafanaId);
    const again = await alertOf(grafanaId, HIGH_CPU);
    assert.equal(again.status, 'active');
    assert.equal(again.occurrences, 3);
    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${again.id}&action=alert.reopen`, ctx.a.admin.token);
    assert.deepEqual(audit.body.items.map((e: { detail: { reason: string } }) => e.detail.reason), ['fired_again', 'time_moved_on']);
  });

  it('response-time analytics: a human resolution while the vendor still reports the alert is a response; a clear at the source is not', async () => {
    await sync(splunkId);
    const notables = await ctx.server.db.kysely.selectFrom('alerts').selectAll().where('integration_id', '=', splunkId).where('status', '=', 'active').orderBy('id').execute();
    assert.ok(notables.length >= 2);
    const [byHand, byVendor] = notables;
    const before = (await ctx.server.api.get('/api/v1/analytics/response-time?days=7', ctx.a.viewer.token)).body;
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${byHand!.id}/resolve`, { note: 'False positive' }, ctx.a.operator.token)).status, 200);
    await sync(splunkId);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${byHand!.id}`, ctx.a.viewer.token)).body.status, 'resolved', 'Splunk still lists the notable: the resolution stands');

    // Closed in the incident review: the open-notable search no longer returns it.
    resolveNotable(splunk.data, byVendor!.external_id);
    await sync(splunkId);
    const cleared = (await ctx.server.api.get(`/api/v1/alerts/${byVendor!.id}`, ctx.a.viewer.token)).body;
    assert.equal(cleared.status, 'resolved');
    assert.equal(cleared.resolved_by, null);

    const after = (await ctx.server.api.get('/api/v1/analytics/response-time?days=7', ctx.a.viewer.token)).body;
    assert.equal(after.overall.time_to_resolve.count - before.overall.time_to_resolve.count, 1, 'the human resolution');
    assert.equal(after.overall.time_to_clear_at_source.count - before.overall.time_to_clear_at_source.count, 1, 'the vendor-side close');
  });

  it('status rules are configurable per tenant; every system follows at once; bad rules are 400', async () => {
    const system = await systemOf(grafanaId);
    assert.equal(system.status, 'alert');
    const defaults = await ctx.server.api.get('/api/v1/systems/settings', ctx.a.viewer.token);
    assert.deepEqual({ ...defaults.body, updated_at: undefined }, { alert_severities: ['critical', 'high'], warning_severities: ['medium'], uptime_window_days: 30, updated_at: undefined, updated_by: null });

    assert.equal((await put({ alert_severities: [] }, ctx.a.viewer.token)).status, 403);
    for (const bad of [{}, { alert_severities: ['urgent'] }, { alert_severities: ['critical'], warning_severities: ['critical'] }, { uptime_window_days: 0 }, { colour: 'red' }]) {
      const response = await put(bad, ctx.a.admin.token);
      assert.equal(response.status, 400, JSON.stringify(bad));
    }
    events.length = 0;
    const changed = await put({ alert_severities: [], warning_severities: ['critical', 'high'], uptime_window_days: 7 }, ctx.a.admin.token);
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.updated_by, ctx.a.admin.id);
    const after = await systemOf(grafanaId);
    assert.equal(after.status, 'warning', 'open critical alerts now only warn');
    assert.equal(after.metrics.uptime_window_days, 7);
    assert.match(after.status_rule, /open critical or high alert makes a system warning/);
    assert.ok(events.some((e) => e.type === 'system.status_changed' && e.id === system.id && e.status === 'warning'));
    // The other tenant keeps the defaults.
    assert.deepEqual((await ctx.server.api.get('/api/v1/systems/settings', ctx.b.admin.token)).body.alert_severities, ['critical', 'high']);
    assert.equal((await put({ alert_severities: ['critical', 'high'], warning_severities: ['medium'], uptime_window_days: 30 }, ctx.a.admin.token)).status, 200);
    assert.equal((await systemOf(grafanaId)).status, 'alert');
  });

  it('uptime is availability over the window from the sync history; the vendor\'s own uptime is uptime_seconds', async () => {
    const integrationId = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Edge', type: 'paloalto', config: { url: paloalto.url }, secret: paloalto.credentials, enabled: true })).id;
    await sync(integrationId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    paloalto.faults.status = { code: 500, count: 1000 };
    await sync(integrationId, 'error');
    paloalto.faults.status = undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sync(integrationId);
    const system = await systemOf(integrationId);
    assert.ok(system.metrics.uptime > 0 && system.metrics.uptime < 100, `some up, some down: ${system.metrics.uptime}`);
    assert.equal(system.metrics.uptime_seconds, 3 * 86_400 + 5 * 3600 + 35 * 60 + 41, 'what PAN-OS says about itself');
    const periods = await ctx.server.db.kysely.selectFrom('system_availability').select(['up']).where('system_id', '=', system.id).orderBy('started_at').execute();
    assert.deepEqual(periods.map((p) => p.up), [1, 0, 1], 'one row per change, not per sync');
    const firewall = system.assets.find((a: { kind: string }) => a.kind === 'firewall');
    assert.ok(Object.keys(firewall.detail).every((key) => /^[a-z0-9_]+$/.test(key)), JSON.stringify(firewall.detail));
    assert.equal(firewall.detail.sw_version, '10.2.9');
  });

  it('opt-in write-back: an alert a person resolves is dismissed at Meraki, then leaves the feed; without the option nothing is written', async () => {
    const config = { url: meraki.apiUrl, organization_id: meraki.organizationId };
    const plain = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Meraki read-only', type: 'meraki', config, secret: meraki.apiKey, enabled: true })).id;
    const writing = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Meraki', type: 'meraki', config: { ...config, write_back_resolutions: true }, secret: meraki.apiKey, enabled: true })).id;
    await sync(plain);
    await sync(writing);
    const [mine, theirs] = await Promise.all([writing, plain].map((id) => ctx.server.db.kysely.selectFrom('alerts').select(['id', 'external_id']).where('integration_id', '=', id).where('status', '=', 'active').orderBy('external_id').executeTakeFirstOrThrow()));
    assert.equal(mine!.external_id, theirs!.external_id, 'the same Meraki alert under both integrations');
    // Resolved through the read-only integration first: nothing goes to Meraki.
    await ctx.server.api.post(`/api/v1/alerts/${theirs!.id}/resolve`, { note: 'Handled' }, ctx.a.operator.token);
    const quiet = await sync(plain);
    assert.equal(quiet.resolutions_written_back, undefined);
    assert.equal(meraki.data.alerts.find((a) => a.id === mine!.external_id)!.dismissedAt, null);

    await ctx.server.api.post(`/api/v1/alerts/${mine!.id}/resolve`, { note: 'Replaced the uplink' }, ctx.a.operator.token);
    const written = await sync(writing);
    assert.equal(written.resolutions_written_back, 1);
    assert.ok(meraki.data.alerts.find((a) => a.id === mine!.external_id)!.dismissedAt, 'dismissed at Meraki');
    const next = await sync(writing);
    assert.equal(next.resolutions_written_back, 0, 'gone from the feed: not written twice');
    const alert = (await ctx.server.api.get(`/api/v1/alerts/${mine!.id}`, ctx.a.viewer.token)).body;
    assert.deepEqual([alert.status, alert.resolution_note, alert.resolved_by], ['resolved', 'Replaced the uplink', ctx.a.operator.id]);
  });

  it('opt-in write-back closes in Splunk ES the notable a person resolved; the next sync sees it closed', async () => {
    const writing = (await makeIntegration(ctx.server, ctx.a.admin.token, { name: 'Splunk ES (write-back)', type: 'splunk', config: { url: splunk.url, write_back_resolutions: true }, secret: splunk.token, enabled: true })).id;
    await sync(writing);
    const open = await ctx.server.db.kysely.selectFrom('alerts').select(['id', 'external_id']).where('integration_id', '=', writing).where('status', '=', 'active').orderBy('external_id').executeTakeFirstOrThrow();
    await ctx.server.api.post(`/api/v1/alerts/${open.id}/resolve`, { note: 'Blocked at the VPN gateway' }, ctx.a.operator.token);
    const written = await sync(writing);
    assert.equal(written.resolutions_written_back, 1, JSON.stringify(written));
    const notable = splunk.data.notables.find((n) => n.event_id === open.external_id)!;
    assert.deepEqual([notable.status, notable.status_end], ['5', 'true'], 'closed in the incident review');
    assert.equal((await sync(writing)).resolutions_written_back, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${open.id}`, ctx.a.viewer.token)).body.resolution_note, 'Blocked at the VPN gateway');
  });
});
