import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { badRequest } from '../../../platform/http/errors.ts';
import { IdParams } from '../../../platform/http/schemas.ts';
import { CreateIntegrationBody, type IntegrationView, UpdateIntegrationBody } from '../../integrations/integrations.schemas.ts';
import { PROVIDERS } from '../../integrations/providers/index.ts';
import type { Capability } from '../../integrations/providers/types.ts';
import type { IntegrationType } from '../../security-domain/vocabulary.ts';
import { audit, isHtmx, type PageKit, type WebApp } from '../page-kit.ts';
import { first, type FormBody, formValues, type JsonSchema, secretValue } from '../views/forms.ts';
import { again, asApiBody, FormBodySchema } from './forms.ts';
import { integrationPage, integrationResult, integrationsPage, newIntegrationPage } from '../views/integrations.ts';
import { say } from '../../../platform/languages.ts';

const TypeQuery = Type.Object({ type: Type.Optional(Type.String({ maxLength: 40 })) });

const definitionOf = (type: string) => (Object.hasOwn(PROVIDERS, type) ? PROVIDERS[type as IntegrationType] : undefined);
const listOf = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** The fields every integration form posts, as the API's body. */
function commonInput(body: FormBody) {
  return { name: first(body.name) ?? '', enabled: first(body.enabled) === 'true', capabilities: listOf(body.capabilities) as Capability[] };
}

/** A vendor call (test, sync) waits outside a database transaction, as in the API. */
const vendorCall = (action: string) => ({ ...audit(action, 'integration'), transaction: false as const });

/**
 * The integrations pages (docs/requirements.md, UI-4): the list with each one's last sync and
 * error, forms generated from each type's config JSON Schema, test, sync now and delete.
 */
export function integrationPages(app: WebApp, { services, viewOf, attempt, send, answer }: PageKit): void {
  const { integrations, sync } = services;

  app.get('/integrations', {
    config: { access: 'integrations:read', tenant: 'required' },
  }, async (request, reply) => {
    const page = await integrations.list(request.tenantId, { limit: 100 });
    return send(reply, integrationsPage(await viewOf(request), page.items, PROVIDERS));
  });

  app.get('/integrations/new', {
    schema: { querystring: TypeQuery },
    config: { access: 'integrations:write', tenant: 'required' },
  }, async (request, reply) => {
    const definition = definitionOf(request.query.type ?? 'grafana') ?? PROVIDERS.grafana;
    return send(reply, newIntegrationPage(await viewOf(request), PROVIDERS, definition.type, { name: '', enabled: true, capabilities: definition.defaultCapabilities, config: {} }));
  });

  app.post('/integrations', {
    schema: { body: FormBodySchema },
    config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.create', 'integration') },
  }, async (request, reply) => {
    const body = request.body;
    const definition = definitionOf(first(body.type) ?? '');
    if (definition === undefined) throw badRequest(say('Unknown integration type', 'Tipo de integración desconocido'), [{ field: 'type', message: 'is not a type Sentinel connects to', code: 'unknown_reference', params: { value: (first(body.type) ?? '').slice(0, 64) } }]);
    const common = commonInput(body);
    const config = formValues(definition.configSchema as JsonSchema, body, 'config');
    const secret = secretValue(definition.secretSchema as JsonSchema, body);
    const outcome = await attempt(request, () => integrations.create(request.tenantId, asApiBody(CreateIntegrationBody, { ...common, type: definition.type, config, ...(secret !== undefined ? { secret } : {}) })));
    if (outcome.problem !== undefined) {
      return again(reply, outcome.problem.status, newIntegrationPage(await viewOf(request), PROVIDERS, definition.type, { ...common, config }, outcome.problem));
    }
    request.auditTarget = { resourceId: outcome.value.id, detail: { name: outcome.value.name, type: outcome.value.type, secret_set: outcome.value.secret_set } };
    return answer(request, reply, '', `/integrations/${outcome.value.id}`);
  });

  app.get('/integrations/:id', {
    schema: { params: IdParams },
    config: { access: 'integrations:read', tenant: 'required' },
  }, async (request, reply) => {
    const integration = await integrations.get(request.tenantId, request.params.id);
    return send(reply, integrationPage(await viewOf(request), integration, definitionOf(integration.type)));
  });

  app.post('/integrations/:id', {
    schema: { params: IdParams, body: FormBodySchema },
    config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.update', 'integration') },
  }, async (request, reply) => {
    const current = await integrations.get(request.tenantId, request.params.id);
    const definition = definitionOf(current.type);
    const body = request.body;
    const common = commonInput(body);
    const config = definition === undefined ? {} : formValues(definition.configSchema as JsonSchema, body, 'config');
    const secret = definition === undefined ? undefined : secretValue(definition.secretSchema as JsonSchema, body);
    const outcome = await attempt(request, () => integrations.update(request.tenantId, current.id, asApiBody(UpdateIntegrationBody, { ...common, config, ...(secret !== undefined ? { secret } : {}) })));
    request.auditTarget = { detail: { changes: { ...common, config }, secret_changed: secret !== undefined } };
    if (outcome.problem !== undefined) {
      return again(reply, outcome.problem.status, integrationPage(await viewOf(request), current, definition, { problem: outcome.problem, form: { ...common, config } }));
    }
    return answer(request, reply, '', `/integrations/${current.id}`);
  });

  /** The result in place for HTMX; the whole page with the result for a plain form. */
  async function showResult(request: FastifyRequest, reply: FastifyReply, integration: IntegrationView, result: Parameters<typeof integrationResult>[1]) {
    // The switches of a page answering a POST return to the integration's own page.
    const view = { ...(await viewOf(request)), path: `/integrations/${integration.id}` };
    const markup = isHtmx(request) ? integrationResult(view, result) : integrationPage(view, integration, definitionOf(integration.type), { result });
    return send(reply, markup);
  }

  app.post('/integrations/:id/test', {
    schema: { params: IdParams, body: Type.Optional(FormBodySchema) },
    config: { access: 'integrations:write', tenant: 'required', audit: vendorCall('integration.test') },
  }, async (request, reply) => {
    const check = await integrations.check(request.tenantId, request.params.id);
    request.auditTarget = { detail: { ok: check.ok, latency_ms: check.latency_ms } };
    return showResult(request, reply, await integrations.get(request.tenantId, request.params.id), { kind: 'test', check });
  });

  app.post('/integrations/:id/sync', {
    schema: { params: IdParams, body: Type.Optional(FormBodySchema) },
    config: { access: 'integrations:write', tenant: 'required', audit: vendorCall('integration.sync') },
  }, async (request, reply) => {
    const outcome = await sync.syncNow(await integrations.getRow(request.tenantId, request.params.id));
    request.auditTarget = { detail: { ...outcome } };
    return showResult(request, reply, await integrations.get(request.tenantId, request.params.id), { kind: 'sync', outcome });
  });

  app.post('/integrations/:id/delete', {
    schema: { params: IdParams, body: Type.Optional(FormBodySchema) },
    config: { access: 'integrations:write', tenant: 'required', audit: audit('integration.delete', 'integration') },
  }, async (request, reply) => {
    await integrations.delete(request.tenantId, request.params.id);
    return answer(request, reply, '', '/integrations');
  });
}
