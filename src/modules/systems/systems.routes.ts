import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, problems } from '../../platform/http/schemas.ts';
import { ListSystemsQuery, SystemDetail, SystemPage, SystemSettings, SystemStatusCounts, SystemsTenantQuery, UpdateSystemSettingsBody } from './systems.schemas.ts';
import type { SystemsService } from './systems.service.ts';

const tags = ['systems'];
// Every metrics query is audited (docs/requirements.md, SEC-11).
const audit = (action: string) => ({ action, resourceType: 'system', reads: true });

export function systemsRoutes(service: SystemsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/systems/status', {
      schema: { tags, summary: 'How many connected systems are online, warning or alert', querystring: SystemsTenantQuery, response: { 200: SystemStatusCounts, ...problems(400, 401, 403, 404) } },
      config: { access: 'systems:read', tenant: 'required', audit: audit('system.status_counts'), cache: ['systems'] },
    }, (request) => service.statusCounts(request.tenantId));

    app.get('/systems', {
      schema: { tags, summary: 'Connected systems with their status, recent open alerts and metrics', querystring: ListSystemsQuery, response: { 200: SystemPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'systems:read', tenant: 'required', audit: audit('system.list') },
    }, (request) => service.list(request.tenantId, request.query));

    app.get('/systems/settings', {
      schema: { tags, summary: 'The tenant\'s status rules (which open alerts make a system alert or warning) and uptime window', querystring: SystemsTenantQuery, response: { 200: SystemSettings, ...problems(400, 401, 403, 404) } },
      config: { access: 'systems:read', tenant: 'required', audit: audit('system.settings_get') },
    }, (request) => service.getSettings(request.tenantId));

    app.put('/systems/settings', {
      schema: {
        tags, summary: 'Change the status rules or uptime window (fields not sent keep their value); every system\'s status follows at once',
        querystring: SystemsTenantQuery, body: UpdateSystemSettingsBody, response: { 200: SystemSettings, ...problems(400, 401, 403, 404) },
      },
      config: { access: 'integrations:write', tenant: 'required', audit: { action: 'system.settings_update', resourceType: 'system_settings' } },
    }, (request) => {
      request.auditTarget = { detail: { ...request.body } };
      return service.updateSettings(request.tenantId, request.actor, request.body);
    });

    app.get('/systems/:id', {
      schema: { tags, summary: 'One system with its assets (agents, devices, hosts) and their status', params: IdParams, querystring: SystemsTenantQuery, response: { 200: SystemDetail, ...problems(400, 401, 403, 404) } },
      config: { access: 'systems:read', tenant: 'required', audit: audit('system.get') },
    }, (request) => service.get(request.tenantId, request.params.id));
  };
}
