import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { CreateTenantBody, ListTenantsQuery, Tenant, TenantConfig, TenantConfigPatch, TenantPage, UpdateTenantBody } from './tenants.schemas.ts';
import type { TenantsService } from './tenants.service.ts';

const tags = ['tenants'];
const audit = (action: string) => ({ action, resourceType: 'tenant' });

export function tenantsRoutes(service: TenantsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/tenants', {
      schema: { tags, summary: 'List tenants (SUPER_ADMIN)', querystring: ListTenantsQuery, response: { 200: TenantPage, ...problems(400, 401, 403) } },
      config: { access: 'tenants:read' },
    }, (request) => service.list(request.query));

    app.post('/tenants', {
      schema: { tags, summary: 'Create a tenant (SUPER_ADMIN)', body: CreateTenantBody, response: { 201: Tenant, ...problems(400, 401, 403, 409) } },
      config: { access: 'tenants:write', audit: audit('tenant.create') },
    }, async (request, reply) => {
      const tenant = await service.create(request.body);
      request.auditTarget = { resourceId: tenant.id, tenantId: tenant.id, detail: { name: tenant.name, slug: tenant.slug } };
      reply.code(201);
      return tenant;
    });

    app.get('/tenants/:id', {
      schema: { tags, summary: 'Get a tenant (SUPER_ADMIN)', params: IdParams, response: { 200: Tenant, ...problems(400, 401, 403, 404) } },
      config: { access: 'tenants:read' },
    }, (request) => service.get(request.params.id));

    app.patch('/tenants/:id', {
      schema: {
        tags, summary: 'Update a tenant (SUPER_ADMIN); deactivating ends its users\' sessions',
        params: IdParams, body: UpdateTenantBody, response: { 200: Tenant, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'tenants:write', audit: audit('tenant.update') },
    }, async (request) => {
      const tenant = await service.update(request.params.id, request.body);
      request.auditTarget = { tenantId: tenant.id, detail: { changes: request.body } };
      return tenant;
    });

    app.get('/tenant/settings', {
      schema: { tags, summary: 'The caller\'s tenant settings: time zone, language, default theme', response: { 200: TenantConfig, ...problems(400, 401, 403, 404) } },
      config: { access: 'authenticated', tenant: 'required' },
    }, async (request) => (await service.get(request.tenantId)).config);

    app.patch('/tenant/settings', {
      schema: { tags, summary: 'Change the caller\'s tenant settings (ADMIN)', body: TenantConfigPatch, response: { 200: TenantConfig, ...problems(400, 401, 403, 404) } },
      config: { access: 'tenant_settings:write', tenant: 'required', audit: audit('tenant.settings_update') },
    }, async (request) => {
      request.auditTarget = { resourceId: request.tenantId, detail: { changes: request.body } };
      return (await service.update(request.tenantId, { config: request.body })).config;
    });

    app.delete('/tenants/:id', {
      schema: { tags, summary: 'Delete a tenant and everything it owns (SUPER_ADMIN)', params: IdParams, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'tenants:write', audit: audit('tenant.delete') },
    }, async (request, reply) => {
      request.auditTarget = { tenantId: request.params.id };
      await service.delete(request.params.id);
      reply.code(204);
      return null;
    });
  };
}
