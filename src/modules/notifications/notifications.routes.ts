import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import {
  Channel, ChannelPage, CreateChannelBody, Delivery, DeliveryPage, ListChannelsQuery, ListDeliveriesQuery, TenantOnlyQuery, UpdateChannelBody,
} from './notifications.schemas.ts';
import type { NotificationsService } from './notifications.service.ts';

const tags = ['notifications'];
const audit = (action: string) => ({ action, resourceType: 'notification_channel' });

/** The request body without its secret settings, for the audit log. */
function auditable(body: { config?: Record<string, unknown> }) {
  const { config, ...rest } = body;
  if (config === undefined) return rest;
  const { secret, smtp_url, url, ...plain } = config;
  return { ...rest, config: plain, secrets_changed: [secret, smtp_url, url].some((value) => value !== undefined) };
}

export function notificationsRoutes(service: NotificationsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/notification-channels', {
      schema: { tags, summary: 'List notification channels', querystring: ListChannelsQuery, response: { 200: ChannelPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'notifications:read', tenant: 'required' },
    }, (request) => service.list(request.tenantId, request.query));

    app.post('/notification-channels', {
      schema: {
        tags, summary: 'Create a channel (email, webhook, slack, teams) that alerts are announced on', querystring: TenantOnlyQuery,
        body: CreateChannelBody, response: { 201: Channel, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'notifications:write', tenant: 'required', audit: audit('notification_channel.create') },
    }, async (request, reply) => {
      request.auditTarget = { detail: auditable(request.body) };
      const channel = await service.create(request.tenantId, request.body);
      request.auditTarget = { resourceId: channel.id, detail: auditable(request.body) };
      reply.code(201);
      return channel;
    });

    app.get('/notification-channels/:id', {
      schema: { tags, summary: 'Get a channel (never its secret settings)', params: IdParams, querystring: TenantOnlyQuery, response: { 200: Channel, ...problems(400, 401, 403, 404) } },
      config: { access: 'notifications:read', tenant: 'required' },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.patch('/notification-channels/:id', {
      schema: {
        tags, summary: 'Update a channel; config is merged, a new secret setting replaces the old one', params: IdParams,
        querystring: TenantOnlyQuery, body: UpdateChannelBody, response: { 200: Channel, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'notifications:write', tenant: 'required', audit: audit('notification_channel.update') },
    }, (request) => {
      request.auditTarget = { detail: auditable(request.body) };
      return service.update(request.tenantId, request.params.id, request.body);
    });

    app.delete('/notification-channels/:id', {
      schema: { tags, summary: 'Delete a channel and its stored secret', params: IdParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'notifications:write', tenant: 'required', audit: audit('notification_channel.delete') },
    }, async (request, reply) => {
      await service.delete(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });

    app.post('/notification-channels/:id/test', {
      schema: {
        tags, summary: 'Send a test message now; the answer is its delivery (200 whether it was delivered or failed: see status)', params: IdParams,
        querystring: TenantOnlyQuery, response: { 200: Delivery, ...problems(400, 401, 403, 404) },
      },
      // It waits on the receiver (up to its timeout): not inside a database transaction.
      config: { access: 'notifications:write', tenant: 'required', audit: { ...audit('notification_channel.test'), transaction: false } },
    }, async (request) => {
      const delivery = await service.test(request.tenantId, request.params.id);
      request.auditTarget = { detail: { status: delivery.status, error: delivery.last_error } };
      return delivery;
    });

    app.get('/notifications/deliveries', {
      schema: { tags, summary: 'The delivery log: every message queued, its attempts and outcome, newest first', querystring: ListDeliveriesQuery, response: { 200: DeliveryPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'notifications:read', tenant: 'required' },
    }, (request) => service.deliveries(request.tenantId, request.query));
  };
}
