import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../platform/http/errors.ts';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { toIso } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import {
  CheckResult, CreateIntegrationBody, DashboardDetailSchema, DashboardList, DashboardParams, Integration, IntegrationPage,
  ListIntegrationsQuery, PanelData, PanelDataQuery, PanelParams, SyncOutcome, TenantOnlyQuery, UpdateIntegrationBody,
} from './integrations.schemas.ts';
import { vendorFailure, type IntegrationsService } from './integrations.service.ts';
import type { Provider, ProviderContext } from './providers/types.ts';
import type { SyncRunner } from './sync.service.ts';
import { parseRange } from './time-range.ts';
import { ProviderError } from './vendor-http.ts';

const tags = ['integrations'];
const audit = (action: string, reads = false) => ({ action, resourceType: 'integration', reads });
// Test and sync wait on the vendor (up to its timeout): not inside a database transaction.
const vendorCall = (action: string) => ({ ...audit(action), transaction: false as const });

/** Runs a vendor call for a request, turning vendor failures into 502/504 problems. */
async function callVendor<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProviderError) throw vendorFailure(error);
    throw error;
  }
}

export function integrationsRoutes(service: IntegrationsService, sync: SyncRunner): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/integrations', {
      schema: { tags, summary: 'List integrations', querystring: ListIntegrationsQuery, response: { 200: IntegrationPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'integrations:read', tenant: 'required' },
    }, (request) => service.list(request.tenantId, request.query));

    app.post('/integrations', {
      schema: {
        tags, summary: 'Connect a system (Grafana, Prometheus, Wazuh, Splunk, Meraki, PAN-OS)', querystring: TenantOnlyQuery,
        body: CreateIntegrationBody, response: { 201: Integration, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.create') },
    }, async (request, reply) => {
      request.auditTarget = { detail: { name: request.body.name, type: request.body.type } };
      const integration = await service.create(request.tenantId, request.body);
      request.auditTarget = { resourceId: integration.id, detail: { name: integration.name, type: integration.type, secret_set: integration.secret_set } };
      reply.code(201);
      return integration;
    });

    app.get('/integrations/:id', {
      schema: { tags, summary: 'Get an integration (never its secret)', params: IdParams, querystring: TenantOnlyQuery, response: { 200: Integration, ...problems(400, 401, 403, 404) } },
      config: { access: 'integrations:read', tenant: 'required' },
    }, (request) => service.get(request.tenantId, request.params.id));

    app.patch('/integrations/:id', {
      schema: {
        tags, summary: 'Update an integration; config fields are merged, a new secret replaces the old one', params: IdParams,
        querystring: TenantOnlyQuery, body: UpdateIntegrationBody, response: { 200: Integration, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.update') },
    }, (request) => {
      const { secret, ...changes } = request.body;
      request.auditTarget = { detail: { changes, secret_changed: secret !== undefined } };
      return service.update(request.tenantId, request.params.id, request.body);
    });

    app.delete('/integrations/:id', {
      schema: { tags, summary: 'Delete an integration and its stored secret', params: IdParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.delete') },
    }, async (request, reply) => {
      await service.delete(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });

    app.post('/integrations/:id/test', {
      schema: {
        tags, summary: 'Check reachability and credentials (the answer is 200 either way; see ok)', params: IdParams,
        querystring: TenantOnlyQuery, response: { 200: CheckResult, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'integrations:write', tenant: 'required', audit: vendorCall('integration.test') },
    }, async (request) => {
      const result = await service.check(request.tenantId, request.params.id);
      request.auditTarget = { detail: { ok: result.ok, latency_ms: result.latency_ms } };
      return result;
    });

    app.post('/integrations/:id/sync', {
      schema: {
        tags, summary: 'Sync now: poll the vendor and update systems, alerts and vulnerabilities', params: IdParams,
        querystring: TenantOnlyQuery, response: { 200: SyncOutcome, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'integrations:write', tenant: 'required', audit: vendorCall('integration.sync') },
    }, async (request) => {
      const outcome = await sync.syncNow(await service.getRow(request.tenantId, request.params.id));
      request.auditTarget = { detail: { ...outcome } };
      return outcome;
    });

    /** The Grafana data routes need an integration whose provider has the METRICS methods. */
    async function metricsTarget(request: FastifyRequest, id: string): Promise<{ provider: Provider; ctx: ProviderContext }> {
      const row = await service.getRow(request.tenantId, id);
      const provider = service.definitionOf(row).provider;
      if (row.type !== 'grafana' || !provider.listDashboards) throw new HttpError(404, say('This integration is not a Grafana integration', 'Esta integración no es una integración de Grafana'));
      return { provider, ctx: await callVendor(() => service.contextFor(row)) };
    }

    app.get('/integrations/:id/grafana/dashboards', {
      schema: { tags, summary: 'Grafana dashboards of this integration', params: IdParams, querystring: TenantOnlyQuery, response: { 200: DashboardList, ...problems(400, 401, 403, 404, 409, 502, 504) } },
      config: { access: 'integrations:read', tenant: 'required', audit: audit('integration.grafana.dashboards', true) },
    }, async (request) => {
      const { provider, ctx } = await metricsTarget(request, request.params.id);
      return { items: await callVendor(() => provider.listDashboards!(ctx)) };
    });

    app.get('/integrations/:id/grafana/dashboards/:uid', {
      schema: { tags, summary: 'One Grafana dashboard with its panels (collapsed rows flattened)', params: DashboardParams, querystring: TenantOnlyQuery, response: { 200: DashboardDetailSchema, ...problems(400, 401, 403, 404, 409, 502, 504) } },
      config: { access: 'integrations:read', tenant: 'required', audit: audit('integration.grafana.dashboard', true) },
    }, async (request) => {
      const { provider, ctx } = await metricsTarget(request, request.params.id);
      request.auditTarget = { detail: { dashboard_uid: request.params.uid } };
      return callVendor(() => provider.getDashboard!(ctx, request.params.uid));
    });

    app.get('/integrations/:id/grafana/dashboards/:uid/panels/:panel_id/data', {
      schema: {
        tags, summary: 'A panel\'s data as normalised series over a time range', params: PanelParams, querystring: PanelDataQuery,
        response: { 200: PanelData, ...problems(400, 401, 403, 404, 409, 502, 504) },
      },
      config: { access: 'integrations:read', tenant: 'required', audit: audit('integration.grafana.panel_data', true) },
    }, async (request) => {
      const range = parseRange(request.query.from, request.query.to);
      const { provider, ctx } = await metricsTarget(request, request.params.id);
      request.auditTarget = { detail: { dashboard_uid: request.params.uid, panel_id: request.params.panel_id, from: toIso(range.from), to: toIso(range.to) } };
      const series = await callVendor(() => provider.fetchPanelData!(ctx, request.params.uid, request.params.panel_id, range.from, range.to));
      return { from: toIso(range.from), to: toIso(range.to), series };
    });
  };
}
