import { Type } from 'typebox';
import { API_KEY_SCOPES } from '../../../platform/auth/permissions.ts';
import { IdParams } from '../../../platform/http/schemas.ts';
import { CreateApiKeyBody } from '../../api-keys/api-keys.schemas.ts';
import { sessionView } from '../../auth/auth.service.ts';
import { CreateTenantBody, type TenantView, UpdateTenantBody, TenantConfigPatch } from '../../tenants/tenants.schemas.ts';
import { CreateUserBody, UpdateUserBody } from '../../users/users.schemas.ts';
import { CreateTemplateBody, UpdateTemplateBody } from '../../widgets/widgets.schemas.ts';
import { audit, type PageKit, StateBody, type WebApp } from '../page-kit.ts';
import {
  apiKeyCreatedPage, apiKeysPage, auditPage, type AuditEntryView, dashboardEditor, dashboardsPage, sessionsPage, type TemplateEntry,
  type TenantForm, tenantPage, tenantSettingsPage, tenantsPage, type UserForm, userPage, usersPage,
} from '../views/admin.ts';
import { first, type FormBody, type FormProblem } from '../views/forms.ts';
import { again, asApiBody, FormBodySchema } from './forms.ts';

const text = (body: FormBody, name: string) => (first(body[name]) ?? '').trim();
const listOf = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** Line ids typed as a list ("3, 7"): numbers where they are numbers, the rest left for the API's 400. */
function lineIds(typed: string): unknown[] | undefined {
  const parts = typed.split(/[\s,]+/).filter((part) => part !== '');
  return parts.length === 0 ? undefined : parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

const tenantForm = (tenant?: TenantView): TenantForm => ({
  name: tenant?.name ?? '', slug: tenant?.slug ?? '', timezone: tenant?.config.timezone ?? 'UTC', language: tenant?.config.language ?? 'en', theme: tenant?.config.theme ?? 'system',
});

function postedTenant(body: FormBody): TenantForm {
  return { name: text(body, 'name'), slug: text(body, 'slug'), timezone: text(body, 'config.timezone'), language: text(body, 'config.language'), theme: text(body, 'config.theme') };
}

const settingsOf = (form: { timezone: string; language: string; theme: string }) => ({ timezone: form.timezone, language: form.language as 'es' | 'en', theme: form.theme as 'light' | 'dark' | 'system' });

type LayoutItem = TemplateEntry['layout'][number];

/**
 * The template editor's form as a layout: every row not marked for removal, in grid order, plus a
 * widget to add at the bottom in its default size. Params that are no JSON object are a 400 for
 * their row; the rest is the widgets service's to judge.
 */
function postedLayout(body: FormBody, catalog: { widget_id: string; default_size: { w: number; h: number } }[]): { layout: LayoutItem[]; params: string[]; problem?: FormProblem } {
  const layout: LayoutItem[] = [];
  const params: string[] = [];
  const fields: Record<string, string> = {};
  const integer = (value: string) => (/^-?\d+$/.test(value) ? Number(value) : (value as unknown as number));
  for (let index = 0; index < 50 && body[`layout.${index}.widget_id`] !== undefined; index++) {
    if (text(body, `layout.${index}.remove`) === 'true') continue;
    const at = layout.length;
    const rawParams = text(body, `layout.${index}.params`) || '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawParams);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fields[`layout.${at}.params`] = 'must be a JSON object';
    const title = text(body, `layout.${index}.title`);
    layout.push({
      widget_id: text(body, `layout.${index}.widget_id`),
      x: integer(text(body, `layout.${index}.x`)), y: integer(text(body, `layout.${index}.y`)), w: integer(text(body, `layout.${index}.w`)), h: integer(text(body, `layout.${index}.h`)),
      ...(title !== '' ? { title } : {}),
      params: typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : {},
    });
    params.push(rawParams);
  }
  const added = catalog.find((widget) => widget.widget_id === text(body, 'add'));
  if (added !== undefined) {
    const bottom = layout.reduce((lowest, item) => Math.max(lowest, item.y + item.h), 0);
    layout.push({ widget_id: added.widget_id, x: 0, y: bottom, w: added.default_size.w, h: added.default_size.h, params: {} });
    params.push('{}');
  }
  const problem = Object.keys(fields).length === 0 ? undefined : { status: 400, detail: 'Some widget params are not valid JSON objects', fields };
  return { layout, params, ...(problem !== undefined ? { problem } : {}) };
}

/** The administration pages: users, sessions, API keys, dashboard templates, tenant settings, tenants, the audit log. */
export function adminPages(app: WebApp, { services, viewOf, attempt, send, answer }: PageKit): void {
  // A tenant's user administrator also creates users here (a platform administrator does it per tenant, over the API).
  const creatingUsers = (actor: { tenantId: string | null; permissions: ReadonlySet<string> }) => actor.tenantId !== null && actor.permissions.has('users:write');
  const NEW_USER: UserForm = { username: '', email: '', role: 'VIEWER', is_active: true };

  app.get('/admin/users', {
    config: { access: 'users:read', tenant: 'optional' },
  }, async (request, reply) => {
    const page = await services.users.list(request.tenantScope, { limit: 100 });
    return send(reply, usersPage(await viewOf(request), page.items, creatingUsers(request.actor) ? { form: NEW_USER } : undefined));
  });

  const postedUser = (body: FormBody): UserForm & { password: string } => ({
    username: text(body, 'username'), email: text(body, 'email'), role: text(body, 'role'), is_active: text(body, 'is_active') === 'true', password: first(body.password) ?? '',
  });

  app.post('/admin/users', {
    schema: { body: FormBodySchema },
    config: { access: 'users:write', tenant: 'required', audit: audit('user.create', 'user') },
  }, async (request, reply) => {
    const { password, ...form } = postedUser(request.body);
    const input = { username: form.username, ...(form.email !== '' ? { email: form.email } : {}), password, role: form.role as 'VIEWER', is_active: form.is_active };
    const outcome = await attempt(request, () => services.users.create(request.tenantId, asApiBody(CreateUserBody, input)));
    if (outcome.problem !== undefined) {
      const page = await services.users.list(request.tenantId, { limit: 100 });
      return again(reply, outcome.problem.status, usersPage(await viewOf(request), page.items, { form, problem: outcome.problem }));
    }
    request.auditTarget = { resourceId: outcome.value.id, detail: { username: outcome.value.username, role: outcome.value.role } };
    return answer(request, reply, '', '/admin/users');
  });

  app.get('/admin/users/:id', {
    schema: { params: IdParams },
    config: { access: 'users:write' },
  }, async (request, reply) => {
    const user = await services.users.get(request.actor, request.params.id);
    return send(reply, userPage(await viewOf(request), user, { username: user.username, email: user.email ?? '', role: user.role, is_active: user.is_active }));
  });

  app.post('/admin/users/:id', {
    schema: { params: IdParams, body: FormBodySchema },
    config: { access: 'users:write', audit: audit('user.update', 'user') },
  }, async (request, reply) => {
    const current = await services.users.get(request.actor, request.params.id);
    const { password, ...form } = postedUser(request.body);
    // Only what changed: an administrator editing itself may not send its own role or status.
    const shown = {
      ...(form.email !== (current.email ?? '') ? { email: form.email === '' ? null : form.email } : {}),
      ...(form.role !== current.role ? { role: form.role as 'VIEWER' } : {}),
      ...(form.is_active !== current.is_active ? { is_active: form.is_active } : {}),
    };
    const changes = { ...shown, ...(password !== '' ? { password } : {}) };
    request.auditTarget = { tenantId: current.tenant_id, detail: { changes: shown, password_changed: password !== '' } };
    if (Object.keys(changes).length === 0) return answer(request, reply, '', '/admin/users');
    const outcome = await attempt(request, () => services.users.update(request.actor, current.id, asApiBody(UpdateUserBody, changes)));
    if (outcome.problem !== undefined) return again(reply, outcome.problem.status, userPage(await viewOf(request), current, { ...form, username: current.username }, outcome.problem));
    return answer(request, reply, '', '/admin/users');
  });

  app.get('/admin/audit', {
    schema: { querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 200 })) }) },
    config: { access: 'audit:read', tenant: 'optional' },
  }, async (request, reply) => {
    const page = await services.audit.listPage(request.tenantScope, { limit: 50, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) });
    const next = page.next_cursor === null ? null : `/admin/audit?cursor=${encodeURIComponent(page.next_cursor)}`;
    return send(reply, auditPage(await viewOf(request), page.items as AuditEntryView[], next));
  });

  // ---- sessions: the caller's own (any user), and a user's (user administrators, as in the API)

  app.get('/admin/sessions', {
    schema: { querystring: Type.Object({ user: Type.Optional(Type.String({ format: 'uuid' })) }) },
    config: { access: 'authenticated' },
  }, async (request, reply) => {
    const actor = request.actor;
    const own = (await services.auth.listUserSessions(actor.userId)).map((session) => sessionView(session, actor.sessionId));
    let admin;
    if (actor.permissions.has('users:write')) {
      const users = (await services.users.list(actor.tenantId ?? undefined, { limit: 100 })).items;
      const userId = request.query.user;
      const selected = userId === undefined ? undefined : {
        user: await services.users.get(actor, userId),
        sessions: (await services.users.sessions(actor, userId)).map((session) => sessionView(session, actor.sessionId)),
      };
      admin = { users, selected };
    }
    return send(reply, sessionsPage(await viewOf(request), own, admin));
  });

  app.post('/admin/sessions/:id/revoke', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'authenticated', audit: audit('auth.session_revoke', 'session') },
  }, async (request, reply) => {
    await services.auth.revokeSession(request.actor, request.params.id);
    return answer(request, reply, '', '/admin/sessions');
  });

  app.post('/admin/users/:id/sessions/end', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'users:write', audit: audit('user.end_sessions', 'user') },
  }, async (request, reply) => {
    const user = await services.users.endSessions(request.actor, request.params.id);
    request.auditTarget = { tenantId: user.tenant_id };
    return answer(request, reply, '', `/admin/sessions?user=${user.id}`);
  });

  // ---- API keys: the key is shown once, on the answer to its creation

  const grantable = (permissions: ReadonlySet<string>) => API_KEY_SCOPES.filter((scope) => permissions.has(scope));

  app.get('/admin/api-keys', {
    config: { access: 'api_keys:read', tenant: 'required' },
  }, async (request, reply) => {
    const keys = await services.apiKeys.list(request.tenantId, { limit: 100 });
    return send(reply, apiKeysPage(await viewOf(request), keys.items, grantable(request.actor.permissions), { name: '', scopes: [], line_ids: '' }));
  });

  app.post('/admin/api-keys', {
    schema: { body: FormBodySchema },
    config: { access: 'api_keys:write', tenant: 'required', audit: audit('api_key.create', 'api_key') },
  }, async (request, reply) => {
    const form = { name: text(request.body, 'name'), scopes: listOf(request.body.scopes), line_ids: text(request.body, 'line_ids') };
    const lines = lineIds(form.line_ids);
    const outcome = await attempt(request, () => services.apiKeys.create(request.actor, request.tenantId,
      asApiBody(CreateApiKeyBody, { name: form.name, scopes: form.scopes, ...(lines !== undefined ? { line_ids: lines as number[] } : {}) })));
    if (outcome.problem !== undefined) {
      const keys = await services.apiKeys.list(request.tenantId, { limit: 100 });
      return again(reply, outcome.problem.status, apiKeysPage(await viewOf(request), keys.items, grantable(request.actor.permissions), form, outcome.problem));
    }
    const key = outcome.value;
    request.auditTarget = { resourceId: key.id, detail: { name: key.name, scopes: key.scopes, line_ids: key.line_ids } };
    // The only answer that holds the key: never stored by a browser or a proxy.
    reply.header('cache-control', 'no-store');
    return again(reply, 201, apiKeyCreatedPage(await viewOf(request), key));
  });

  app.post('/admin/api-keys/:id/revoke', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'api_keys:write', tenant: 'required', audit: audit('api_key.revoke', 'api_key') },
  }, async (request, reply) => {
    const key = await services.apiKeys.revoke(request.tenantId, request.params.id);
    request.auditTarget = { detail: { name: key.name } };
    return answer(request, reply, '', '/admin/api-keys');
  });

  // ---- dashboard templates: the platform's defaults are saved as the tenant's own template

  const catalog = async () => (await services.widgets.listWidgets()).map(({ widget_id, widget_name, default_size }) => ({ widget_id, widget_name, default_size }));

  app.get('/admin/dashboards', {
    config: { access: 'dashboards:write', tenant: 'required' },
  }, async (request, reply) => {
    const templates = await services.widgets.listTemplates(request.tenantId);
    const ordered = [...templates].sort((a, b) => Number(a.tenant_id === null) - Number(b.tenant_id === null) || a.role.localeCompare(b.role));
    return send(reply, dashboardsPage(await viewOf(request), ordered));
  });

  app.get('/admin/dashboards/:id', {
    schema: { params: IdParams },
    config: { access: 'dashboards:write', tenant: 'required' },
  }, async (request, reply) => {
    const template = await services.widgets.getTemplate(request.tenantId, request.params.id);
    return send(reply, dashboardEditor(await viewOf(request), template, await catalog()));
  });

  app.post('/admin/dashboards/:id', {
    schema: { params: IdParams, body: FormBodySchema },
    config: { access: 'dashboards:write', tenant: 'required', audit: audit('dashboard.update', 'dashboard') },
  }, async (request, reply) => {
    const template = await services.widgets.getTemplate(request.tenantId, request.params.id);
    const widgets = await catalog();
    const posted = postedLayout(request.body, widgets);
    const name = text(request.body, 'name');
    const edited = { ...template, name, layout: posted.layout };
    // Adding a widget only shows it in the editor; saving writes the template.
    if (text(request.body, 'intent') === 'add' || posted.problem !== undefined) {
      return again(reply, posted.problem === undefined ? 200 : 400, dashboardEditor(await viewOf(request), edited, widgets, { layout: posted.layout, params: posted.params, ...(posted.problem ? { problem: posted.problem } : {}) }));
    }
    const outcome = await attempt(request, () => (template.tenant_id === null
      ? services.widgets.createTemplate(request.tenantId, asApiBody(CreateTemplateBody, { role: template.role as 'ADMIN', name, layout: posted.layout }))
      : services.widgets.updateTemplate(request.tenantId, template.template_id, asApiBody(UpdateTemplateBody, { name, layout: posted.layout }))));
    if (outcome.problem !== undefined) {
      return again(reply, outcome.problem.status, dashboardEditor(await viewOf(request), edited, widgets, { layout: posted.layout, params: posted.params, problem: outcome.problem }));
    }
    request.auditTarget = { resourceId: outcome.value.template_id, detail: { role: outcome.value.role, widgets: outcome.value.layout.length, created: template.tenant_id === null } };
    return answer(request, reply, '', `/admin/dashboards/${outcome.value.template_id}`);
  });

  app.post('/admin/dashboards/:id/delete', {
    schema: { params: IdParams, body: Type.Optional(StateBody) },
    config: { access: 'dashboards:write', tenant: 'required', audit: audit('dashboard.delete', 'dashboard') },
  }, async (request, reply) => {
    await services.widgets.deleteTemplate(request.tenantId, request.params.id);
    return answer(request, reply, '', '/admin/dashboards');
  });

  // ---- the tenant's settings (its ADMIN), and tenants (the platform administrator)

  app.get('/admin/tenant', {
    config: { access: 'tenant_settings:write', tenant: 'required' },
  }, async (request, reply) => {
    const tenant = await services.tenants.get(request.tenantId);
    return send(reply, tenantSettingsPage(await viewOf(request), tenant, tenant.config));
  });

  app.post('/admin/tenant', {
    schema: { body: FormBodySchema },
    config: { access: 'tenant_settings:write', tenant: 'required', audit: audit('tenant.settings_update', 'tenant') },
  }, async (request, reply) => {
    const form = { timezone: text(request.body, 'config.timezone'), language: text(request.body, 'config.language'), theme: text(request.body, 'config.theme') };
    const outcome = await attempt(request, () => services.tenants.update(request.tenantId, { config: asApiBody(TenantConfigPatch, settingsOf(form)) }));
    request.auditTarget = { resourceId: request.tenantId, detail: { changes: form } };
    const tenant = outcome.value ?? await services.tenants.get(request.tenantId);
    // Shown again rather than redirected: the page's own language and theme may just have changed.
    return again(reply, outcome.problem?.status ?? 200, tenantSettingsPage(await viewOf(request), tenant, outcome.problem ? form : tenant.config, outcome.problem, outcome.problem === undefined));
  });

  app.get('/admin/tenants', {
    config: { access: 'tenants:read' },
  }, async (request, reply) => {
    const tenants = await services.tenants.list({ limit: 100 });
    return send(reply, tenantsPage(await viewOf(request), tenants.items, tenantForm()));
  });

  app.post('/admin/tenants', {
    schema: { body: FormBodySchema },
    config: { access: 'tenants:write', audit: audit('tenant.create', 'tenant') },
  }, async (request, reply) => {
    const form = postedTenant(request.body);
    const outcome = await attempt(request, () => services.tenants.create(asApiBody(CreateTenantBody, { name: form.name, ...(form.slug !== '' ? { slug: form.slug } : {}), config: settingsOf(form) })));
    if (outcome.problem !== undefined) {
      const tenants = await services.tenants.list({ limit: 100 });
      return again(reply, outcome.problem.status, tenantsPage(await viewOf(request), tenants.items, form, outcome.problem));
    }
    request.auditTarget = { resourceId: outcome.value.id, tenantId: outcome.value.id, detail: { name: outcome.value.name, slug: outcome.value.slug } };
    return answer(request, reply, '', `/admin/tenants/${outcome.value.id}`);
  });

  app.get('/admin/tenants/:id', {
    schema: { params: IdParams },
    config: { access: 'tenants:read' },
  }, async (request, reply) => {
    const tenant = await services.tenants.get(request.params.id);
    return send(reply, tenantPage(await viewOf(request), tenant, tenantForm(tenant)));
  });

  app.post('/admin/tenants/:id', {
    schema: { params: IdParams, body: FormBodySchema },
    config: { access: 'tenants:write', audit: audit('tenant.update', 'tenant') },
  }, async (request, reply) => {
    const form = postedTenant(request.body);
    const changes = { name: form.name, ...(form.slug !== '' ? { slug: form.slug } : {}), config: settingsOf(form) };
    request.auditTarget = { tenantId: request.params.id, detail: { changes } };
    const outcome = await attempt(request, () => services.tenants.update(request.params.id, asApiBody(UpdateTenantBody, changes)));
    if (outcome.problem !== undefined) {
      return again(reply, outcome.problem.status, tenantPage(await viewOf(request), await services.tenants.get(request.params.id), form, outcome.problem));
    }
    return answer(request, reply, '', `/admin/tenants/${request.params.id}`);
  });

  for (const [action, active] of [['deactivate', false], ['activate', true]] as const) {
    app.post(`/admin/tenants/:id/${action}`, {
      schema: { params: IdParams, body: Type.Optional(StateBody) },
      config: { access: 'tenants:write', audit: audit('tenant.update', 'tenant') },
    }, async (request, reply) => {
      request.auditTarget = { tenantId: request.params.id, detail: { changes: { is_active: active } } };
      await services.tenants.update(request.params.id, { is_active: active });
      return answer(request, reply, '', `/admin/tenants/${request.params.id}`);
    });
  }
}
