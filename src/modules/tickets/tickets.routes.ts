import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import {
  Comment, CreateCommentBody, CreateTicketBody, ListTicketsQuery, Ticket, TicketDetail, TicketPage, TicketTenantQuery, UpdateTicketBody,
} from './tickets.schemas.ts';
import type { TicketsService } from './tickets.service.ts';

const tags = ['tickets'];
const audit = (action: string) => ({ action, resourceType: 'ticket' });

export function ticketsRoutes(service: TicketsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/tickets', {
      schema: { tags, summary: 'List tickets, newest first', querystring: ListTicketsQuery, response: { 200: TicketPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:read', tenant: 'required', cache: ['tickets'] },
    }, (request) => service.list(request.tenantId, request.query));

    app.post('/tickets', {
      schema: { tags, summary: 'Create a ticket', querystring: TicketTenantQuery, body: CreateTicketBody, response: { 201: Ticket, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:write', tenant: 'required', audit: audit('ticket.create') },
    }, async (request, reply) => {
      const ticket = await service.create(request.tenantId, request.actor, request.body);
      request.auditTarget = { resourceId: ticket.id, detail: { title: ticket.title, priority: ticket.priority } };
      reply.code(201);
      return ticket;
    });

    app.get('/tickets/:id', {
      schema: { tags, summary: 'Get a ticket with its comments', params: IdParams, querystring: TicketTenantQuery, response: { 200: TicketDetail, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:read', tenant: 'required' },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.patch('/tickets/:id', {
      schema: { tags, summary: 'Update a ticket', params: IdParams, querystring: TicketTenantQuery, body: UpdateTicketBody, response: { 200: Ticket, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:write', tenant: 'required', audit: audit('ticket.update') },
    }, (request) => {
      request.auditTarget = { detail: { changes: request.body } };
      return service.update(request.tenantId, request.params.id, request.body);
    });

    app.delete('/tickets/:id', {
      schema: { tags, summary: 'Delete a ticket', params: IdParams, querystring: TicketTenantQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:delete', tenant: 'required', audit: audit('ticket.delete') },
    }, async (request, reply) => {
      await service.delete(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });

    app.post('/tickets/:id/comments', {
      schema: { tags, summary: 'Comment on a ticket', params: IdParams, querystring: TicketTenantQuery, body: CreateCommentBody, response: { 201: Comment, ...problems(400, 401, 403, 404) } },
      config: { access: 'tickets:comment', tenant: 'required', audit: audit('ticket.comment') },
    }, async (request, reply) => {
      const comment = await service.addComment(request.tenantId, request.actor, request.params.id, request.body.body);
      request.auditTarget = { detail: { comment_id: comment.id } };
      reply.code(201);
      return comment;
    });
  };
}
