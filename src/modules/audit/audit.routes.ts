import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/http/schemas.ts';
import { AuditPage, ListAuditQuery } from './audit.schemas.ts';
import type { AuditService } from './audit.service.ts';

export function auditRoutes(service: AuditService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/audit-logs', {
      schema: {
        tags: ['audit'], summary: 'Audit log, newest first (ADMIN: own tenant; SUPER_ADMIN: every tenant, or one tenant_id)',
        querystring: ListAuditQuery, response: { 200: AuditPage, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'audit:read', tenant: 'optional' },
    }, (request) => service.listPage(request.tenantScope, request.query));
  };
}
