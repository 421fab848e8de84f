import { Type } from 'typebox';
import type { PageKit, WebApp } from '../page-kit.ts';
import { auditPage, type AuditEntryView, usersPage } from '../views/admin.ts';

/** The administration pages: users and the audit log. */
export function adminPages(app: WebApp, { services, viewOf, send }: PageKit): void {
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
}
