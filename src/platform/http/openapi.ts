import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
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
          'Errors are RFC 9457 problem details (application/problem+json). Lists page with `limit` and an opaque `cursor`.',
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
  // Swagger UI's assets ship inside the npm package and are served from here: no CDN. Its routes
  // cannot declare themselves public, so the scope it is registered in declares them.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false }, staticCSP: false });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
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
