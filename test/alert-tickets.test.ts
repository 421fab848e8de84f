import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { makeAlert, makeTicket, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';

type Item = { id: string } & Record<string, any>;

forEachDialect('tickets from alerts', { env: { SENTINEL_SYNC: 'off' }, tenants: 'Ticketing', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let alert: string;
  let theirAlert: string;

  before(async () => {
    alert = await makeAlert(ctx.server, ctx.a.id, { title: 'Ransomware beacon', severity: 'critical', source: 'threat', asset: 'db-01' });
    theirAlert = await makeAlert(ctx.server, ctx.b.id, { title: 'Theirs' });
  });

  it('opens one ticket per alert: 201 the first time, then 200 with the same open ticket, shown on the alert', async () => {
    const before = await ctx.server.api.get('/api/v1/alerts/active?limit=500', ctx.a.viewer.token);
    assert.equal(before.body.items.find((a: Item) => a.id === alert).ticket_id, null);
    const first = await ctx.server.api.post(`/api/v1/alerts/${alert}/ticket`, { priority: 'high', assignee_id: ctx.a.operator.id }, ctx.a.admin.token);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.alert_id, alert);
    assert.equal(first.body.priority, 'high', 'the priority given wins over the severity\'s');
    assert.equal(first.body.assignee_id, ctx.a.operator.id);
    assert.equal(first.body.assignee_username, ctx.a.operator.username);
    assert.equal(first.body.created_by_username, ctx.a.admin.username);
    assert.equal(first.body.title, '[critical] Ransomware beacon');
    assert.match(first.body.description, /Asset: db-01/);

    const again = await ctx.server.api.post(`/api/v1/alerts/${alert}/ticket`, undefined, ctx.a.operator.token);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, first.body, 'the existing open ticket, unchanged');
    const viewed = await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token);
    assert.equal(viewed.body.ticket_id, first.body.id);
    const listed = await ctx.server.api.get('/api/v1/alerts/active?limit=500', ctx.a.viewer.token);
    assert.equal(listed.body.items.find((a: Item) => a.id === alert).ticket_id, first.body.id, 'lists show it too (the cached page was renewed)');

    const found = await ctx.server.api.get(`/api/v1/tickets?alert_id=${alert}`, ctx.a.viewer.token);
    assert.deepEqual(found.body.items.map((t: Item) => t.id), [first.body.id]);

    // Once it is closed, the alert gets a new ticket and shows that one.
    assert.equal((await ctx.server.api.patch(`/api/v1/tickets/${first.body.id}`, { status: 'closed' }, ctx.a.admin.token)).status, 200);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token)).body.ticket_id, first.body.id, 'a closed ticket is still the alert\'s latest');
    const reopened = await ctx.server.api.post(`/api/v1/alerts/${alert}/ticket`, {}, ctx.a.operator.token);
    assert.equal(reopened.status, 201, reopened.text);
    assert.equal(reopened.body.priority, 'critical', 'by default from the severity');
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${alert}`, ctx.a.viewer.token)).body.ticket_id, reopened.body.id);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?alert_id=${alert}`, ctx.a.viewer.token)).body.items.length, 2);
  });

  it('opens a single ticket when many requests for the same alert arrive at once', async () => {
    for (let round = 0; round < 5; round++) {
      const fresh = await makeAlert(ctx.server, ctx.a.id, { title: `Raced ${round}`, severity: 'high' });
      const answers = await Promise.all(Array.from({ length: 8 }, () => ctx.server.api.post(`/api/v1/alerts/${fresh}/ticket`, {}, ctx.a.operator.token)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
      assert.equal((await ctx.server.api.get(`/api/v1/tickets?alert_id=${fresh}`, ctx.a.viewer.token)).body.items.length, 1);
    }
  });

  it('rejects unknown fields, bad values and another tenant\'s assignee or alert, creating nothing', async () => {
    const fresh = await makeAlert(ctx.server, ctx.a.id, { title: 'Refused bodies' });
    const bad: [string, unknown][] = [
      ['unknown field', { severity: 'high' }],
      ['bad priority', { priority: 'urgent' }],
      ['assignee not a uuid', { assignee_id: 'bob' }],
      ['assignee of another tenant', { assignee_id: ctx.b.admin.id }],
      ['empty title', { title: '' }],
      ['not an object', [1]],
    ];
    for (const [what, body] of bad) {
      const response = await ctx.server.api.post(`/api/v1/alerts/${fresh}/ticket`, body, ctx.a.operator.token);
      assert.equal(response.status, 400, `${what}: ${response.text}`);
    }
    const priority = await ctx.server.api.post(`/api/v1/alerts/${fresh}/ticket`, { priority: 'urgent' }, ctx.a.operator.token);
    assert.equal(priority.body.errors[0].message, 'must be one of: low, medium, high, critical');
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?alert_id=${fresh}`, ctx.a.viewer.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/alerts/${fresh}`, ctx.a.viewer.token)).body.ticket_id, null);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${theirAlert}/ticket`, {}, ctx.a.admin.token)).status, 404);
    assert.equal((await ctx.server.api.post(`/api/v1/alerts/${fresh}/ticket`, {}, ctx.a.viewer.token)).status, 403);
  });

  it('finds tickets by alert or vulnerability, within the tenant only, with the users\' names', async () => {
    const vulnerability = await makeVulnerability(ctx.server, ctx.a.id);
    const theirVulnerability = await makeVulnerability(ctx.server, ctx.b.id);
    const ticket = await makeTicket(ctx.server, ctx.a.operator.token, { title: 'Patch it', vulnerability_id: vulnerability, assignee_id: ctx.a.admin.id });
    await makeTicket(ctx.server, ctx.b.admin.token, { title: 'Theirs', vulnerability_id: theirVulnerability });
    const found = await ctx.server.api.get(`/api/v1/tickets?vulnerability_id=${vulnerability}`, ctx.a.viewer.token);
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.body.items.map((t: Item) => [t.id, t.created_by_username, t.assignee_username]), [[ticket.id, ctx.a.operator.username, ctx.a.admin.username]]);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?vulnerability_id=${theirVulnerability}`, ctx.a.admin.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get(`/api/v1/tickets?alert_id=${theirAlert}&tenant_id=${ctx.b.id}`, ctx.a.admin.token)).body.items.length, 0);
    assert.equal((await ctx.server.api.get('/api/v1/tickets?alert_id=x', ctx.a.viewer.token)).status, 400);

    const comment = await ctx.server.api.post(`/api/v1/tickets/${ticket.id}/comments`, { body: 'On it' }, ctx.a.admin.token);
    assert.equal(comment.body.author_username, ctx.a.admin.username);
    const detail = await ctx.server.api.get(`/api/v1/tickets/${ticket.id}`, ctx.a.viewer.token);
    assert.equal(detail.body.comments[0].author_username, ctx.a.admin.username);
  });
});
