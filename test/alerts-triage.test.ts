import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { newId } from '../src/platform/ids.ts';
import { makeAlert, makeSystem } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

const MINUTE = 60_000;
type Item = { id: string } & Record<string, any>;
const ids = (items: Item[]) => items.map((item) => item.id);

forEachDialect('alert triage at scale', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Triage', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  const now = Date.now();
  let firewall: string;
  let siem: string;
  let theirs: string;

  /** An alert of tenant A, first ingested `ingestedMinutesAgo` (its id's time) and last seen `lastSeenMinutesAgo`. */
  const alertOf = (systemId: string, fields: { title: string; severity: string; ingestedMinutesAgo: number; lastSeenMinutesAgo: number; status?: string; source?: string; asset?: string }) =>
    makeAlert(ctx.server, ctx.a.id, {
      system_id: systemId, title: fields.title, severity: fields.severity, status: fields.status ?? 'active', source: fields.source ?? 'rule', asset: fields.asset ?? null,
      first_seen: now - fields.ingestedMinutesAgo * MINUTE, last_seen: now - fields.lastSeenMinutesAgo * MINUTE,
    });

  before(async () => {
    firewall = (await makeSystem(ctx.server, ctx.a, { name: 'Edge Firewall', status: 'alert' })).id;
    siem = (await makeSystem(ctx.server, ctx.a, { name: 'SIEM', status: 'online' })).id;
    theirs = await makeAlert(ctx.server, ctx.b.id, { title: 'Their alert', severity: 'critical' });
  });

  it('lists newest first by the alert\'s own time (last_seen, then id), and the cursor follows that order', async () => {
    // Ingest order (ids) is the reverse of the alerts' own times.
    const old = await alertOf(firewall, { title: 'Ingested last, seen long ago', severity: 'low', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 300 });
    const recent = await alertOf(firewall, { title: 'Ingested first, seen just now', severity: 'high', ingestedMinutesAgo: 400, lastSeenMinutesAgo: 2 });
    // Three alerts with the same last_seen: ordered by id among themselves.
    const tied = [];
    for (let i = 0; i < 3; i++) tied.push(await alertOf(siem, { title: `Tied ${i}`, severity: 'medium', ingestedMinutesAgo: 200 - i, lastSeenMinutesAgo: 100 }));
    const expected = [recent, ...tied.reverse(), old];

    const all = await ctx.server.api.get('/api/v1/alerts?limit=500', ctx.a.viewer.token);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(ids(all.body.items), expected);
    const times = all.body.items.map((a: Item) => Date.parse(a.last_seen));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));

    for (const route of ['/api/v1/alerts', '/api/v1/alerts/active']) {
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; text: string; body: { items: Item[]; next_cursor: string | null } } = await ctx.server.api.get(`${route}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, ctx.a.viewer.token);
        assert.equal(page.status, 200, page.text);
        paged.push(...ids(page.body.items));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(paged, expected, route);
    }
    const idCursor = Buffer.from(recent, 'utf8').toString('base64url');
    const refused = await ctx.server.api.get(`/api/v1/alerts?cursor=${idCursor}`, ctx.a.viewer.token);
    assert.equal(refused.status, 400, 'a cursor that is not a (time, id) pair is refused');
    assert.equal(refused.body.errors[0].field, 'cursor');

    await ctx.server.db.kysely.deleteFrom('alerts').where('tenant_id', '=', ctx.a.id).execute();
  });

  it('filters by several severities, statuses and systems (comma-separated or repeated) and by text', async () => {
    const critical = await alertOf(firewall, { title: 'Threat blocked: C2 beacon', severity: 'critical', ingestedMinutesAgo: 10, lastSeenMinutesAgo: 10, source: 'threat', asset: 'fw-01' });
    const high = await alertOf(siem, { title: 'Brute force on VPN', severity: 'high', ingestedMinutesAgo: 9, lastSeenMinutesAgo: 9, status: 'acknowledged', source: 'notable' });
    const medium = await alertOf(siem, { title: 'Disk 95% full', severity: 'medium', ingestedMinutesAgo: 8, lastSeenMinutesAgo: 8 });
    const low = await alertOf(firewall, { title: 'Config drift', severity: 'low', ingestedMinutesAgo: 7, lastSeenMinutesAgo: 7, status: 'resolved' });
    const get = async (query: string, route = '/api/v1/alerts') => {
      const response = await ctx.server.api.get(`${route}?${query}`, ctx.a.viewer.token);
      assert.equal(response.status, 200, `${query}: ${response.text}`);
      return ids(response.body.items).sort();
    };
    const sorted = (...list: string[]) => [...list].sort();

    assert.deepEqual(await get('severity=critical,high'), sorted(critical, high));
    assert.deepEqual(await get('severity=critical&severity=high'), sorted(critical, high));
    assert.deepEqual(await get('severity=critical,high&severity=low'), sorted(critical, high, low));
    assert.deepEqual(await get('status=active,resolved'), sorted(critical, medium, low));
    assert.deepEqual(await get('status=acknowledged', '/api/v1/alerts/active'), [high]);
    assert.deepEqual(await get(`system_id=${firewall}`), sorted(critical, low));
    assert.deepEqual(await get(`system_id=${firewall},${siem}&severity=critical,medium`), sorted(critical, medium));
    assert.deepEqual(await get('q=brute'), [high], 'title, case-insensitive');
    assert.deepEqual(await get('q=FW-01'), [critical], 'asset');
    assert.deepEqual(await get('q=notable'), [high], 'source');
    assert.deepEqual(await get('q=95%25'), [medium], '% is literal');
    assert.deepEqual(await get('q=5%25'), [medium]);
    assert.deepEqual(await get('q=_'), [], '_ is literal');
    assert.deepEqual(await get('q=drift', '/api/v1/alerts/active'), [], 'active lists keep to open alerts');

    for (const bad of ['severity=critical,urgent', 'severity=', 'status=open', `system_id=${firewall},x`, 'q=']) {
      assert.equal((await ctx.server.api.get(`/api/v1/alerts?${bad}`, ctx.a.viewer.token)).status, 400, bad);
    }
    assert.equal((await ctx.server.api.get('/api/v1/alerts/active?status=resolved', ctx.a.viewer.token)).status, 400, 'active lists take open statuses only');
  });

  it('validation errors name the allowed values of an enum, in queries and bodies', async () => {
    const query = await ctx.server.api.get('/api/v1/alerts?severity=critical,urgent', ctx.a.viewer.token);
    assert.equal(query.status, 400);
    assert.match(query.headers.get('content-type') ?? '', /problem\+json/);
    assert.deepEqual(query.body.errors, [{ field: 'severity.1', message: 'must be one of: critical, high, medium, low, info', code: 'one_of', params: { allowed: 'critical, high, medium, low, info' } }]);
    const status = await ctx.server.api.get('/api/v1/tickets?status=done', ctx.a.viewer.token);
    assert.deepEqual(status.body.errors, [{ field: 'status', message: 'must be one of: open, in_progress, resolved, closed', code: 'one_of', params: { allowed: 'open, in_progress, resolved, closed' } }]);
    const either = await ctx.server.api.get('/api/v1/tickets?assignee_id=bob', ctx.a.viewer.token);
    assert.deepEqual(either.body.errors, [{ field: 'assignee_id', message: 'must match format "uuid" or must be none' }], 'one error naming each accepted form');
    const integration = await ctx.server.api.post('/api/v1/integrations', { name: 'Nagios', type: 'nagios', config: {} }, ctx.a.admin.token);
    assert.deepEqual(integration.body.errors, [{ field: 'type', message: 'must be one of: grafana, prometheus, wazuh, splunk, meraki, paloalto', code: 'one_of', params: { allowed: 'grafana, prometheus, wazuh, splunk, meraki, paloalto' } }]);
    const body = await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'close', ids: [newId()] }, ctx.a.operator.token);
    assert.equal(body.status, 400);
    assert.deepEqual(body.body.errors, [{ field: 'action', message: 'must be one of: acknowledge, resolve', code: 'one_of', params: { allowed: 'acknowledge, resolve' } }]);
  });

  it('shows the system name, the users\' names and the resolution note under the name it is sent with', async () => {
    const alert = await alertOf(firewall, { title: 'Named', severity: 'high', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });
    const acknowledged = await ctx.server.api.post(`/api/v1/alerts/${alert}/acknowledge`, undefined, ctx.a.operator.token);
    assert.equal(acknowledged.status, 200, acknowledged.text);
    assert.equal(acknowledged.body.system_id, firewall);
    assert.equal(acknowledged.body.system_name, 'Edge Firewall');
    assert.equal(acknowledged.body.acknowledged_by, ctx.a.operator.id);
    assert.equal(acknowledged.body.acknowledged_by_username, ctx.a.operator.username);
    assert.equal(acknowledged.body.ticket_id, null);

    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alert}/resolve`, { resolution_note: 'a', note: 'b' }, ctx.a.operator.token)).status, 400, 'two different notes');
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${alert}/resolve`, { resolution: 'x' }, ctx.a.operator.token)).status, 400, 'unknown field');
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token)).body.status, 'acknowledged', 'refused bodies changed nothing');
    const resolved = await ctx.server.api.post(`/api/v1/alerts/${alert}/resolve`, { resolution_note: 'Blocked at the edge' }, ctx.a.admin.token);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.resolution_note, 'Blocked at the edge');
    assert.equal(resolved.body.resolved_by_username, ctx.a.admin.username);

    const legacy = await alertOf(siem, { title: 'Legacy note', severity: 'low', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });
    const viaOldName = await ctx.server.api.post(`/api/v1/alerts/${legacy}/resolve`, { note: 'Sent as note' }, ctx.a.operator.token);
    assert.equal(viaOldName.status, 200, viaOldName.text);
    assert.equal(viaOldName.body.resolution_note, 'Sent as note', 'the deprecated name still works');
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${legacy}/acknowledge`, { note: 'x' }, ctx.a.operator.token)).status, 400, 'acknowledge takes no fields');

    const listed = (await ctx.server.api.get(`/api/v1/alerts?system_id=${firewall}&limit=500`, ctx.a.viewer.token)).body.items.find((a: Item) => a.id === alert);
    assert.equal(listed.system_name, 'Edge Firewall');
    assert.equal(listed.acknowledged_by_username, ctx.a.operator.username);
  });

  it('names each concept once: system previews, the security summary and the alerts list agree', async () => {
    const alert = await alertOf(firewall, { title: 'Named once', severity: 'critical', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });
    const listed = (await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token)).body;
    const systems = await ctx.server.api.get('/api/v1/systems?limit=500', ctx.a.viewer.token);
    const preview = systems.body.items.find((s: Item) => s.id === firewall).alerts.find((a: Item) => a.id === alert);
    assert.deepEqual(preview, { id: alert, title: listed.title, last_seen: listed.last_seen, severity: listed.severity, source: listed.source });

    const summary = await ctx.server.api.get('/api/v1/context/security-summary', ctx.a.viewer.token);
    assert.equal(summary.status, 200, summary.text);
    const top = summary.body.alerts.most_important.find((a: Item) => a.id === alert);
    for (const field of ['title', 'severity', 'status', 'source', 'system_id', 'system_name', 'asset', 'last_seen']) assert.deepEqual(top[field], listed[field], field);
    const attention = summary.body.systems.needing_attention.find((s: Item) => s.id === firewall);
    const system = systems.body.items.find((s: Item) => s.id === firewall);
    assert.deepEqual(Object.keys(attention).sort(), ['id', 'status', 'status_summary', 'system']);
    assert.deepEqual([attention.system, attention.status_summary], [system.system, system.status_summary]);
  });

  it('bulk acknowledges listed alerts, reporting each one changed or skipped with the reason, audited per alert', async () => {
    const active = await alertOf(firewall, { title: 'Bulk active', severity: 'high', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });
    const acknowledged = await alertOf(firewall, { title: 'Bulk acknowledged', severity: 'high', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1, status: 'acknowledged' });
    const resolved = await alertOf(firewall, { title: 'Bulk resolved', severity: 'high', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1, status: 'resolved' });
    const unknown = newId();
    const response = await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'acknowledge', ids: [active, acknowledged, resolved, unknown, theirs], note: 'Triage sweep' }, ctx.a.operator.token);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.action, 'acknowledge');
    assert.deepEqual(response.body.changed, [{ id: active, status: 'acknowledged' }]);
    assert.deepEqual(response.body.skipped.map((s: Item) => [s.id, s.reason]).sort(), [
      [acknowledged, 'already_acknowledged'], [resolved, 'already_resolved'], [unknown, 'not_found'], [theirs, 'not_found'],
    ].sort());
    assert.ok(response.body.skipped.every((s: Item) => typeof s.detail === 'string' && s.detail.length > 0));
    assert.equal(response.body.has_more, false);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${active}`, ctx.a.viewer.token)).body.acknowledged_by_username, ctx.a.operator.username);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${theirs}`, ctx.b.admin.token)).body.status, 'active', 'another tenant\'s alert is untouched');

    const audit = await ctx.server.api.get(`/api/v1/audit-logs?resource_type=alert&resource_id=${active}`, ctx.a.admin.token);
    const entry = audit.body.items.find((e: Item) => e.action === 'alert.acknowledge');
    assert.ok(entry, audit.text);
    assert.equal(entry.actor_id, ctx.a.operator.id);
    assert.deepEqual(entry.detail, { bulk: true, note: 'Triage sweep' });
    const skippedAudit = await ctx.server.api.get(`/api/v1/audit-logs?resource_type=alert&resource_id=${acknowledged}`, ctx.a.admin.token);
    assert.ok(!skippedAudit.body.items.some((e: Item) => e.action === 'alert.acknowledge'), 'a skipped alert has no entry of a change');
    const summary = (await ctx.server.api.get('/api/v1/audit-logs?action=alert.bulk', ctx.a.admin.token)).body.items[0];
    assert.deepEqual(summary.detail, { action: 'acknowledge', changed: 1, skipped: 4, has_more: false });
    // Sent again in Spanish: nothing left to change, each reason in Spanish.
    const again = await ctx.server.api.request('POST', '/api/v1/alerts/bulk', {
      token: ctx.a.operator.token, body: { action: 'acknowledge', ids: [active, unknown] }, headers: { 'accept-language': 'es' },
    });
    assert.equal(again.headers.get('content-language'), 'es');
    assert.deepEqual(again.body.skipped.map((s: Item) => s.detail).sort(), ['Este cliente no tiene esa alerta', 'La alerta ya está reconocida']);

    // A SUPER_ADMIN names the tenant; the entries are that tenant's.
    const byPlatform = await ctx.server.api.post(`/api/v1/alerts/bulk?tenant_id=${ctx.b.id}`, { action: 'resolve', ids: [theirs, active] }, ctx.superAdmin);
    assert.equal(byPlatform.status, 200, byPlatform.text);
    assert.deepEqual(byPlatform.body.changed, [{ id: theirs, status: 'resolved' }]);
    assert.deepEqual(byPlatform.body.skipped.map((s: Item) => [s.id, s.reason]), [[active, 'not_found']]);
    const theirAudit = await ctx.server.api.get(`/api/v1/audit-logs?resource_id=${theirs}&action=alert.resolve`, ctx.b.admin.token);
    assert.equal(theirAudit.body.items.length, 1, theirAudit.text);
  });

  it('bulk resolves by filter, at most 500 per request, with the note as the resolution note', async () => {
    await ctx.server.db.kysely.deleteFrom('alerts').where('tenant_id', '=', ctx.a.id).execute();
    const rows = Array.from({ length: 503 }, (_, i) => {
      const at = now - (i + 1) * 1000;
      return {
        id: newId(at), tenant_id: ctx.a.id, integration_id: null, system_id: siem, external_id: newId(), title: `Noise ${i}`, description: '', severity: 'info', vendor_severity: null,
        source: 'rule', asset: null, status: i % 2 === 0 ? 'active' : 'acknowledged', first_seen: at, last_seen: at, occurrences: 1, acknowledged_at: null, acknowledged_by: null,
        resolved_at: null, resolved_by: null, resolution_note: null, created_at: at, updated_at: at,
      };
    });
    for (let i = 0; i < rows.length; i += 100) await ctx.server.db.kysely.insertInto('alerts').values(rows.slice(i, i + 100)).execute();
    const keep = await alertOf(firewall, { title: 'Real threat', severity: 'critical', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });

    const body = { action: 'resolve', filter: { severity: ['info'], system_id: [siem] }, resolution_note: 'Noise from a test rule' };
    // Every alert gets its own entry, written together rather than one insert per alert.
    const sink = ctx.server.services.audit;
    const { fromRequest, manyFromRequest } = sink;
    const writes: number[] = [];
    sink.fromRequest = (request, entry) => (writes.push(1), fromRequest(request, entry));
    sink.manyFromRequest = (request, entries) => (writes.push(entries.length), manyFromRequest(request, entries));
    let first;
    try {
      first = await ctx.server.api.post('/api/v1/alerts/bulk', body, ctx.a.operator.token);
    } finally {
      Object.assign(sink, { fromRequest, manyFromRequest });
    }
    assert.deepEqual(writes.sort((a, b) => b - a), [500, 1], 'the 500 entries in one batch, then the request\'s own entry');
    const entries = await ctx.server.db.kysely.selectFrom('audit_logs').select(['resource_id', 'detail']).where('tenant_id', '=', ctx.a.id).where('action', '=', 'alert.resolve')
      .where('resource_id', 'in', rows.slice(0, 500).map((row) => row.id)).execute();
    assert.equal(entries.length, 500);
    assert.deepEqual(JSON.parse(String(entries[0]!.detail)), { bulk: true, note: 'Noise from a test rule' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.changed.length, 500);
    assert.deepEqual(first.body.skipped, []);
    assert.equal(first.body.has_more, true);
    assert.deepEqual(first.body.changed.slice(0, 2).map((c: Item) => c.id), [rows[0]!.id, rows[1]!.id], 'newest first');
    const second = await ctx.server.api.post('/api/v1/alerts/bulk', body, ctx.a.operator.token);
    assert.equal(second.body.changed.length, 3);
    assert.equal(second.body.has_more, false);
    const third = await ctx.server.api.post('/api/v1/alerts/bulk', body, ctx.a.operator.token);
    assert.deepEqual([third.body.changed, third.body.skipped, third.body.has_more], [[], [], false], 'nothing left to do');

    const sample = await ctx.server.api.get(`/api/v1/alerts/${rows[7]!.id}`, ctx.a.viewer.token);
    assert.equal(sample.body.status, 'resolved');
    assert.equal(sample.body.resolution_note, 'Noise from a test rule');
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${keep}`, ctx.a.viewer.token)).body.status, 'active', 'outside the filter');

    const acknowledgeOnly = await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'acknowledge', filter: { severity: ['critical'], status: ['acknowledged'] } }, ctx.a.operator.token);
    assert.deepEqual(acknowledgeOnly.body.changed, [], 'acknowledging touches active alerts only');
    const acknowledgeAll = await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'acknowledge', filter: { q: 'real threat' } }, ctx.a.operator.token);
    assert.deepEqual(acknowledgeAll.body.changed, [{ id: keep, status: 'acknowledged' }]);
  });

  it('refuses malformed bulk requests and callers without the permission, changing nothing', async () => {
    const alert = await alertOf(firewall, { title: 'Untouched', severity: 'high', ingestedMinutesAgo: 1, lastSeenMinutesAgo: 1 });
    const bad: [string, unknown][] = [
      ['neither ids nor filter', { action: 'resolve' }],
      ['both ids and filter', { action: 'resolve', ids: [alert], filter: {} }],
      ['empty ids', { action: 'resolve', ids: [] }],
      ['too many ids', { action: 'resolve', ids: Array.from({ length: 501 }, () => newId()) }],
      ['an id that is not one', { action: 'resolve', ids: ['x'] }],
      ['an unknown field', { action: 'resolve', ids: [alert], force: true }],
      ['an unknown filter field', { action: 'resolve', filter: { title: 'x' } }],
      ['a resolved status in the filter', { action: 'resolve', filter: { status: ['resolved'] } }],
      ['a number as note', { action: 'resolve', ids: [alert], note: 5 }],
      ['two different notes', { action: 'resolve', ids: [alert], note: 'a', resolution_note: 'b' }],
      ['a reversed window', { action: 'resolve', filter: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' } }],
    ];
    for (const [what, body] of bad) {
      const response = await ctx.server.api.post('/api/v1/alerts/bulk', body, ctx.a.operator.token);
      assert.equal(response.status, 400, `${what}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
    }
    assert.equal((await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'resolve', ids: [alert] }, ctx.a.viewer.token)).status, 403);
    assert.equal((await ctx.server.api.post('/api/v1/alerts/bulk', { action: 'resolve', ids: [alert] })).status, 401);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token)).body.status, 'active');
  });
});
