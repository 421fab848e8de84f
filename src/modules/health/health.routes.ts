import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from 'prom-client';
import type { Db } from '../../platform/db/database.ts';
import { HttpError, unauthorized } from '../../platform/http/errors.ts';
import { problems } from '../../platform/http/schemas.ts';
import { say } from '../../platform/languages.ts';

const READY_TIMEOUT_MS = 2_000;
const tags = ['health'];
const Status = Type.Object({ status: Type.String(), database: Type.Optional(Type.String()) });

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Probes and scrapers call these every few seconds: their requests are logged at warn and above
 * only (a failing readiness check still is), so they do not bury the log at info.
 */
const QUIET = 'warn';

/**
 * Probes are a starting server's first requests: their two-field answers are written with
 * JSON.stringify rather than a serializer compiled from the schema (compiling the first one costs
 * ~10 ms, which every probe of a restart would wait for). The schemas stay for the documentation.
 */
const plainJson = () => (data: unknown) => JSON.stringify(data);

/** Liveness, readiness and Prometheus metrics; outside the rate limit so probes never get 429. */
export function healthRoutes(deps: { db: Db; registry: Registry; metricsToken: string | undefined }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/health', {
      schema: { tags, summary: 'Liveness: the process answers', security: [], response: { 200: Status } },
      config: { access: 'public', rateLimit: false },
      logLevel: QUIET,
      serializerCompiler: plainJson,
    }, async () => ({ status: 'ok' }));

    app.get('/ready', {
      schema: { tags, summary: 'Readiness: the database answers (503 while it does not)', security: [], response: { 200: Status, ...problems(503) } },
      config: { access: 'public', rateLimit: false },
      logLevel: QUIET,
      serializerCompiler: plainJson,
    }, async (request) => {
      try {
        await deps.db.ping(READY_TIMEOUT_MS);
        return { status: 'ready', database: deps.db.dialect };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw new HttpError(503, say('The database is not reachable', 'No se puede acceder a la base de datos'), { headers: { 'Retry-After': '5' } });
      }
    });

    app.get('/metrics', {
      schema: { tags, summary: 'Prometheus metrics (bearer SENTINEL_METRICS_TOKEN when configured)', produces: ['text/plain'], security: [] },
      config: { access: 'public', rateLimit: false },
      logLevel: QUIET,
    }, async (request, reply) => {
      if (deps.metricsToken !== undefined) {
        const given = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
        if (!sameSecret(given, deps.metricsToken)) throw unauthorized(say('A metrics token is required', 'Se requiere un token de métricas'));
      }
      return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
    });
  };
}
