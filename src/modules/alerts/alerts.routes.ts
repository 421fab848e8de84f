import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditSink } from '../../platform/audit-sink.ts';
import { answerLanguage } from '../../platform/http/content-language.ts';
import { IdParams, OptionalBody, problems } from '../../platform/http/schemas.ts';
import { Ticket } from '../tickets/tickets.schemas.ts';
import { AcknowledgeBody, Alert, AlertPage, AlertTenantQuery, AlertTicketBody, BulkBody, BulkResult, ListActiveAlertsQuery, ListAlertsQuery, MAX_BULK, ResolveBody } from './alerts.schemas.ts';
import type { AlertsService } from './alerts.service.ts';

const tags = ['alerts'];
// Every alert query is audited, reads included (docs/requirements.md, SEC-11).
const audit = (action: string, reads = false) => ({ action, resourceType: 'alert', reads });

// Lists show system names, ticket ids and usernames too: a change to a system, to a ticket linked to
// an alert or a deleted user is a change to the page (a ticket filed on its own is not).
const cache = ['alerts', 'systems', 'alert_tickets', 'deleted_users'];

export function alertsRoutes(service: AlertsService, auditSink: AuditSink): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/alerts/active', {
      schema: { tags, summary: 'Open alerts (active and acknowledged), newest first by last_seen then id', querystring: ListActiveAlertsQuery, response: { 200: AlertPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', true), cache },
    }, (request) => service.listActive(request.tenantId, request.query));

    app.get('/alerts', {
      schema: { tags, summary: 'Alerts in any status, newest first by last_seen then id, with a last-seen time range', querystring: ListAlertsQuery, response: { 200: AlertPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list', true), cache },
    }, (request) => service.list(request.tenantId, request.query));

    app.get('/alerts/:id', {
      schema: { tags, summary: 'One alert', params: IdParams, querystring: AlertTenantQuery, response: { 200: Alert, ...problems(400, 401, 403, 404) } },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.get', true) },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.post('/alerts/:id/acknowledge', {
      schema: { tags, summary: 'Acknowledge an active alert (409 when it is not active)', params: IdParams, querystring: AlertTenantQuery, body: OptionalBody(AcknowledgeBody), response: { 200: Alert, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.acknowledge') },
    }, (request) => service.acknowledge(request.tenantId, request.actor, request.params.id));

    app.post('/alerts/:id/resolve', {
      schema: { tags, summary: 'Resolve an alert with an optional resolution_note (409 when already resolved)', params: IdParams, querystring: AlertTenantQuery, body: ResolveBody, response: { 200: Alert, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.resolve') },
    }, async (request) => {
      const alert = await service.resolve(request.tenantId, request.actor, request.params.id, request.body);
      request.auditTarget = { detail: { note: alert.resolution_note } };
      return alert;
    });

    app.post('/alerts/bulk', {
      schema: {
        tags,
        summary: `Acknowledge or resolve many alerts (ids, or a filter; at most ${MAX_BULK} per request): each is changed or reported as skipped with the reason, and audited`,
        querystring: AlertTenantQuery, body: BulkBody, response: { 200: BulkResult, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'alerts:write', tenant: 'required', audit: { action: 'alert.bulk', resourceType: 'alert' } },
    }, async (request, reply) => {
      const result = await service.bulk(request.tenantId, request.actor, request.body, (entries) => auditSink.manyFromRequest(request, entries), answerLanguage(request, reply));
      request.auditTarget = { detail: { action: result.action, changed: result.changed.length, skipped: result.skipped.length, has_more: result.has_more } };
      return result;
    });

    app.post('/alerts/:id/ticket', {
      schema: {
        tags,
        summary: 'The alert\'s ticket: 201 with a new ticket linked to it, or 200 with its open ticket when it has one (nothing else changes then)',
        params: IdParams, querystring: AlertTenantQuery, body: OptionalBody(AlertTicketBody), response: { 200: Ticket, 201: Ticket, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'tickets:write', tenant: 'required', audit: audit('alert.create_ticket') },
    }, async (request, reply) => {
      const { ticket, created } = await service.openTicket(request.tenantId, request.actor, request.params.id, request.body ?? {});
      request.auditTarget = { detail: { ticket_id: ticket.id, created } };
      reply.code(created ? 201 : 200);
      return ticket;
    });
  };
}
