import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { forbidden } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { ApiKey, ApiKeyPage, ApiKeyQuery, CreateApiKeyBody, CreatedApiKey, ListApiKeysQuery } from './api-keys.schemas.ts';
import type { ApiKeysService } from './api-keys.service.ts';

const tags = ['api-keys'];
const audit = (action: string) => ({ action, resourceType: 'api_key' });

export function apiKeysRoutes(service: ApiKeysService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/api-keys', {
      schema: { tags, summary: 'Create an API key (its secret is shown only in this answer)', body: CreateApiKeyBody, response: { 201: CreatedApiKey, ...problems(400, 401, 403, 404) } },
      config: { access: 'api_keys:write', tenant: 'required', audit: audit('api_key.create') },
    }, async (request, reply) => {
      const key = await service.create(request.actor, request.tenantId, request.body);
      request.auditTarget = { resourceId: key.id, detail: { name: key.name, scopes: key.scopes, line_ids: key.line_ids } };
      reply.code(201);
      return key;
    });

    app.get('/api-keys', {
      schema: { tags, summary: 'List the tenant\'s API keys (never their secrets)', querystring: ListApiKeysQuery, response: { 200: ApiKeyPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'api_keys:read', tenant: 'required' },
    }, (request) => service.list(request.tenantId, request.query));

    app.get('/api-keys/self', {
      schema: { tags, summary: 'The calling API key', security: [{ apiKey: [] }], response: { 200: ApiKey, ...problems(401, 403) } },
      config: { access: 'authenticated', apiKeys: 'allowed', tenant: 'required' },
    }, async (request) => {
      const apiKey = request.actor.apiKey;
      if (apiKey === undefined) throw forbidden(say('Only an API key has a self view', 'Solo una clave de API puede consultarse a sí misma'));
      return service.get(request.tenantId, apiKey.id);
    });

    app.get('/api-keys/:id', {
      schema: { tags, summary: 'Get an API key (never its secret)', params: IdParams, querystring: ApiKeyQuery, response: { 200: ApiKey, ...problems(400, 401, 403, 404) } },
      config: { access: 'api_keys:read', tenant: 'required' },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.delete('/api-keys/:id', {
      schema: { tags, summary: 'Revoke an API key; callers using it are refused within seconds', params: IdParams, querystring: ApiKeyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'api_keys:write', tenant: 'required', audit: audit('api_key.revoke') },
    }, async (request, reply) => {
      const key = await service.revoke(request.tenantId, request.params.id);
      request.auditTarget = { detail: { name: key.name } };
      reply.code(204);
      return null;
    });
  };
}
