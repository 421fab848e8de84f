import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent, problems } from '../../platform/http/schemas.ts';
import { CreateUserBody, ListUsersQuery, UpdateUserBody, User, UserPage } from './users.schemas.ts';
import type { UsersService } from './users.service.ts';
import { SessionList } from '../auth/auth.schemas.ts';
import { sessionView } from '../auth/auth.service.ts';

const tags = ['users'];
const audit = (action: string) => ({ action, resourceType: 'user' });

export function usersRoutes(service: UsersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/users', {
      schema: { tags, summary: 'List users of the caller\'s tenant (SUPER_ADMIN: all, or one tenant_id)', querystring: ListUsersQuery, response: { 200: UserPage, ...problems(400, 401, 403, 404) } },
      config: { access: 'users:read', tenant: 'optional' },
    }, (request) => service.list(request.tenantScope, request.query));

    app.post('/users', {
      schema: { tags, summary: 'Create a user', body: CreateUserBody, response: { 201: User, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'users:write', tenant: 'required', audit: audit('user.create') },
    }, async (request, reply) => {
      const user = await service.create(request.tenantId, request.body);
      request.auditTarget = { resourceId: user.id, detail: { username: user.username, role: user.role } };
      reply.code(201);
      return user;
    });

    app.get('/users/:id', {
      schema: { tags, summary: 'Get a user', params: IdParams, response: { 200: User, ...problems(400, 401, 403, 404) } },
      config: { access: 'users:read' },
    }, (request) => service.get(request.actor, request.params.id));

    app.patch('/users/:id', {
      schema: {
        tags, summary: 'Update a user; disabling or a new password ends its sessions, a new role applies on its next request',
        params: IdParams, body: UpdateUserBody, response: { 200: User, ...problems(400, 401, 403, 404, 409) },
      },
      config: { access: 'users:write', audit: audit('user.update') },
    }, async (request) => {
      const user = await service.update(request.actor, request.params.id, request.body);
      const { password, ...changes } = request.body;
      request.auditTarget = { tenantId: user.tenant_id, detail: { changes, password_changed: password !== undefined } };
      return user;
    });

    app.get('/users/:id/sessions', {
      schema: { tags, summary: 'A user\'s active sessions (admins)', params: IdParams, response: { 200: SessionList, ...problems(400, 401, 403, 404) } },
      config: { access: 'users:write' },
    }, async (request) => {
      const sessions = await service.sessions(request.actor, request.params.id);
      return { items: sessions.map((s) => sessionView(s, request.actor.sessionId)) };
    });

    app.delete('/users/:id/sessions', {
      schema: { tags, summary: 'End every session of a user (admins); the user can sign in again', params: IdParams, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'users:write', audit: audit('user.end_sessions') },
    }, async (request, reply) => {
      const user = await service.endSessions(request.actor, request.params.id);
      request.auditTarget = { tenantId: user.tenant_id };
      reply.code(204);
      return null;
    });

    app.delete('/users/:id', {
      schema: { tags, summary: 'Delete a user', params: IdParams, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'users:write', audit: audit('user.delete') },
    }, async (request, reply) => {
      const user = await service.delete(request.actor, request.params.id);
      request.auditTarget = { tenantId: user.tenant_id, detail: { username: user.username } };
      reply.code(204);
      return null;
    });
  };
}
