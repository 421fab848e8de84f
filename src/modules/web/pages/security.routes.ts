import { type Static, Type } from 'typebox';
import { Id, IdParams } from '../../../platform/http/schemas.ts';
import { SEVERITIES, VULNERABILITY_STATUSES } from '../../security-domain/vocabulary.ts';
import { TICKET_STATUSES } from '../../tickets/tickets.schemas.ts';
import type { ListVulnerabilitiesInput, UpdatePatchJobInput, VulnerabilityDetail, VulnerabilityView } from '../../vulnerabilities/vulnerabilities.schemas.ts';
import { audit, type PageKit, StateBody, type WebApp } from '../page-kit.ts';
import {
  alertRow, alertsList, alertsPage, securityPage, statusCards, systemPage, ticketComments, ticketPage, ticketsPage, ticketStatus, vulnerabilitiesList,
  vulnerabilitiesPage, type VulnerabilityFilter, type VulnerabilityRow, vulnerabilityRow,
} from '../views/security.ts';

type PatchTarget = UpdatePatchJobInput['status'];
type VulnerabilityDetailView = Static<typeof VulnerabilityDetail>;

/** The security console's pages: systems, alerts (acknowledge, resolve, open a ticket), vulnerabilities, tickets. */
export function securityPages(app: WebApp, { services, viewOf, send, answer }: PageKit): void {
  app.get('/security', {
    config: { access: 'systems:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
  }, async (request, reply) => {
    const [counts, systems, alerts] = await Promise.all([
      services.systems.statusCounts(request.tenantId),
      services.systems.list(request.tenantId, { limit: 100 }),
      services.alerts.listActive(request.tenantId, { limit: 8 }),
    ]);
    return send(reply, securityPage(await viewOf(request), { counts, systems: systems.items, alerts: alerts.items }));
  });

  app.get('/security/parts/status', { config: { access: 'systems:read', tenant: 'required' } }, async (request, reply) =>
    send(reply, statusCards(await viewOf(request), await services.systems.statusCounts(request.tenantId))));

  app.get('/security/parts/recent-alerts', {
    config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
  }, async (request, reply) => {
    const alerts = await services.alerts.listActive(request.tenantId, { limit: 8 });
    return send(reply, alertsList(await viewOf(request), alerts.items, { actions: false, refreshUrl: '/security/parts/recent-alerts' }));
  });

  app.get('/security/systems/:id', {
    schema: { params: IdParams },
    config: { access: 'systems:read', tenant: 'required' },
  }, async (request, reply) => send(reply, systemPage(await viewOf(request), await services.systems.get(request.tenantId, request.params.id))));

  const AlertFilter = Type.Object({ severity: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low'), Type.Literal('info')])) });
  type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
  const severityOf = (severity: string | undefined) => (severity === undefined || severity === '' ? undefined : (severity as Severity));
  const alertFilter = (severity: Severity | undefined) => (severity === undefined ? {} : { severity: [severity] });

  app.get('/security/alerts', {
    schema: { querystring: AlertFilter },
    config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
  }, async (request, reply) => {
    const severity = severityOf(request.query.severity);
    const alerts = await services.alerts.listActive(request.tenantId, { limit: 100, ...alertFilter(severity) });
    return send(reply, alertsPage(await viewOf(request), alerts.items, { ...(severity !== undefined ? { severity } : {}) }));
  });

  app.get('/security/parts/alerts', {
    schema: { querystring: AlertFilter },
    config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
  }, async (request, reply) => {
    const severity = severityOf(request.query.severity);
    const alerts = await services.alerts.listActive(request.tenantId, { limit: 100, ...alertFilter(severity) });
    const query = severity === undefined ? '' : `?severity=${severity}`;
    return send(reply, alertsList(await viewOf(request), alerts.items, { actions: true, refreshUrl: `/security/parts/alerts${query}` }));
  });

  app.post('/security/alerts/:id/acknowledge', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.acknowledge', 'alert') },
  }, async (request, reply) => {
    const alert = await services.alerts.acknowledge(request.tenantId, request.actor, request.params.id);
    return answer(request, reply, alertRow(await viewOf(request), alert), '/security/alerts');
  });

  app.post('/security/alerts/:id/resolve', {
    schema: { params: IdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false }) },
    config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.resolve', 'alert') },
  }, async (request, reply) => {
    const note = request.body.note?.trim();
    await services.alerts.resolve(request.tenantId, request.actor, request.params.id, note === undefined || note === '' ? {} : { resolution_note: note });
    // A resolved alert leaves the active list: the row is replaced by nothing.
    return answer(request, reply, '', '/security/alerts');
  });

  app.post('/security/alerts/:id/ticket', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'tickets:write', tenant: 'required', audit: audit('alert.create_ticket', 'alert') },
  }, async (request, reply) => {
    const { ticket, created } = await services.alerts.openTicket(request.tenantId, request.actor, request.params.id, {});
    request.auditTarget = { detail: { ticket_id: ticket.id, created } };
    const alert = await services.alerts.get(request.tenantId, request.params.id);
    return answer(request, reply, alertRow(await viewOf(request), alert), '/security/tickets');
  });

  // ---- vulnerabilities: the API's list filters (held in the URL) and its patch-job life cycle

  const VulnerabilityFilter = Type.Object({
    severity: Type.Optional(Type.Union([Type.Literal(''), ...SEVERITIES.map((severity) => Type.Literal(severity))])),
    status: Type.Optional(Type.Union([Type.Literal(''), ...VULNERABILITY_STATUSES.map((status) => Type.Literal(status))])),
    system_id: Type.Optional(Type.Union([Type.Literal(''), Id])),
    cve: Type.Optional(Type.String({ pattern: '^([A-Za-z0-9._:-]{1,64})?$' })),
  }, { additionalProperties: false });
  type Filter = Static<typeof VulnerabilityFilter>;

  /** The filters that are set, by their API names; empty fields (a form's "all") are left out. */
  const filterOf = (query: Filter): VulnerabilityFilter => Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value.trim() !== '').map(([key, value]) => [key, value.trim()]));

  /** A finding being patched shows its open patch job, so that the job can be moved on. */
  async function withPatchJob(tenantId: string, vulnerability: VulnerabilityView): Promise<VulnerabilityRow> {
    if (vulnerability.status !== 'patching') return vulnerability;
    const detail = await services.vulnerabilities.get(tenantId, vulnerability.id);
    return rowOf(detail);
  }
  const rowOf = (detail: VulnerabilityDetailView): VulnerabilityRow => {
    const { patch_jobs: jobs, ...vulnerability } = detail;
    const open = jobs.find((job) => job.status === 'pending' || job.status === 'in_progress');
    return open === undefined ? vulnerability : { ...vulnerability, patch_job: open };
  };

  async function vulnerabilityRows(tenantId: string, filter: VulnerabilityFilter): Promise<VulnerabilityRow[]> {
    const page = await services.vulnerabilities.list(tenantId, { limit: 100, ...filter } as ListVulnerabilitiesInput);
    return Promise.all(page.items.map((item) => withPatchJob(tenantId, item)));
  }

  app.get('/security/vulnerabilities', {
    schema: { querystring: VulnerabilityFilter },
    config: { access: 'vulnerabilities:read', tenant: 'required', audit: audit('vulnerability.list', 'vulnerability', true) },
  }, async (request, reply) => {
    const filter = filterOf(request.query);
    const [rows, systems] = await Promise.all([vulnerabilityRows(request.tenantId, filter), services.systems.list(request.tenantId, { limit: 100 })]);
    return send(reply, vulnerabilitiesPage(await viewOf(request), rows, filter, systems.items));
  });

  app.get('/security/parts/vulnerabilities', {
    schema: { querystring: VulnerabilityFilter },
    config: { access: 'vulnerabilities:read', tenant: 'required', audit: audit('vulnerability.list', 'vulnerability', true) },
  }, async (request, reply) => {
    const filter = filterOf(request.query);
    return send(reply, vulnerabilitiesList(await viewOf(request), await vulnerabilityRows(request.tenantId, filter), filter));
  });

  app.post('/security/vulnerabilities/:id/patch', {
    schema: { params: IdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false }) },
    config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.patch', 'vulnerability') },
  }, async (request, reply) => {
    const input = request.body.note === undefined || request.body.note.trim() === '' ? {} : { note: request.body.note.trim() };
    request.auditTarget = { detail: { ...input } };
    const detail = await services.vulnerabilities.startPatch(request.tenantId, request.actor, request.params.id, input);
    return answer(request, reply, vulnerabilityRow(await viewOf(request), rowOf(detail)), '/security/vulnerabilities');
  });

  app.post('/security/vulnerabilities/:id/patch-jobs/:job_id', {
    schema: {
      params: Type.Object({ id: Id, job_id: Id }),
      body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), status: Type.Union(['in_progress', 'succeeded', 'failed', 'cancelled'].map((status) => Type.Literal(status as PatchTarget))) }, { additionalProperties: false }),
    },
    config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.patch_job_update', 'vulnerability') },
  }, async (request, reply) => {
    request.auditTarget = { detail: { patch_job_id: request.params.job_id, status: request.body.status } };
    const detail = await services.vulnerabilities.updatePatchJob(request.tenantId, request.actor, request.params.id, request.params.job_id, { status: request.body.status });
    return answer(request, reply, vulnerabilityRow(await viewOf(request), rowOf(detail)), '/security/vulnerabilities');
  });

  // ---- tickets: the list, a ticket with its comments, its status

  app.get('/security/tickets', {
    config: { access: 'tickets:read', tenant: 'required' },
  }, async (request, reply) => {
    const page = await services.tickets.list(request.tenantId, { limit: 100 });
    return send(reply, ticketsPage(await viewOf(request), page.items));
  });

  app.get('/security/tickets/:id', {
    schema: { params: IdParams },
    config: { access: 'tickets:read', tenant: 'required' },
  }, async (request, reply) => send(reply, ticketPage(await viewOf(request), await services.tickets.get(request.tenantId, request.params.id))));

  app.post('/security/tickets/:id/status', {
    schema: { params: IdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), status: Type.Union(TICKET_STATUSES.map((status) => Type.Literal(status))) }, { additionalProperties: false }) },
    config: { access: 'tickets:write', tenant: 'required', audit: audit('ticket.update', 'ticket') },
  }, async (request, reply) => {
    const changes = { status: request.body.status };
    request.auditTarget = { detail: { changes } };
    const ticket = await services.tickets.update(request.tenantId, request.params.id, changes);
    return answer(request, reply, ticketStatus(await viewOf(request), ticket), `/security/tickets/${ticket.id}`);
  });

  app.post('/security/tickets/:id/comments', {
    schema: { params: IdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), body: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false }) },
    config: { access: 'tickets:comment', tenant: 'required', audit: audit('ticket.comment', 'ticket') },
  }, async (request, reply) => {
    const comment = await services.tickets.addComment(request.tenantId, request.actor, request.params.id, request.body.body);
    request.auditTarget = { detail: { comment_id: comment.id } };
    const ticket = await services.tickets.get(request.tenantId, request.params.id);
    return answer(request, reply, ticketComments(await viewOf(request), ticket), `/security/tickets/${ticket.id}`);
  });
}
