import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, problems } from '../../platform/http/schemas.ts';
import { Ticket } from '../tickets/tickets.schemas.ts';
import { Alert, AlertPage, AlertTenantQuery, ListActiveAlertsQuery, ListAlertsQuery, ResolveBody } from './alerts.schemas.ts';
import type { AlertsService } from './alerts.service.ts';

const tags = ['alerts'];
// Every alert query is audited, reads included (docs/requirements.md, SEC-11).
const audit = (action: string, reads = false) => ({ action, resourceType: 'alert', reads });

export function alertsRoutes(service: AlertsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/alerts/active', {
      schema: { tags, summary: 'Open alerts (active and acknowledged), newest first', querystring: ListActiveAlertsQuery, response: { 200: AlertPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', true), cache: ['alerts'] },
    }, (request) => service.listActive(request.tenantId, request.query));

    app.get('/alerts', {
      schema: { tags, summary: 'Alerts in any status, newest first, with a last-seen time range', querystring: ListAlertsQuery, response: { 200: AlertPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list', true), cache: ['alerts'] },
    }, (request) => service.list(request.tenantId, request.query));

    app.get('/alerts/:id', {
      schema: { tags, summary: 'One alert', params: IdParams, querystring: AlertTenantQuery, response: { 200: Alert, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.get', true) },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.post('/alerts/:id/acknowledge', {
      schema: { tags, summary: 'Acknowledge an active alert (409 when it is not active)', params: IdParams, querystring: AlertTenantQuery, response: { 200: Alert, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.acknowledge') },
    }, (request) => service.acknowledge(request.tenantId, request.actor, request.params.id));

    app.post('/alerts/:id/resolve', {
      schema: { tags, summary: 'Resolve an alert with an optional note (409 when already resolved)', params: IdParams, querystring: AlertTenantQuery, body: ResolveBody, response: { 200: Alert, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.resolve') },
    }, (request) => {
      request.auditTarget = { detail: { note: request.body.note ?? null } };
      return service.resolve(request.tenantId, request.actor, request.params.id, request.body.note);
    });

    app.post('/alerts/:id/ticket', {
      schema: { tags, summary: 'Open a ticket about the alert, linked to it', params: IdParams, querystring: AlertTenantQuery, response: { 201: Ticket, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:write', tenant: 'required', audit: audit('alert.create_ticket') },
    }, async (request, reply) => {
      const ticket = await service.createTicket(request.tenantId, request.actor, request.params.id);
      request.auditTarget = { detail: { ticket_id: ticket.id } };
      reply.code(201);
      return ticket;
    });
  };
}
