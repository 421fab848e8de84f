import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actingTenant } from '../../platform/auth/tenant-scope.ts';
import { IdParams, problems } from '../../platform/http/schemas.ts';
import {
  ListVulnerabilitiesQuery, PatchBody, ResolveVulnerabilityBody, VulnerabilityDetail, VulnerabilityPage, VulnerabilityTenantQuery,
} from './vulnerabilities.schemas.ts';
import type { VulnerabilitiesService } from './vulnerabilities.service.ts';

const tags = ['vulnerabilities'];
const audit = (action: string, reads = false) => ({ action, resourceType: 'vulnerability', reads });

export function vulnerabilitiesRoutes(service: VulnerabilitiesService, tenantExists: (id: string) => Promise<boolean>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/vulnerabilities', {
      schema: { tags, summary: 'Vulnerabilities, newest first', querystring: ListVulnerabilitiesQuery, response: { 200: VulnerabilityPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'vulnerabilities:read', audit: audit('vulnerability.list', true) },
    }, async (request) => {
      const tenantId = await actingTenant(request.principal!, request.query.tenant_id, tenantExists);
      request.auditTarget = { tenantId };
      return service.list(tenantId, request.query);
    });

    app.get('/vulnerabilities/:id', {
      schema: { tags, summary: 'One vulnerability with its patch jobs', params: IdParams, querystring: VulnerabilityTenantQuery, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404) } },
      config: { access: 'vulnerabilities:read', audit: audit('vulnerability.get', true) },
    }, async (request) => {
      const tenantId = await actingTenant(request.principal!, request.query.tenant_id, tenantExists);
      request.auditTarget = { tenantId };
      return service.get(tenantId, request.params.id);
    });

    app.post('/vulnerabilities/:id/patch', {
      schema: {
        tags, summary: 'Start patching: status patching and a patch job (409 when already patching or resolved)', params: IdParams,
        querystring: VulnerabilityTenantQuery, body: PatchBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', audit: audit('vulnerability.patch') },
    }, async (request) => {
      const tenantId = await actingTenant(request.principal!, request.query.tenant_id, tenantExists);
      request.auditTarget = { tenantId, detail: { ...request.body } };
      return service.startPatch(tenantId, request.principal!, request.params.id, request.body);
    });

    app.post('/vulnerabilities/:id/resolve', {
      schema: {
        tags, summary: 'Mark resolved by hand, completing its patch job (409 when already resolved)', params: IdParams,
        querystring: VulnerabilityTenantQuery, body: ResolveVulnerabilityBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', audit: audit('vulnerability.resolve') },
    }, async (request) => {
      const tenantId = await actingTenant(request.principal!, request.query.tenant_id, tenantExists);
      request.auditTarget = { tenantId, detail: { note: request.body.note ?? null } };
      return service.resolve(tenantId, request.params.id, request.body.note);
    });
  };
}
