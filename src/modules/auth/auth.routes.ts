import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { ChangePasswordBody, LoginAnswerSchema, LoginBody, Me, RefreshBody, SessionList, TokenPairSchema } from './auth.schemas.ts';
import { sessionView, type AuthService, type ClientInfo } from './auth.service.ts';

const tags = ['auth'];
const audit = (action: string) => ({ action, resourceType: 'session' });

const clientOf = (request: FastifyRequest): ClientInfo => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null, requestId: request.id });

export function authRoutes(service: AuthService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/auth/login', {
      schema: {
        tags, summary: 'Sign in with a username or e-mail; answers an access and a refresh token', security: [],
        body: LoginBody, response: { 200: LoginAnswerSchema, ...problems(400, 401, 429) },
      },
      // Sign-in outcomes are audited by the service (it knows the account and the reason).
      config: { access: 'public' },
    }, (request) => service.login(request.body.username, request.body.password, clientOf(request)));

    app.post('/auth/refresh', {
      schema: {
        tags, summary: 'Exchange a refresh token for a new pair (rotation); a reused token ends its session', security: [],
        body: RefreshBody, response: { 200: TokenPairSchema, ...problems(400, 401) },
      },
      config: { access: 'public' },
    }, (request) => service.refresh(request.body.refresh_token, clientOf(request)));

    app.post('/auth/logout', {
      schema: { tags, summary: 'End the current session; its tokens stop working at once', response: { 204: NoContent, ...problems(401) } },
      config: { access: 'authenticated', audit: audit('auth.logout'), duringPasswordChange: true },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: request.actor.sessionId };
      await service.logout(request.actor);
      reply.code(204);
      return null;
    });

    app.get('/auth/me', {
      schema: { tags, summary: 'The signed-in user', response: { 200: Me, ...problems(401) } },
      config: { access: 'authenticated', duringPasswordChange: true },
    }, (request) => {
      const p = request.actor;
      return {
        id: p.userId, username: p.username, email: p.email, tenant_id: p.tenantId, role: p.role,
        permissions: [...p.extraPermissions].sort(), effective_permissions: [...p.permissions].sort(), session_id: p.sessionId,
        password_change_required: p.passwordChangeRequired === true,
      };
    });

    app.post('/auth/change-password', {
      schema: { tags, summary: 'Change the own password; ends the user\'s other sessions', body: ChangePasswordBody, response: { 204: NoContent, ...problems(400, 401) } },
      config: { access: 'authenticated', audit: { action: 'auth.change_password', resourceType: 'user' }, duringPasswordChange: true },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: request.actor.userId };
      await service.changePassword(request.actor, request.body.current_password, request.body.new_password);
      reply.code(204);
      return null;
    });

    app.get('/auth/sessions', {
      schema: { tags, summary: 'The caller\'s active sessions', response: { 200: SessionList, ...problems(401) } },
      config: { access: 'authenticated' },
    }, async (request) => {
      const sessions = await service.listUserSessions(request.actor.userId);
      return { items: sessions.map((s) => sessionView(s, request.actor.sessionId)) };
    });

    app.delete('/auth/sessions/:id', {
      schema: { tags, summary: 'End one of the caller\'s sessions', params: IdParams, response: { 204: NoContent, ...problems(400, 401, 404) } },
      config: { access: 'authenticated', audit: audit('auth.session_revoke') },
    }, async (request, reply) => {
      await service.revokeSession(request.actor, request.params.id);
      reply.code(204);
      return null;
    });
  };
}
