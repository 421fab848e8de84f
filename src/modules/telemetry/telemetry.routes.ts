import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditSink } from '../../platform/audit-sink.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { problems } from '../../platform/http/schemas.ts';
import { say } from '../../platform/languages.ts';
import {
  LABEL_KEY_PATTERN, ListSeriesQuery, MAX_LABELS, SeriesPage, TelemetryBatchBody, TelemetryIngestResult, TelemetryQuery, TelemetryQueryResult,
  TelemetrySettings, TenantOnlyQuery, UpdateTelemetrySettingsBody,
} from './telemetry.schemas.ts';
import type { TelemetryService } from './telemetry.service.ts';

const tags = ['telemetry'];
/** 10,000 points with labels exceed the global 1 MiB body limit. */
export const TELEMETRY_BODY_LIMIT = 4 * 1024 * 1024;
const LABEL_KEY = new RegExp(LABEL_KEY_PATTERN);
const INGEST_AUDIT = { action: 'telemetry.ingest', resourceType: 'telemetry' } as const;

/** A label filter from the query string: a JSON object, or key=value pairs separated by commas. */
export function parseLabelsFilter(text: string | undefined): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  const invalid = () => badRequest(say('labels is not valid', 'labels no es válido'), [{ field: 'labels', message: 'must be a JSON object of strings or key=value pairs separated by commas', code: 'invalid' }]);
  let labels: Record<string, unknown>;
  if (text.trimStart().startsWith('{')) {
    try {
      labels = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw invalid();
    }
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw invalid();
  } else {
    labels = {};
    for (const pair of text.split(',')) {
      const at = pair.search(/[=:]/);
      if (at <= 0) throw invalid();
      labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
  }
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS || entries.some(([key, value]) => !LABEL_KEY.test(key) || typeof value !== 'string' || value.length > 200)) throw invalid();
  return labels as Record<string, string>;
}

/** The telemetry API (docs/requirements.md, PLT-12). */
export function telemetryRoutes(service: TelemetryService, audit: AuditSink): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/telemetry', {
      bodyLimit: TELEMETRY_BODY_LIMIT,
      schema: {
        tags, summary: 'Ingest a batch of metric points: all or nothing, idempotent by batch_id',
        description: `Up to 10,000 points; the body may be up to ${TELEMETRY_BODY_LIMIT / 1024 / 1024} MiB. A bad row is a 400 naming it and nothing is stored; a batch that would take the tenant past its series limit is 422 and nothing is stored. A batch_id sent again is acknowledged with 200 and duplicate: true.`,
        querystring: TenantOnlyQuery, body: TelemetryBatchBody, response: { 200: TelemetryIngestResult, 201: TelemetryIngestResult, ...problems(400, 401, 403, 404, 413, 422) },
      },
      // The service commits batches in groups: the success entry is written in the batch's own
      // transaction (below), the guard records failures.
      config: { access: 'telemetry:write', tenant: 'required', audit: { action: INGEST_AUDIT.action, resourceType: INGEST_AUDIT.resourceType, transaction: false } },
    }, async (request, reply) => {
      const result = await service.ingest(request.tenantId, request.body, (stored) => audit.fromRequest(request, {
        ...INGEST_AUDIT, outcome: 'success', resourceId: null, tenantId: request.tenantId, detail: { batch_id: stored.batch_id, accepted: stored.accepted, duplicate: stored.duplicate },
      }));
      request.auditWritten = true;
      reply.code(result.duplicate ? 200 : 201);
      return result;
    });

    app.get('/telemetry/query', {
      schema: { tags, summary: 'A metric aggregated per series and step over a time range', querystring: TelemetryQuery, response: { 200: TelemetryQueryResult, ...problems(400, 401, 403, 404) } },
      config: { access: 'telemetry:read', tenant: 'required' },
    }, (request) => {
      const { metric, labels, from, to, step, agg } = request.query;
      const toMs = to === undefined ? Date.now() : Date.parse(to);
      const fromMs = from === undefined ? toMs - 3_600_000 : Date.parse(from);
      return service.query(request.tenantId, { metric, labels: parseLabelsFilter(labels), from: fromMs, to: toMs, stepMs: (step ?? 60) * 1000, agg: agg ?? 'avg' });
    });

    app.get('/telemetry/series', {
      schema: { tags, summary: 'The tenant\'s series (metric and label set), oldest first', querystring: ListSeriesQuery, response: { 200: SeriesPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'telemetry:read', tenant: 'required' },
    }, (request) => {
      const { metric, labels, limit, cursor } = request.query;
      return service.listSeries(request.tenantId, { ...(metric !== undefined ? { metric } : {}), labels: parseLabelsFilter(labels), limit: limit ?? 50, ...(cursor !== undefined ? { cursor } : {}) });
    });

    app.get('/telemetry/settings', {
      schema: { tags, summary: 'The tenant\'s series limit and retention', querystring: TenantOnlyQuery, response: { 200: TelemetrySettings, ...problems(400, 401, 403, 404) } },
      config: { access: 'telemetry:read', tenant: 'required' },
    }, (request) => service.settings(request.tenantId));

    app.patch('/telemetry/settings', {
      schema: { tags, summary: 'Set a tenant\'s series limit and retention (SUPER_ADMIN; null returns to the default)', querystring: TenantOnlyQuery, body: UpdateTelemetrySettingsBody, response: { 200: TelemetrySettings, ...problems(400, 401, 403, 404) } },
      config: { access: 'tenants:write', tenant: 'required', audit: { action: 'telemetry.settings.update', resourceType: 'tenant' } },
    }, (request) => {
      request.auditTarget = { resourceId: request.tenantId, detail: { changes: request.body } };
      return service.updateSettings(request.tenantId, request.body);
    });
  };
}
