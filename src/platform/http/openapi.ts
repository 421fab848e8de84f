import swagger from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'yaml';

export const API_VERSION = '0.1.0';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sentinel API',
        version: API_VERSION,
        description:
          'Multi-tenant operations dashboard: security operations, production lines, telemetry and alerting. ' +
          'Errors are RFC 9457 problem details (application/problem+json), their title and detail in Spanish or English as Accept-Language asks (English by default). ' +
          'Lists page with `limit` and an opaque `cursor`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          // Devices and integrations; only routes that list it accept it, each within the key's scopes.
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    // Shared schemas appear under their $id (e.g. #/components/schemas/Problem).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (documents) => ('openapiObject' in documents ? optionalBodiesNotRequired(documents.openapiObject) : documents.swaggerObject),
  });
  registerLazySwaggerUi(app);
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
}

/** Headers of the Swagger UI's own answers that are hop-by-hop or that this app sets itself. */
const UNFORWARDED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * Swagger UI at /docs, its assets shipped inside the npm package (no CDN). Loading the package and
 * its static-file server was a tenth of a start, for a page few requests ask for: it is loaded at
 * the first request to /docs, into a Fastify instance of its own that these routes forward to.
 */
function registerLazySwaggerUi(app: FastifyInstance): void {
  let ui: Promise<FastifyInstance> | undefined;
  const loadUi = async () => {
    const [{ default: Fastify }, { fastifySwaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger-ui')]);
    const docs = Fastify({ logger: false });
    docs.decorate('swagger', app.swagger.bind(app));
    // Called inside a plain plugin: registered as itself it would look for @fastify/swagger in this
    // instance. It is an async function, whatever its type says.
    const registerUi = fastifySwaggerUi as unknown as FastifyPluginAsync<FastifySwaggerUiOptions>;
    await docs.register(async (scope) => registerUi(scope, { routePrefix: '/docs', uiConfig: { deepLinking: false }, staticCSP: false }));
    await docs.ready();
    return docs;
  };
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= loadUi().catch((error: unknown) => {
      ui = undefined;
      throw error;
    });
    // Asked as a GET: for a HEAD, Fastify here drops the body and keeps its length.
    const response = await (await ui).inject({ method: 'GET', url: request.url, headers: request.headers });
    if (response.statusCode === 404) return reply.callNotFound();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !UNFORWARDED_HEADERS.has(name)) reply.header(name, value);
    }
    return reply.code(response.statusCode).send(response.rawPayload);
  };
  for (const url of ['/docs', '/docs/*']) app.get(url, { schema: { hide: true }, config: { access: 'public' } }, forward);
}

interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { type?: unknown } }> };
}

/**
 * The plugin marks every request body required; one whose schema also takes null may be left out
 * (schemas.ts, OptionalBody), and the document says so.
 */
function optionalBodiesNotRequired<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const operation of Object.values(paths).flatMap((methods) => Object.values(methods))) {
    const body = operation.requestBody;
    const type = body?.content?.['application/json']?.schema?.type;
    if (body !== undefined && Array.isArray(type) && type.includes('null')) body.required = false;
  }
  return document;
}

/** The document as committed in openapi/openapi.yaml (no YAML anchors, so diffs stay readable). */
export function openApiYaml(app: FastifyInstance): string {
  return stringify(app.swagger(), { lineWidth: 0, aliasDuplicateObjects: false });
}
