import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, TenantQuery } from '../../platform/http/schemas.ts';
import type { ContextService } from './context.service.ts';

const SummaryQuery = Type.Object(TenantQuery, { additionalProperties: false });
const Summary = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  tenant: Type.Object({ id: Type.String(), name: Type.Unsafe<string | null>({ type: ['string', 'null'] }) }),
  systems: Type.Record(Type.String(), Type.Unknown()),
  alerts: Type.Record(Type.String(), Type.Unknown()),
  vulnerabilities: Type.Record(Type.String(), Type.Unknown()),
  trend_24h: Type.Record(Type.String(), Type.Unknown()),
}, { description: 'See docs/context.md for every field' });

export function contextRoutes(service: ContextService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/context/security-summary', {
      schema: {
        tags: ['context'], summary: 'Compact security posture of a tenant, as context for AI assistants (SOPHIA, VICTORIA)',
        querystring: SummaryQuery, response: { 200: Summary, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'analytics:read', tenant: 'required', audit: { action: 'context.security_summary', resourceType: 'context', reads: true } },
    }, (request) => service.securitySummary(request.tenantId));
  };
}
