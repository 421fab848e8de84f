import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { HttpError, unauthorized } from '../../platform/http/errors.ts';
import { problems } from '../../platform/http/schemas.ts';
import type { McpService } from './mcp.service.ts';
import { preferredLanguage, say } from '../../platform/languages.ts';

const tags = ['mcp'];

function bearer(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Streamable HTTP at /mcp, stateless: every POST gets a server and a transport of its own, answered
 * as JSON. The caller is a user's access token or an API key with the assistant scope, as a bearer
 * token (or an API key in X-API-Key); the guard has resolved tokens and X-API-Key already.
 */
export function mcpRoutes(mcp: McpService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/mcp', {
      schema: {
        tags, summary: 'Model Context Protocol (Streamable HTTP, stateless, JSON answers) for AI assistants: tools over the security and production data of the caller\'s tenant',
        description: 'Authorization: Bearer <access token | API key with the assistant scope>. Send JSON-RPC messages with Accept: application/json, text/event-stream.',
        response: problems(400, 401, 403, 406, 415, 429),
      },
      // Authenticated here, not by the guard: an API key may come as a bearer token too.
      config: { access: 'public' },
    }, async (request, reply) => {
      const token = bearer(request);
      const client = { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, requestId: request.id };
      const principal = request.principal !== undefined ? await mcp.admit(request.principal, client) : token !== undefined ? await mcp.authenticate(token, client) : undefined;
      if (principal === undefined) throw unauthorized(say('Send Authorization: Bearer <access token or API key with the assistant scope>', 'Envíe Authorization: Bearer <token de acceso o clave de API con el ámbito de asistente>'));
      const caller = { principal, client, language: preferredLanguage(request.headers['accept-language']) };
      const server = await mcp.createServer(async () => caller, request.log);
      const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      // From here the transport writes the response itself.
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });

    // Stateless: no server-sent event stream to open and no session to end.
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method, url: '/mcp',
        schema: { tags, summary: 'Not supported: the MCP endpoint is stateless (405)', response: problems(405) },
        config: { access: 'public' },
        handler: async () => {
          throw new HttpError(405, say('The MCP endpoint is stateless: send JSON-RPC messages with POST', 'El punto de conexión MCP no guarda estado: envíe los mensajes JSON-RPC con POST'), { headers: { Allow: 'POST' } });
        },
      });
    }
  };
}
