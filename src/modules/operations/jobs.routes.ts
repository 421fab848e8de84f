import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/http/schemas.ts';
import { JobList, JobNameParams, JobRunRequested, JobsQuery } from './jobs.schemas.ts';
import type { JobsService } from './jobs.service.ts';

const tags = ['jobs'];

export function jobsRoutes(service: JobsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/jobs', {
      schema: {
        tags, summary: 'Jobs with their schedules and newest runs (SUPER_ADMIN: platform jobs, or a tenant_id\'s; ADMIN: its tenant\'s)',
        querystring: JobsQuery, response: { 200: JobList, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'jobs:read', tenant: 'optional' },
    }, (request) => service.list(request.tenantScope));

    app.post('/jobs/:name/run', {
      schema: {
        tags, summary: 'Run a scheduled job now (ADMIN: for its tenant, jobs that allow it); a node running jobs starts it within seconds',
        params: JobNameParams, querystring: JobsQuery, response: { 202: JobRunRequested, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'jobs:run', tenant: 'optional', audit: { action: 'job.run', resourceType: 'job' } },
    }, async (request, reply) => {
      const requested = await service.requestRun(request.params.name, request.tenantScope, request.actor.username);
      request.auditTarget = { resourceId: request.params.name, detail: { request_id: requested.request_id, scope: requested.scope } };
      reply.code(202);
      return requested;
    });
  };
}
