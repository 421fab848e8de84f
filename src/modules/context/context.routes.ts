import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/http/schemas.ts';
import { SecuritySummary, SummaryQuery } from './context.schemas.ts';
import type { ContextService } from './context.service.ts';

export function contextRoutes(service: ContextService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/context/security-summary', {
      schema: {
        tags: ['context'], summary: 'Compact security posture of a tenant, as context for AI assistants (SOPHIA, VICTORIA)',
        querystring: SummaryQuery, response: { 200: SecuritySummary, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'analytics:read', tenant: 'required', audit: { action: 'context.security_summary', resourceType: 'context', reads: true } },
    }, (request) => service.securitySummary(request.tenantId));
  };
}
