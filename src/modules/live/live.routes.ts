import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { EventBus, LiveEvent } from '../../platform/events/event-bus.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { forbidden, HttpError } from '../../platform/http/errors.ts';
import { problems, TenantQuery } from '../../platform/http/schemas.ts';
import { say } from '../../platform/languages.ts';

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
const FOREIGN_ORIGIN = say('This origin may not open the live feed', 'Este origen no puede abrir el canal en vivo');

function originCheck(allowedOrigins: string[]) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return; // not a browser
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw forbidden(FOREIGN_ORIGIN);
    }
    if (!allowedOrigins.includes(origin) && host !== request.headers.host) throw forbidden(FOREIGN_ORIGIN);
  };
}

const upgradeRequired = () =>
  new HttpError(426, say(
    'This is a WebSocket endpoint: open it with a WebSocket client (ws:// or wss://, the access token in Authorization or ?access_token=), not a plain HTTP request',
    'Este es un punto de conexión WebSocket: ábralo con un cliente WebSocket (ws:// o wss://, con el token de acceso en Authorization o en ?access_token=), no con una solicitud HTTP normal',
  ), { headers: { Upgrade: 'websocket', Connection: 'Upgrade' } });

/**
 * A plain HTTP request is told to upgrade, before authentication (the hint is the same for
 * everyone): 426 rather than the 404 the WebSocket plugin would give it.
 */
async function requireUpgrade(request: FastifyRequest): Promise<void> {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') throw upgradeRequired();
}

/** How often an open socket checks that its session is still alive (logout, revocation, disabled user). */
const SESSION_CHECK_MS = 5_000;
/** Close code for "your session ended": application codes are 4000-4999. */
const SESSION_ENDED = 4001;

export interface LiveDeps {
  bus: EventBus;
  /** The event types modules publish, for the route's documentation. */
  events: readonly string[];
  allowedOrigins: string[];
  sessionIsLive: (principal: Principal) => Promise<boolean>;
}

export function liveRoutes({ bus, events, allowedOrigins, sessionIsLive }: LiveDeps): FastifyPluginAsyncTypebox {
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
    // `wsHandler` rather than `websocket: true`, which would leave the route out of the OpenAPI document.
    app.route({
      method: 'GET',
      url: '/live',
      schema: {
        tags: ['live'],
        summary: 'WebSocket of live events for the caller\'s tenant',
        description:
          `Open with a WebSocket client; a plain HTTP request answers 426. The server sends JSON text frames: first \`{"type": "hello", "tenant_id"}\` once the socket is subscribed ` +
          '(every event published after it is delivered; the socket opens before that, so a client that must not miss one waits for it), ' +
          `then events \`{type, tenant_id, id, …}\` of these types: ${events.join(', ')}. Alert events carry the alert's own field names ` +
          '(`title`, `severity`, `status`, `system_id`, `last_seen`). Messages from the client are ignored. Close code 4001: the session ended. ' +
          'After a reconnect, re-sync over REST.',
        querystring: LiveQuery,
        response: { 101: Type.Null({ description: 'Switching Protocols: the WebSocket is open' }), ...problems(401, 403, 426) },
      },
      config: { access: 'alerts:read', tenant: 'required', tokenInQuery: true },
      onRequest: [requireUpgrade, originCheck(allowedOrigins)],
      // Reached by a request that names the upgrade without making it (no `Connection: Upgrade`).
      handler: async () => {
        throw upgradeRequired();
      },
      wsHandler: async (socket, request) => {
        const { tenantId, actor } = request;
        const unsubscribe = bus.subscribe(tenantId, (event) => {
          if (socket.readyState === socket.OPEN) socket.send(textOf(event));
        });
        // The client's cue that it is subscribed: every event published from now on reaches it (the
        // socket opens on the client's side before authentication and this subscription).
        socket.send(JSON.stringify({ type: 'hello', tenant_id: tenantId }));
        const check = setInterval(() => {
          void sessionIsLive(actor).then((live) => {
            if (!live) socket.close(SESSION_ENDED, 'session ended');
          }, () => undefined);
        }, SESSION_CHECK_MS);
        socket.on('close', () => {
          clearInterval(check);
          unsubscribe();
        });
        // Clients only listen; anything they send is ignored.
        socket.on('message', () => undefined);
      },
    });
  };
}
