import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { forbidden, HttpError, MAX_PATH_PARAMETER_LENGTH, problemFor, sendProblem } from '../../platform/http/errors.ts';
import { IdParams } from '../../platform/http/schemas.ts';
import type { AppServices } from '../../services.ts';
import { liveRoutes } from '../live/live.routes.ts';
import type { AssetTable } from './assets.ts';
import { translator } from './i18n.ts';
import { languageOfBrowser, type WebService } from './web.service.ts';
import { newLoginCsrfToken, type WebSessionCodec } from './web-session.ts';
import { auditPage, type AuditEntryView, usersPage } from './views/admin.ts';
import type { Html, ViewContext } from './views/html.ts';
import { lineTiles, productionPage } from './views/production.ts';
import { errorPage, loginPage } from './views/public.ts';
import { alertRow, alertsList, alertsPage, securityPage, statusCards, systemPage, ticketsPage, vulnerabilitiesPage } from './views/security.ts';

export const SESSION_COOKIE = 'sentinel_session';
const LOGIN_CSRF_COOKIE = 'sentinel_login_csrf';
const HTML = 'text/html; charset=utf-8';

export interface WebDeps {
  services: AppServices;
  web: WebService;
  sessions: WebSessionCodec;
  assets: AssetTable;
  allowedOrigins: string[];
  events: readonly string[];
}

const audit = (action: string, resourceType: string, reads = false) => ({ action, resourceType, ...(reads ? { reads } : {}) });

/** Only a path of this site is a place to return to after signing in (no `//evil.example`). */
function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) && value.length <= 2000 ? value : '/';
}

const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';

/** The page's own path, which the sign-in page returns to. Fragments return to their page. */
function returnPathOf(request: FastifyRequest): string {
  if (isHtmx(request)) {
    const current = request.headers['hx-current-url'];
    if (typeof current === 'string') {
      try {
        const url = new URL(current);
        return safeReturnPath(url.pathname + url.search);
      } catch {
        return '/';
      }
    }
  }
  return safeReturnPath(request.url);
}

/** Cookies are `Secure` when the browser reached us over HTTPS (directly or through a trusted proxy). */
const cookieOptions = (request: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' });

const StateBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });

/**
 * The web UI: server-rendered pages over the same services and the same server-side sessions as
 * the API, with the same route declarations (access, tenant, audit). A browser holds its session
 * in an HttpOnly, SameSite=Strict cookie; every state-changing request carries the session's CSRF
 * token (a form field, or a header HTMX adds).
 */
export function webRoutes(deps: WebDeps): FastifyPluginAsyncTypebox {
  const { services, web, sessions, assets } = deps;

  async function viewOf(request: FastifyRequest): Promise<ViewContext> {
    const principal = request.principal;
    const settings = principal === undefined
      ? { language: languageOfBrowser(request.headers['accept-language']), theme: 'dark' as const, timeZone: 'UTC' }
      : await web.viewSettings(principal);
    return {
      ...settings,
      t: translator(settings.language),
      principal,
      csrfToken: principal === undefined ? undefined : sessions.csrfToken(principal.sessionId),
      assets,
      path: returnPathOf(request),
    };
  }

  const send = (reply: FastifyReply, markup: Html) => reply.type(HTML).send(String(markup));
  /** A finished state change: an HTMX request gets the updated fragment, a plain form goes back. */
  // Returned, not sent: audited writes commit with their audit entry before anything leaves.
  const answer = (request: FastifyRequest, reply: FastifyReply, fragment: Html | '', back: string): string => {
    if (isHtmx(request)) {
      reply.type(HTML);
      return String(fragment);
    }
    reply.code(303).header('location', back);
    return '';
  };

  return async (app) => {
    await app.register(cookie);
    await app.register(formbody, { bodyLimit: 64 * 1024 });
    await app.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });
    // Pages are no API: they stay out of the OpenAPI document.
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });

    // The session cookie is the browser's credential: it resolves to the session's principal,
    // which the guard then checks against each route's access like a bearer token.
    app.addHook('onRequest', async (request) => {
      if (request.principal !== undefined) return;
      const value = request.cookies[SESSION_COOKIE];
      const held = value === undefined ? undefined : sessions.decode(value);
      if (held === undefined) return;
      request.principal = await services.auth.resolvePrincipal({ sub: held.userId, sid: held.sessionId, tenant_id: null, role: 'VIEWER' });
    });

    // Every state change but the sign-in (which has its own token) needs the session's CSRF token,
    // checked as soon as the body is read (before its validation: a forged request learns nothing).
    app.addHook('preValidation', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD' || request.routeOptions.url === '/login') return;
      const principal = request.principal;
      const presented = request.headers['x-csrf-token'] ?? (request.body as { _csrf?: unknown } | undefined)?._csrf;
      if (principal === undefined || !sessions.csrfMatches(principal.sessionId, presented)) throw forbidden('csrf');
    });

    app.setErrorHandler(async (error, request, reply) => {
      const problem = problemFor(error, request, reply);
      if (problem.status === 401) {
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        const login = `/login?next=${encodeURIComponent(returnPathOf(request))}`;
        if (isHtmx(request)) return reply.code(401).header('hx-redirect', login).send();
        return reply.code(303).header('location', login).send();
      }
      if (problem.headers) reply.headers(problem.headers);
      const view = await viewOf(request).catch(() => undefined);
      if (view === undefined) return reply.code(problem.status).type(HTML).send('<!doctype html><title>Error</title><p>Error</p>');
      // A client error shows what was wrong with the request (our own sentences); a server error never does.
      const status = problem.status === 403 || problem.status === 404 ? problem.status : problem.status < 500 ? 400 : 500;
      const detail = problem.detail === 'csrf' ? view.t('error.csrf') : status === 400 ? problem.detail : undefined;
      return reply.code(problem.status).type(HTML).send(String(errorPage(view, status, detail, problem.status)));
    });

    app.get('/assets/:file', {
      schema: { params: Type.Object({ file: Type.String({ maxLength: 200 }) }) },
      config: { access: 'public', rateLimit: false },
      compress: false,
    }, (request, reply) => {
      const asset = assets.byFile(request.params.file);
      if (asset === undefined) return reply.callNotFound();
      reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', asset.etag).header('vary', 'accept-encoding').type(asset.type);
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      const encoded = asset.encoded(request.headers['accept-encoding'] ?? '');
      if (encoded === undefined) return reply.send(asset.body);
      return reply.header('content-encoding', encoded.encoding).send(encoded.body);
    });

    // ---- signing in and out

    app.get('/login', {
      schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }) },
      config: { access: 'public' },
    }, async (request, reply) => {
      const next = safeReturnPath(request.query.next);
      if (request.principal !== undefined) return reply.code(303).header('location', next).send();
      const token = newLoginCsrfToken();
      reply.setCookie(LOGIN_CSRF_COOKIE, token, cookieOptions(request));
      return send(reply, loginPage(await viewOf(request), { csrfToken: token, next }));
    });

    app.post('/login', {
      schema: {
        body: Type.Object({
          username: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }),
          next: Type.Optional(Type.String({ maxLength: 2000 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })),
        }, { additionalProperties: false }),
      },
      config: { access: 'public' },
    }, async (request, reply) => {
      const view = await viewOf(request);
      const next = safeReturnPath(request.body.next);
      const again = (message: string, status: number) => {
        const token = newLoginCsrfToken();
        reply.setCookie(LOGIN_CSRF_COOKIE, token, cookieOptions(request));
        return reply.code(status).type(HTML).send(String(loginPage(view, { csrfToken: token, next, username: request.body.username, message })));
      };
      const expected = request.cookies[LOGIN_CSRF_COOKIE];
      if (expected === undefined || request.body._csrf !== expected) return again(view.t('login.csrf'), 403);
      try {
        const pair = await services.auth.login(request.body.username, request.body.password, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, requestId: request.id });
        const claims = (await services.tokens.verifyAccessToken(pair.access_token))!;
        reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/' });
        reply.setCookie(SESSION_COOKIE, sessions.encode(claims.sid, claims.sub), cookieOptions(request));
        return reply.code(303).header('location', next).send();
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        if (error.status === 429) return again(view.t('login.throttled', { seconds: error.headers?.['Retry-After'] ?? '60' }), 429);
        if (error.status === 401) return again(view.t(/disabled/.test(error.detail ?? '') ? 'login.disabled' : 'login.failed'), 401);
        throw error;
      }
    });

    app.post('/logout', {
      schema: { body: StateBody },
      config: { access: 'authenticated', audit: audit('auth.logout', 'session') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: request.actor.sessionId };
      await services.auth.logout(request.actor);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.code(303).header('location', '/login');
      return '';
    });

    app.post('/preferences', {
      schema: {
        body: Type.Object({
          _csrf: Type.Optional(Type.String({ maxLength: 200 })), theme: Type.Optional(Type.String({ maxLength: 10 })),
          language: Type.Optional(Type.String({ maxLength: 10 })), return_to: Type.Optional(Type.String({ maxLength: 2000 })),
        }, { additionalProperties: false }),
      },
      config: { access: 'authenticated' },
    }, async (request, reply) => {
      await web.savePreferences(request.actor, request.body);
      return reply.code(303).header('location', safeReturnPath(request.body.return_to)).send();
    });

    // ---- pages

    app.get('/', { config: { access: 'authenticated' } }, (request, reply) => {
      const home = request.actor.tenantId === null ? '/admin/audit' : request.actor.permissions.has('systems:read') ? '/security' : '/production';
      return reply.code(303).header('location', home).send();
    });

    app.get('/security', {
      config: { access: 'systems:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
    }, async (request, reply) => {
      const [counts, systems, alerts] = await Promise.all([
        services.systems.statusCounts(request.tenantId),
        services.systems.list(request.tenantId, { limit: 100 }),
        services.alerts.listActive(request.tenantId, { limit: 8 }),
      ]);
      return send(reply, securityPage(await viewOf(request), { counts, systems: systems.items, alerts: alerts.items }));
    });

    app.get('/security/parts/status', { config: { access: 'systems:read', tenant: 'required' } }, async (request, reply) =>
      send(reply, statusCards(await viewOf(request), await services.systems.statusCounts(request.tenantId))));

    app.get('/security/parts/recent-alerts', {
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
    }, async (request, reply) => {
      const alerts = await services.alerts.listActive(request.tenantId, { limit: 8 });
      return send(reply, alertsList(await viewOf(request), alerts.items, { actions: false, refreshUrl: '/security/parts/recent-alerts' }));
    });

    app.get('/security/systems/:id', {
      schema: { params: IdParams },
      config: { access: 'systems:read', tenant: 'required' },
    }, async (request, reply) => send(reply, systemPage(await viewOf(request), await services.systems.get(request.tenantId, request.params.id))));

    const AlertFilter = Type.Object({ severity: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low'), Type.Literal('info')])) });
    type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
    const severityOf = (severity: string | undefined) => (severity === undefined || severity === '' ? undefined : (severity as Severity));
    const alertFilter = (severity: Severity | undefined) => (severity === undefined ? {} : { severity: [severity] });

    app.get('/security/alerts', {
      schema: { querystring: AlertFilter },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
    }, async (request, reply) => {
      const severity = severityOf(request.query.severity);
      const alerts = await services.alerts.listActive(request.tenantId, { limit: 100, ...alertFilter(severity) });
      return send(reply, alertsPage(await viewOf(request), alerts.items, { ...(severity !== undefined ? { severity } : {}) }));
    });

    app.get('/security/parts/alerts', {
      schema: { querystring: AlertFilter },
      config: { access: 'alerts:read', tenant: 'required', audit: audit('alert.list_active', 'alert', true) },
    }, async (request, reply) => {
      const severity = severityOf(request.query.severity);
      const alerts = await services.alerts.listActive(request.tenantId, { limit: 100, ...alertFilter(severity) });
      const query = severity === undefined ? '' : `?severity=${severity}`;
      return send(reply, alertsList(await viewOf(request), alerts.items, { actions: true, refreshUrl: `/security/parts/alerts${query}` }));
    });

    app.post('/security/alerts/:id/acknowledge', {
      schema: { params: IdParams, body: Type.Optional(StateBody) },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.acknowledge', 'alert') },
    }, async (request, reply) => {
      const alert = await services.alerts.acknowledge(request.tenantId, request.actor, request.params.id);
      return answer(request, reply, alertRow(await viewOf(request), alert), '/security/alerts');
    });

    app.post('/security/alerts/:id/resolve', {
      schema: { params: IdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false }) },
      config: { access: 'alerts:write', tenant: 'required', audit: audit('alert.resolve', 'alert') },
    }, async (request, reply) => {
      const note = request.body.note?.trim();
      await services.alerts.resolve(request.tenantId, request.actor, request.params.id, note === undefined || note === '' ? {} : { resolution_note: note });
      // A resolved alert leaves the active list: the row is replaced by nothing.
      return answer(request, reply, '', '/security/alerts');
    });

    app.post('/security/alerts/:id/ticket', {
      schema: { params: IdParams, body: Type.Optional(StateBody) },
      config: { access: 'tickets:write', tenant: 'required', audit: audit('alert.create_ticket', 'alert') },
    }, async (request, reply) => {
      const { ticket, created } = await services.alerts.openTicket(request.tenantId, request.actor, request.params.id, {});
      request.auditTarget = { detail: { ticket_id: ticket.id, created } };
      const alert = await services.alerts.get(request.tenantId, request.params.id);
      return answer(request, reply, alertRow(await viewOf(request), alert), '/security/tickets');
    });

    app.get('/security/vulnerabilities', {
      config: { access: 'vulnerabilities:read', tenant: 'required' },
    }, async (request, reply) => {
      const page = await services.vulnerabilities.list(request.tenantId, { limit: 100 });
      return send(reply, vulnerabilitiesPage(await viewOf(request), page.items));
    });

    app.get('/security/tickets', {
      config: { access: 'tickets:read', tenant: 'required' },
    }, async (request, reply) => {
      const page = await services.tickets.list(request.tenantId, { limit: 100 });
      return send(reply, ticketsPage(await viewOf(request), page.items));
    });

    app.get('/production', {
      config: { access: 'production:read', tenant: 'required' },
    }, async (request, reply) => send(reply, productionPage(await viewOf(request), await web.lineTiles(request.tenantId))));

    app.get('/production/parts/lines', {
      config: { access: 'production:read', tenant: 'required' },
    }, async (request, reply) => send(reply, lineTiles(await viewOf(request), await web.lineTiles(request.tenantId))));

    app.get('/admin/users', {
      config: { access: 'users:read', tenant: 'optional' },
    }, async (request, reply) => {
      const page = await services.users.list(request.tenantScope, { limit: 100 });
      return send(reply, usersPage(await viewOf(request), page.items));
    });

    app.get('/admin/audit', {
      schema: { querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 200 })) }) },
      config: { access: 'audit:read', tenant: 'optional' },
    }, async (request, reply) => {
      const page = await services.audit.listPage(request.tenantScope, { limit: 50, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) });
      const next = page.next_cursor === null ? null : `/admin/audit?cursor=${encodeURIComponent(page.next_cursor)}`;
      return send(reply, auditPage(await viewOf(request), page.items as AuditEntryView[], next));
    });

    // The live feed, authenticated by the session cookie (a page holds no token).
    await app.register(liveRoutes({
      bus: services.bus, events: deps.events, allowedOrigins: deps.allowedOrigins,
      sessionIsLive: async (principal) => (await services.auth.resolvePrincipal({ sub: principal.userId, sid: principal.sessionId, tenant_id: null, role: 'VIEWER' })) !== undefined,
    }));

    // Browsers get the 404 page in the UI's look; API clients keep their problem+json.
    app.get('/*', { config: { access: 'public' } }, async (request, reply) => {
      // The router lands here, not on its 414, when a path parameter of another route is too long.
      if (request.url.split('?')[0]!.split('/').some((segment) => segment.length > MAX_PATH_PARAMETER_LENGTH)) {
        return sendProblem(request, reply, { status: 414, detail: `A path segment is longer than ${MAX_PATH_PARAMETER_LENGTH} characters` });
      }
      if (!(request.headers.accept ?? '').includes('text/html') || request.url.startsWith('/api/')) return reply.callNotFound();
      return reply.code(404).type(HTML).send(String(errorPage(await viewOf(request), 404)));
    });
  };
}
