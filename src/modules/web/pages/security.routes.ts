import { Type } from 'typebox';
import { IdParams } from '../../../platform/http/schemas.ts';
import { audit, type PageKit, StateBody, type WebApp } from '../page-kit.ts';
import { alertRow, alertsList, alertsPage, securityPage, statusCards, systemPage, ticketsPage, vulnerabilitiesPage } from '../views/security.ts';

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

  app.get('/security/vulnerabilities', {
    config: { access: 'vulnerabilities:read', tenant: 'required' },
  }, async (request, reply) => {
    const page = await services.vulnerabilities.list(request.tenantId, { limit: 100 });
    return send(reply, vulnerabilitiesPage(await viewOf(request), page.items));
  });

  app.get('/security/tickets', {
    config: { access: 'tickets:read', tenant: 'required' },
  }, async (request, reply) => {
    const page = await services.tickets.list(request.tenantId, { limit: 100 });
    return send(reply, ticketsPage(await viewOf(request), page.items));
  });
}
