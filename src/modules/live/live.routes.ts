import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { actingTenant } from '../../platform/auth/tenant-scope.ts';
import type { EventBus, LiveEvent } from '../../platform/events/event-bus.ts';
import { forbidden } from '../../platform/http/errors.ts';
import { TenantQuery } from '../../platform/http/schemas.ts';

const LiveQuery = Type.Object(
  {
    ...TenantQuery,
    access_token: Type.Optional(Type.String({ maxLength: 4096, description: 'The access token, for browsers (which cannot set headers on a WebSocket)' })),
  },
  { additionalProperties: false },
);

/**
 * A page may only open the live feed from an allowed origin (SENTINEL_CORS_ORIGINS) or from this
 * server itself: otherwise any site could read a signed-in user's events (cross-site WebSocket hijacking).
 */
function originCheck(allowedOrigins: string[]) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return; // not a browser
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw forbidden('This origin may not open the live feed');
    }
    if (!allowedOrigins.includes(origin) && host !== request.headers.host) throw forbidden('This origin may not open the live feed');
  };
}

export function liveRoutes(bus: EventBus, tenantExists: (id: string) => Promise<boolean>, allowedOrigins: string[]): FastifyPluginAsyncTypebox {
  // Every subscriber of a tenant gets the same event object: serialise it once, not once per socket.
  const serialized = new WeakMap<LiveEvent, string>();
  const textOf = (event: LiveEvent) => {
    let text = serialized.get(event);
    if (text === undefined) {
      text = JSON.stringify(event);
      serialized.set(event, text);
    }
    return text;
  };

  return async (app) => {
    app.get('/live', {
      websocket: true,
      schema: {
        tags: ['live'],
        summary: 'WebSocket of live events for the caller\'s tenant: alert.created|updated|resolved, system.status_changed, vulnerability.updated ({type, tenant_id, id, …}); re-sync over REST after a reconnect',
        querystring: LiveQuery,
      },
      config: { access: 'alerts:read', tokenInQuery: true },
      onRequest: originCheck(allowedOrigins),
    }, async (socket, request) => {
      const tenantId = await actingTenant(request.principal!, request.query.tenant_id, tenantExists).catch(() => undefined);
      if (tenantId === undefined) {
        socket.close(1008, 'tenant_id is required for a platform administrator');
        return;
      }
      const unsubscribe = bus.subscribe(tenantId, (event) => {
        if (socket.readyState === socket.OPEN) socket.send(textOf(event));
      });
      socket.on('close', unsubscribe);
      // Clients only listen; anything they send is ignored.
      socket.on('message', () => undefined);
      socket.send(JSON.stringify({ type: 'hello', tenant_id: tenantId }));
    });
  };
}
