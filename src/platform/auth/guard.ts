import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { forbidden, problemPayload, unauthorized, type HttpError } from '../http/errors.ts';
import type { Principal } from './principal.ts';
import type { AccessClaims, TokenService } from './tokens.ts';
import type { AuditSink, RequestAuditEntry } from '../audit-sink.ts';
import type { RouteAudit } from './principal.ts';
import { API_KEY_HEADER } from './api-key-access.ts';
import { say } from '../languages.ts';

interface GuardDeps {
  tokens: TokenService;
  resolvePrincipal: (claims: AccessClaims) => Promise<Principal | undefined>;
  /** Why a valid token found no live session (ended by a newer sign-in, signed out, expired), as its 401. */
  explainRejection: (claims: AccessClaims) => Promise<HttpError | undefined>;
  /** An `X-API-Key` header's key as its principal, or undefined when unknown, revoked or expired. */
  resolveApiKey: (key: string) => Promise<Principal | undefined>;
  audit: AuditSink;
  /** Runs work in one database transaction that every repository query inside joins. */
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The write's audit entry was committed with the write; onSend must not add another. */
    auditWritten: boolean;
    /** A valid access token whose session is no longer live, to explain its 401. */
    rejectedClaims: AccessClaims | undefined;
  }
}

/** The automatic audit entry of a request on a route with `config.audit`, from its outcome so far. */
function auditEntry(request: FastifyRequest, reply: FastifyReply, audit: RouteAudit): RequestAuditEntry {
  const target = request.auditTarget;
  const tenantId = target?.tenantId !== undefined ? target.tenantId : request.tenantScope;
  const detail = target?.detail ?? (reply.statusCode >= 400 ? { status: reply.statusCode } : undefined);
  return {
    action: audit.action,
    outcome: reply.statusCode < 400 ? 'success' : 'failure',
    resourceType: audit.resourceType,
    resourceId: target?.resourceId ?? (request.params as { id?: string } | undefined)?.id ?? null,
    ...(tenantId !== undefined ? { tenantId } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/**
 * The handler of an audited write, run inside one transaction with its audit entry: the entry
 * commits with the write or neither does (docs/requirements.md, PLT-7). The handler must return its
 * answer rather than send it, so that nothing leaves before the commit.
 */
function inTransactionWithAudit(handler: RouteHandlerMethod, audit: RouteAudit, deps: GuardDeps): RouteHandlerMethod {
  return async function auditedWrite(this: FastifyInstance, request, reply) {
    return deps.transaction(async () => {
      const answer: unknown = await handler.call(this, request, reply);
      if (reply.sent) throw new Error(`${request.routeOptions.url}: an audited write must return its answer, not send it before the commit`);
      await deps.audit.fromRequest(request, auditEntry(request, reply, audit));
      request.auditWritten = true;
      return answer;
    });
  };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) {
    if (!request.routeOptions.config?.tokenInQuery) return undefined;
    const token = (request.query as { access_token?: unknown } | undefined)?.access_token;
    return typeof token === 'string' && /^[A-Za-z0-9\-_.]+$/.test(token) ? token : undefined;
  }
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

function apiKey(request: FastifyRequest): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  return typeof header === 'string' ? header.trim() : undefined;
}

/** A signed-in user whose password was generated for them may do nothing else until they change it. */
export const passwordChangeFirst = () => forbidden(
  say('Your password was generated for you: change it first (POST /api/v1/auth/change-password)', 'Su contraseña se generó para usted: cámbiela primero (POST /api/v1/auth/change-password)'),
  'password_change_required',
);

/**
 * Authentication, authorisation and the write audit, as hooks around every route:
 *  - onRequest: a bearer token, or else an `X-API-Key`, becomes request.principal (before the rate
 *    limiter keys on it);
 *  - preParsing: the route's `config.access` is enforced before the body is even read; a route
 *    that declares no access needs a signed-in caller, so only declared routes are public; a token
 *    whose session ended says why (401 with a code); a user who must change a generated password
 *    may call only the routes that declare `duringPasswordChange` (403, code password_change_required);
 *  - a write (POST/PUT/PATCH/DELETE) on a route with `config.audit` runs in one transaction with
 *    its `success` entry (unless the route says `transaction: false`: its handler calls a vendor and
 *    must not hold the database meanwhile);
 *  - onSend: the other outcomes of audited writes (failures) and `transaction: false` writes are
 *    recorded before the response leaves; routes with `config.audit.reads` have their GETs recorded
 *    too (batched). The entry names the tenant the request acted on (`request.tenantScope`) unless
 *    the handler's `auditTarget` names another.
 */
export function registerGuard(app: FastifyInstance, deps: GuardDeps): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditTarget', undefined);
  app.decorateRequest('auditWritten', false);
  app.decorateRequest('rejectedClaims', undefined);
  app.decorateRequest('actor', {
    getter(this: FastifyRequest) {
      // Only a handler of a public route can get here without a caller: a wiring mistake, not a client error.
      if (this.principal === undefined) throw new Error(`${this.routeOptions.url} is public: it has no actor`);
      return this.principal;
    },
  });

  app.addHook('onRoute', (route) => {
    const audit = route.config?.audit;
    const methods = [route.method].flat();
    if (audit === undefined || audit.transaction === false || !methods.some((method) => MUTATING.has(method))) return;
    route.handler = inTransactionWithAudit(route.handler, audit, deps);
  });

  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (token === undefined) {
      const key = apiKey(request);
      if (key !== undefined && key !== '') request.principal = await deps.resolveApiKey(key);
      return;
    }
    if (token === '') return;
    const claims = await deps.tokens.verifyAccessToken(token);
    if (claims === undefined) return;
    request.principal = await deps.resolvePrincipal(claims);
    if (request.principal === undefined) request.rejectedClaims = claims;
  });

  app.addHook('preParsing', async (request) => {
    // Private unless declared public; an unknown URL has nothing behind it and answers 404 to anyone.
    const access = request.is404 ? 'public' : request.routeOptions.config.access ?? 'authenticated';
    if (access === 'public') return;
    const principal = request.principal;
    if (principal === undefined) {
      if (request.headers.authorization !== undefined || request.rejectedClaims !== undefined) {
        const explained = request.rejectedClaims === undefined ? undefined : await deps.explainRejection(request.rejectedClaims);
        throw explained ?? unauthorized(say('The access token is invalid, expired or revoked', 'El token de acceso no es válido, caducó o fue revocado'));
      }
      throw unauthorized(apiKey(request) === undefined ? undefined : say('The API key is invalid, expired or revoked', 'La clave de API no es válida, caducó o fue revocada'));
    }
    // A generated password is changed before anything else is done with it.
    if (principal.passwordChangeRequired === true && request.routeOptions.config.duringPasswordChange !== true) {
      throw passwordChangeFirst();
    }
    // A key does only what its scopes say: routes open to any signed-in user are for people.
    if (access === 'authenticated' && principal.apiKey !== undefined && request.routeOptions.config.apiKeys !== 'allowed') {
      throw forbidden(say('API keys cannot call this route', 'Las claves de API no pueden llamar a esta ruta'));
    }
    if (access !== 'authenticated' && !principal.permissions.has(access)) {
      await deps.audit.fromRequest(request, {
        action: 'permission.denied',
        outcome: 'denied',
        resourceType: request.routeOptions.config.audit?.resourceType ?? null,
        resourceId: (request.params as { id?: string } | undefined)?.id ?? null,
        detail: { permission: access, method: request.method, route: request.routeOptions.url },
      });
      throw forbidden(say(`This needs the ${access} permission`, `Esto requiere el permiso ${access}`));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const audit = request.routeOptions.config?.audit;
    if (audit === undefined || request.principal === undefined || request.auditWritten) return payload;
    if (!MUTATING.has(request.method) && !(audit.reads && request.method === 'GET')) return payload;
    if (reply.statusCode === 401 || reply.statusCode === 403 || reply.statusCode === 429) return payload; // denials are recorded where they happen
    const entry = auditEntry(request, reply, audit);
    if (!MUTATING.has(request.method)) {
      deps.audit.readFromRequest(request, entry);
      return payload;
    }
    try {
      await deps.audit.fromRequest(request, entry);
      return payload;
    } catch (error) {
      // A write without its audit entry is not acknowledged (503 while the database is down).
      return problemPayload(request, reply, error);
    }
  });
}
