import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { makeSystem, makeTicket, makeVulnerability } from './helpers/factories.ts';
import { forEachDialect } from './helpers/suite.ts';
import { WebClient } from './helpers/web-client.ts';
import { XSS } from './web-fixture.ts';

forEachDialect('web vulnerabilities and tickets pages', { env: { SENTINEL_SYNC: 'off' }, tenants: 'WebSec', roles: ['ADMIN', 'OPERATOR', 'VIEWER'] }, (ctx) => {
  let systemId: string;
  let critical: string;
  let lowOnSystem: string;
  let resolved: string;
  let otherTenants: string;
  let ticketId: string;
  let otherTicketId: string;

  before(async () => {
    const system = await makeSystem(ctx.server, ctx.a, { name: 'Edge firewall' });
    systemId = system.id;
    critical = await makeVulnerability(ctx.server, ctx.a.id, { title: `Heap overflow ${XSS}`, cve: 'CVE-2024-3400', severity: 'critical', cvss_score: 10 });
    lowOnSystem = await makeVulnerability(ctx.server, ctx.a.id, { title: 'Verbose banner', cve: 'CVE-2023-0001', severity: 'low', system_id: systemId });
    resolved = await makeVulnerability(ctx.server, ctx.a.id, { title: 'Old TLS', cve: 'CVE-2022-0002', severity: 'medium', status: 'resolved', resolved_at: Date.now() });
    otherTenants = await makeVulnerability(ctx.server, ctx.b.id, { title: 'Bravo finding', cve: 'CVE-2024-9999', severity: 'critical' });
    const ticket = await makeTicket(ctx.server, ctx.a.admin.token, { title: `Rotate keys ${XSS}`, description: 'Keys <b>leaked</b>', priority: 'high' });
    ticketId = ticket.id;
    otherTicketId = (await makeTicket(ctx.server, ctx.b.admin.token, { title: 'Bravo ticket' })).id;
  });

  const signedIn = async (user: { username: string }) => {
    const web = new WebClient(ctx.server);
    await web.signIn(user.username);
    return web;
  };
  const htmx = async (web: WebClient) => ({ 'hx-request': 'true', 'x-csrf-token': await web.csrf() });
  const auditCount = async (action: string, resourceId: string) =>
    (await ctx.server.db.kysely.selectFrom('audit_logs').select('id').where('action', '=', action).where('resource_id', '=', resourceId).where('tenant_id', '=', ctx.a.id).where('outcome', '=', 'success').execute()).length;

  it('filters vulnerabilities by severity, status, system and CVE, held in the URL', async () => {
    const web = await signedIn(ctx.a.viewer);
    const rowsOf = (text: string) => [...text.matchAll(/data-vulnerability-id="([^"]+)"/g)].map((match) => match[1]);
    const all = await web.get('/security/vulnerabilities');
    assert.equal(all.status, 200);
    assert.deepEqual(new Set(rowsOf(all.text)), new Set([critical, lowOnSystem, resolved]), 'every finding of the tenant, none of another');
    assert.deepEqual(rowsOf((await web.get('/security/vulnerabilities?severity=critical')).text), [critical]);
    assert.deepEqual(rowsOf((await web.get('/security/vulnerabilities?status=resolved')).text), [resolved]);
    assert.deepEqual(rowsOf((await web.get(`/security/vulnerabilities?system_id=${systemId}`)).text), [lowOnSystem]);
    const byCve = await web.get('/security/vulnerabilities?cve=cve-2024-3400&severity=&status=');
    assert.deepEqual(rowsOf(byCve.text), [critical]);
    assert.match(byCve.text, /name="cve" type="search"[^>]*value="cve-2024-3400"/, 'the form shows the filter');
    assert.match(byCve.text, /hx-get="\/security\/parts\/vulnerabilities\?cve=cve-2024-3400"/, 'live refreshes keep the filters');
    assert.equal(byCve.text.includes(XSS), false, 'titles are text');
    const part = await web.get('/security/parts/vulnerabilities?severity=low', { 'hx-request': 'true' });
    assert.deepEqual(rowsOf(part.text), [lowOnSystem]);
    for (const query of ['severity=urgent', 'status=gone', 'system_id=not-an-id', 'cve=%3Cscript%3E', 'page=2']) {
      assert.equal((await web.get(`/security/vulnerabilities?${query}`)).status, 400, query);
    }
  });

  it('starts a patch and moves its job on as the API allows, audited, with the status shown', async () => {
    const web = await signedIn(ctx.a.operator);
    const list = await web.get('/security/vulnerabilities');
    assert.match(list.text, new RegExp(`action="/security/vulnerabilities/${critical}/patch"`));
    assert.doesNotMatch(list.text, new RegExp(`action="/security/vulnerabilities/${resolved}/patch"`), 'a resolved finding has no patch to start');
    const started = await web.post(`/security/vulnerabilities/${critical}/patch`, {}, await htmx(web));
    assert.equal(started.status, 200);
    assert.match(started.text, /data-status="patching"/);
    assert.match(started.text, /Patch job: pending/);
    const detail = await ctx.server.services.vulnerabilities.get(ctx.a.id, critical);
    assert.equal(detail.status, 'patching');
    const job = detail.patch_jobs[0]!;
    assert.equal(job.status, 'pending');
    assert.equal(await auditCount('vulnerability.patch', critical), 1);
    assert.match(started.text, new RegExp(`action="/security/vulnerabilities/${critical}/patch-jobs/${job.id}"`));
    // Again: the API's 409, and nothing changes.
    assert.equal((await web.post(`/security/vulnerabilities/${critical}/patch`, {}, await htmx(web))).status, 409);
    // A pending job cannot succeed before it is in progress (the API's life cycle).
    assert.equal((await web.post(`/security/vulnerabilities/${critical}/patch-jobs/${job.id}`, { status: 'succeeded' }, await htmx(web))).status, 409);
    const working = await web.post(`/security/vulnerabilities/${critical}/patch-jobs/${job.id}`, { status: 'in_progress' }, await htmx(web));
    assert.match(working.text, /Patch job: in progress/);
    // A plain form goes back to the list.
    const done = await web.post(`/security/vulnerabilities/${critical}/patch-jobs/${job.id}`, { _csrf: await web.csrf(), status: 'succeeded' });
    assert.equal(done.status, 303);
    assert.equal((await ctx.server.services.vulnerabilities.get(ctx.a.id, critical)).status, 'resolved');
    assert.equal(await auditCount('vulnerability.patch_job_update', critical), 2);
  });

  it('gives a viewer no patch action, refuses forged requests and another tenant\'s finding, and changes nothing', async () => {
    const viewer = await signedIn(ctx.a.viewer);
    const page = await viewer.get('/security/vulnerabilities');
    assert.doesNotMatch(page.text, /\/patch"/);
    assert.equal((await viewer.post(`/security/vulnerabilities/${lowOnSystem}/patch`, { _csrf: await viewer.csrf() })).status, 403);
    const operator = await signedIn(ctx.a.operator);
    assert.equal((await operator.post(`/security/vulnerabilities/${lowOnSystem}/patch`, {})).status, 403, 'no CSRF token');
    assert.equal((await operator.post(`/security/vulnerabilities/${otherTenants}/patch`, { _csrf: await operator.csrf() })).status, 404);
    assert.equal((await ctx.server.services.vulnerabilities.get(ctx.a.id, lowOnSystem)).status, 'open');
    assert.equal((await ctx.server.services.vulnerabilities.get(ctx.b.id, otherTenants)).status, 'open');
  });

  it('shows a ticket with its comments, adds one in place and changes its status, as the API does', async () => {
    const web = await signedIn(ctx.a.operator);
    const list = await web.get('/security/tickets');
    assert.match(list.text, new RegExp(`href="/security/tickets/${ticketId}"`));
    const page = await web.get(`/security/tickets/${ticketId}`);
    assert.equal(page.status, 200);
    assert.equal(page.text.includes(XSS), false);
    assert.match(page.text, /Keys &lt;b&gt;leaked&lt;\/b&gt;/);
    assert.match(page.text, /No comments yet/);
    const added = await web.post(`/security/tickets/${ticketId}/comments`, { body: `Looked at it ${XSS}` }, await htmx(web));
    assert.equal(added.status, 200);
    assert.match(added.text, /^<div id="ticket-comments"/);
    assert.match(added.text, /Looked at it &lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(added.text, new RegExp(ctx.a.operator.username.replaceAll('.', '\\.')));
    const stored = await ctx.server.services.tickets.get(ctx.a.id, ticketId);
    assert.deepEqual(stored.comments.map((comment) => comment.body), [`Looked at it ${XSS}`]);
    assert.equal(await auditCount('ticket.comment', ticketId), 1);
    assert.equal((await web.post(`/security/tickets/${ticketId}/comments`, { body: '' }, await htmx(web))).status, 400);

    const changed = await web.post(`/security/tickets/${ticketId}/status`, { status: 'in_progress' }, await htmx(web));
    assert.equal(changed.status, 200);
    assert.match(changed.text, /data-ticket-status="in_progress"/);
    assert.equal((await ctx.server.services.tickets.get(ctx.a.id, ticketId)).status, 'in_progress');
    assert.equal(await auditCount('ticket.update', ticketId), 1);
    assert.equal((await web.post(`/security/tickets/${ticketId}/status`, { status: 'reopened' }, await htmx(web))).status, 400);
  });

  it('gives a viewer a ticket to read only, and answers 404 for another tenant\'s ticket', async () => {
    const viewer = await signedIn(ctx.a.viewer);
    const page = await viewer.get(`/security/tickets/${ticketId}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /name="body"|name="status"/);
    assert.equal((await viewer.post(`/security/tickets/${ticketId}/comments`, { _csrf: await viewer.csrf(), body: 'hi' })).status, 403);
    const operator = await signedIn(ctx.a.operator);
    assert.equal((await operator.get(`/security/tickets/${otherTicketId}`)).status, 404);
    assert.equal((await operator.post(`/security/tickets/${otherTicketId}/comments`, { _csrf: await operator.csrf(), body: 'hi' })).status, 404);
    assert.equal((await operator.post(`/security/tickets/${otherTicketId}/status`, { _csrf: await operator.csrf(), status: 'closed' })).status, 404);
    assert.equal((await operator.post(`/security/tickets/${ticketId}/comments`, { body: 'no token' })).status, 403);
    const other = await ctx.server.services.tickets.get(ctx.b.id, otherTicketId);
    assert.deepEqual([other.status, other.comments.length], ['open', 0]);
  });
});
