import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { forbidden, HttpError, MAX_PATH_PARAMETER_LENGTH, problemFor, sendProblem } from '../../platform/http/errors.ts';
import { fieldErrorSentence } from '../../platform/http/field-error-text.ts';
import type { AppServices } from '../../services.ts';
import { liveRoutes } from '../live/live.routes.ts';
import type { AssetTable } from './assets.ts';
import { saidByCodes, translator } from './i18n.ts';
import { attempt } from './pages/forms.ts';
import { preferredLanguage, say } from '../../platform/languages.ts';
import type { WebService } from './web.service.ts';
import { newLoginCsrfToken, type WebSessionCodec } from './web-session.ts';
import type { ViewContext } from './views/html.ts';
import { audit, HTML, isHtmx, type PageKit, PROBLEM, StateBody } from './page-kit.ts';
import { adminPages } from './pages/admin.routes.ts';
import { analyticsPages } from './pages/analytics.routes.ts';
import { overviewPages } from './pages/overview.routes.ts';
import { integrationPages } from './pages/integrations.routes.ts';
import { productionPages } from './pages/production.routes.ts';
import { securityPages } from './pages/security.routes.ts';
import { errorPage, htmxProblem, loginPage } from './views/public.ts';

export const SESSION_COOKIE = 'sentinel_session';
const LOGIN_CSRF_COOKIE = 'sentinel_login_csrf';

export interface WebDeps {
  services: AppServices;
  web: WebService;
  sessions: WebSessionCodec;
  assets: AssetTable;
  allowedOrigins: string[];
  events: readonly string[];
  /** `Db.savepoint`: a form's change that fails is rolled back alone, and the page is still read in the request's transaction. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

/** Only a path of this site is a place to return to after signing in (no `//evil.example`). */
function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) && value.length <= 2000 ? value : '/';
}

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

/** The static files' route: fingerprinted names, the same for everyone. */
const ASSET_ROUTE = '/assets/:file';

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
      ? { language: preferredLanguage(request.headers['accept-language']), theme: 'dark' as const, timeZone: 'UTC' }
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

  const kit: PageKit = {
    services, web, viewOf,
    attempt: (request, work) => attempt(() => viewOf(request), () => deps.savepoint(work)),
    send: (reply, markup) => reply.type(HTML).send(String(markup)),
    // Returned, not sent: audited writes commit with their audit entry before anything leaves.
    answer: (request, reply, fragment, back) => {
      if (isHtmx(request)) {
        reply.type(HTML);
        return String(fragment);
      }
      reply.code(303).header('location', back);
      return '';
    },
  };
  const { send } = kit;

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
    // Static assets are the same for everyone: no session lookup for each of them.
    app.addHook('onRequest', async (request) => {
      if (request.principal !== undefined || request.routeOptions.url === ASSET_ROUTE) return;
      const value = request.cookies[SESSION_COOKIE];
      const held = value === undefined ? undefined : sessions.decode(value);
      if (held === undefined) return;
      request.principal = await services.auth.resolvePrincipal({ sub: held.userId, sid: held.sessionId, tenant_id: null, role: 'VIEWER' });
    });

    // Every state change but the sign-in (which has its own token) needs the session's CSRF token,
    // checked as soon as the body is read (before its validation: a forged request learns nothing).
    app.addHook('preValidation', async (request) => {
      if (request.method === 'GET' || request.routeOptions.url === '/login') return;
      const principal = request.principal;
      const presented = request.headers['x-csrf-token'] ?? (request.body as { _csrf?: unknown } | undefined)?._csrf;
      if (principal === undefined || !sessions.csrfMatches(principal.sessionId, presented)) throw forbidden(say('The form has expired; try again', 'El formulario caducó; inténtelo de nuevo'), 'csrf');
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
      const fields = problem.errors ?? [];
      const detail = problem.code === 'csrf' ? view.t('error.csrf')
        : status !== 400 ? undefined
          // Field errors that all have codes, each said in the page's language by its code.
          : saidByCodes(fields) ? `${view.t('form.invalid')}: ${fields.map((field) => `${field.field} ${fieldErrorSentence(field, view.language)}`).join('; ')}` : problem.detail?.[view.language];
      // An HTMX request keeps its page: the problem, in the page's language, goes to the page's message area.
      if (isHtmx(request)) return reply.code(problem.status).type(PROBLEM).send(htmxProblem(view, problem.status, status, detail));
      return reply.code(problem.status).type(HTML).send(String(errorPage(view, status, detail, problem.status)));
    });

    app.get(ASSET_ROUTE, {
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
        if (error.status === 401) return again(view.t(error.code === 'account_disabled' ? 'login.disabled' : 'login.failed'), 401);
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
      const { tenantId, permissions } = request.actor;
      const home = tenantId === null ? '/admin/audit' : permissions.has('dashboards:read') ? '/overview' : permissions.has('systems:read') ? '/security' : '/production';
      return reply.code(303).header('location', home).send();
    });

    overviewPages(app, kit);
    securityPages(app, kit);
    analyticsPages(app, kit);
    productionPages(app, kit);
    adminPages(app, kit);
    integrationPages(app, kit);

    // The live feed, authenticated by the session cookie (a page holds no token).
    await app.register(liveRoutes({
      bus: services.bus, events: deps.events, allowedOrigins: deps.allowedOrigins,
      sessionIsLive: async (principal) => (await services.auth.resolvePrincipal({ sub: principal.userId, sid: principal.sessionId, tenant_id: null, role: 'VIEWER' })) !== undefined,
    }));

    // Browsers get the 404 page in the UI's look; API clients keep their problem+json.
    app.get('/*', { config: { access: 'public' } }, async (request, reply) => {
      // The router lands here, not on its 414, when a path parameter of another route is too long.
      if (request.url.split('?')[0]!.split('/').some((segment) => segment.length > MAX_PATH_PARAMETER_LENGTH)) {
        return sendProblem(request, reply, {
          status: 414,
          detail: say(`A path segment is longer than ${MAX_PATH_PARAMETER_LENGTH} characters`, `Un segmento de la ruta tiene más de ${MAX_PATH_PARAMETER_LENGTH} caracteres`),
        });
      }
      if (!(request.headers.accept ?? '').includes('text/html') || request.url.startsWith('/api/')) return reply.callNotFound();
      return reply.code(404).type(HTML).send(String(errorPage(await viewOf(request), 404)));
    });
  };
}
