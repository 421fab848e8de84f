import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, problems } from '../../platform/http/schemas.ts';
import {
  AcceptRiskBody, ListVulnerabilitiesQuery, PatchBody, PatchJobParams, ResolveVulnerabilityBody, UpdatePatchJobBody, VulnerabilityDetail, VulnerabilityPage, VulnerabilityTenantQuery,
} from './vulnerabilities.schemas.ts';
import type { VulnerabilitiesService } from './vulnerabilities.service.ts';

const tags = ['vulnerabilities'];
const audit = (action: string, reads = false) => ({ action, resourceType: 'vulnerability', reads });

export function vulnerabilitiesRoutes(service: VulnerabilitiesService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/vulnerabilities', {
      schema: { tags, summary: 'Vulnerabilities, newest first', querystring: ListVulnerabilitiesQuery, response: { 200: VulnerabilityPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'vulnerabilities:read', tenant: 'required', audit: audit('vulnerability.list', true) },
    }, (request) => service.list(request.tenantId, request.query));

    app.get('/vulnerabilities/:id', {
      schema: { tags, summary: 'One vulnerability with its patch jobs', params: IdParams, querystring: VulnerabilityTenantQuery, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404) } },
      config: { access: 'vulnerabilities:read', tenant: 'required', audit: audit('vulnerability.get', true) },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.post('/vulnerabilities/:id/patch', {
      schema: {
        tags, summary: 'Start patching: status patching and a patch job (409 when already patching or resolved)', params: IdParams,
        querystring: VulnerabilityTenantQuery, body: PatchBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.patch') },
    }, (request) => {
      request.auditTarget = { detail: { ...request.body } };
      return service.startPatch(request.tenantId, request.actor, request.params.id, request.body);
    });

    app.post('/vulnerabilities/:id/resolve', {
      schema: {
        tags, summary: 'Mark resolved by hand, completing its patch job (409 when already resolved)', params: IdParams,
        querystring: VulnerabilityTenantQuery, body: ResolveVulnerabilityBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.resolve') },
    }, (request) => {
      request.auditTarget = { detail: { note: request.body.note ?? null } };
      return service.resolve(request.tenantId, request.actor, request.params.id, request.body.note);
    });

    app.patch('/vulnerabilities/:id/patch-jobs/:job_id', {
      schema: {
        tags, summary: 'Move a patch job on: pending → in_progress → succeeded | failed | cancelled (409 for any other move); success resolves the vulnerability, failure or cancellation reopens it',
        params: PatchJobParams, querystring: VulnerabilityTenantQuery, body: UpdatePatchJobBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.patch_job_update') },
    }, (request) => {
      request.auditTarget = { detail: { patch_job_id: request.params.job_id, ...request.body } };
      return service.updatePatchJob(request.tenantId, request.actor, request.params.id, request.params.job_id, request.body);
    });

    app.post('/vulnerabilities/:id/accept-risk', {
      schema: {
        tags, summary: 'Accept the risk of an open finding (who, why, until when): the feed no longer reopens it while accepted (409 unless open)',
        params: IdParams, querystring: VulnerabilityTenantQuery, body: AcceptRiskBody, response: { 200: VulnerabilityDetail, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'vulnerabilities:patch', tenant: 'required', audit: audit('vulnerability.accept_risk') },
    }, (request) => {
      request.auditTarget = { detail: { ...request.body } };
      return service.acceptRisk(request.tenantId, request.actor, request.params.id, request.body);
    });
  };
}
