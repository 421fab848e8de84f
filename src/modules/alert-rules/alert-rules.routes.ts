import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { plantProblem } from '../production/plant-problems.ts';
import { CreateRuleBody, ListRulesQuery, Preview, PreviewBody, Rule, RulePage, RuleTenantQuery, UpdateRuleBody } from './alert-rules.schemas.ts';
import type { AlertRulesService } from './alert-rules.service.ts';

const tags = ['alert rules'];
const audit = (action: string) => ({ action, resourceType: 'alert_rule' });

/** The alert-rules API (docs/requirements.md, PLT-13). */
export function alertRulesRoutes(service: AlertRulesService): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Production rules read the tenant's plant database: its failures answer as on the production routes (502/503).
    app.setErrorHandler((error) => {
      throw plantProblem(error);
    });

    app.get('/alert-rules', {
      schema: { tags, summary: 'The tenant\'s alert rules with their state, newest first', querystring: ListRulesQuery, response: { 200: RulePage, ...problems(400, 401, 403, 404) } },
      config: { access: 'alert_rules:read', tenant: 'required' },
    }, (request) => service.list(request.tenantId, request.query));

    app.post('/alert-rules', {
      schema: {
        tags, summary: 'Create an alert rule',
        description: 'kind telemetry needs metric, aggregation, window_seconds, operator, threshold (labels and for_seconds optional); line_stopped needs line_id and minutes; oee_below needs line_id and target (for_seconds optional). A firing rule opens an alert (source "Sentinel rules") that is resolved when the rule clears.',
        querystring: RuleTenantQuery, body: CreateRuleBody, response: { 201: Rule, ...problems(400, 401, 403, 404, 502, 503) },
      },
      config: { access: 'alert_rules:write', tenant: 'required', audit: audit('alert_rule.create') },
    }, async (request, reply) => {
      const rule = await service.create(request.tenantId, request.actor, request.body);
      request.auditTarget = { resourceId: rule.id, detail: { name: rule.name, kind: rule.kind } };
      reply.code(201);
      return rule;
    });

    app.post('/alert-rules/preview', {
      schema: {
        tags, summary: 'What a rule would have fired over the last 24 hours',
        description: 'Telemetry rules are replayed once a minute from minute rollups (the window rounded up to whole minutes); line_stopped from the line\'s stops; oee_below from each shift\'s OEE as a whole.',
        querystring: RuleTenantQuery, body: PreviewBody, response: { 200: Preview, ...problems(400, 401, 403, 404, 502, 503) },
      },
      config: { access: 'alert_rules:read', tenant: 'required' },
    }, (request) => service.preview(request.tenantId, request.body));

    app.get('/alert-rules/:id', {
      schema: { tags, summary: 'One alert rule with its state', params: IdParams, querystring: RuleTenantQuery, response: { 200: Rule, ...problems(400, 401, 403, 404) } },
      config: { access: 'alert_rules:read', tenant: 'required' },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.patch('/alert-rules/:id', {
      schema: { tags, summary: 'Change an alert rule (a changed condition is evaluated afresh)', params: IdParams, querystring: RuleTenantQuery, body: UpdateRuleBody, response: { 200: Rule, ...problems(400, 401, 403, 404, 502, 503) } },
      config: { access: 'alert_rules:write', tenant: 'required', audit: audit('alert_rule.update') },
    }, (request) => {
      request.auditTarget = { detail: { changes: request.body } };
      return service.update(request.tenantId, request.params.id, request.body);
    });

    app.delete('/alert-rules/:id', {
      schema: { tags, summary: 'Delete an alert rule; its open alert is resolved at the next evaluation', params: IdParams, querystring: RuleTenantQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'alert_rules:write', tenant: 'required', audit: audit('alert_rule.delete') },
    }, async (request, reply) => {
      await service.delete(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });
  };
}
