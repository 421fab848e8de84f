import type { apiKeyView } from '../../api-keys/api-keys.service.ts';
import type { TenantView } from '../../tenants/tenants.schemas.ts';
import type { UserView } from '../../users/users.schemas.ts';
import { formatDateTime } from '../i18n.ts';
import { confirmed, csrfField, messageBelow, dangerButton, type FormProblem, labelClass, linkClass, postButton, problemSummary, selectField, textField } from './forms.ts';
import { can, h, type Html, type ViewContext } from './html.ts';
import { badge, card, cell, icon, inputClass, page, phoneOnly, primaryButton, secondaryButton, table, wideCell } from './layout.ts';

export interface AuditEntryView {
  id: string;
  created_at: string;
  actor_username: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: string;
  ip: string | null;
}

export interface UserForm {
  username: string;
  email: string;
  role: string;
  is_active: boolean;
}

const ROLE_CHOICES = [['ADMIN', 'ADMIN'], ['MANAGER', 'MANAGER'], ['OPERATOR', 'OPERATOR'], ['VIEWER', 'VIEWER']] as const;

/** The fields of a user the forms change; the username only when creating, a password always optional when editing. */
function userFields(view: ViewContext, form: UserForm, problem: FormProblem | undefined, creating: boolean): Html {
  const { t } = view;
  return h`${creating ? textField(view, { name: 'username', label: t('col.username'), value: form.username, problem, required: true, maxlength: 64 }) : ''}
    ${textField(view, { name: 'email', label: t('col.email'), value: form.email, problem, type: 'email', maxlength: 254 })}
    ${selectField(view, { name: 'role', label: t('col.role'), value: form.role, problem, choices: ROLE_CHOICES })}
    ${textField(view, { name: 'password', label: t(creating ? 'admin.users.password' : 'admin.users.new_password'), value: '', problem, type: 'password', required: creating, maxlength: 128, help: t('admin.users.password.help') })}
    <div class="flex items-center gap-2"><input type="checkbox" id="f-is_active" name="is_active" value="true" ${form.is_active ? 'checked' : ''} class="h-4 w-4 rounded border-slate-300">
      <label for="f-is_active" class="text-sm font-medium">${t('col.active')}</label></div>`;
}

export function usersPage(view: ViewContext, users: UserView[], create?: { form: UserForm; problem?: FormProblem }): Html {
  const { t } = view;
  const editable = can(view, 'users:write');
  const rows = users.map((user) => h`<tr>
    ${cell(editable && user.role !== 'SUPER_ADMIN' ? h`<a class="${linkClass}" href="/admin/users/${user.id}">${user.username}</a>` : h`<span class="font-medium">${user.username}</span>`)}
    ${wideCell(user.email ?? '—')}
    ${cell(badge(user.role, 'blue'))}
    ${cell(user.is_active ? t('common.yes') : t('common.no'))}
    ${wideCell(formatDateTime(user.created_at, view.language, view.timeZone), 'whitespace-nowrap')}
  </tr>`);
  const form = create === undefined ? '' : card(t('admin.users.new'), h`<form method="post" action="/admin/users" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
    ${problemSummary(create.problem)}${userFields(view, create.form, create.problem, true)}
    <button type="submit" class="${primaryButton}">${icon('person_add', 'text-[18px]')}${t('admin.users.create')}</button></form>`);
  return page(view, {
    title: t('admin.users'), active: '/admin/users',
    content: h`${card(undefined, table([t('col.username'), { label: t('col.email'), wide: true }, t('col.role'), t('col.active'), { label: t('col.created'), wide: true }], rows, '—'))}${form}`,
  });
}

/** One user: role, e-mail, active (unticked: disabled, its sessions end) and a new password. */
export function userPage(view: ViewContext, user: UserView, form: UserForm, problem?: FormProblem): Html {
  const { t } = view;
  return page(view, {
    title: user.username, active: '/admin/users',
    content: h`${card(user.username, h`<form method="post" action="/admin/users/${user.id}" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
      ${problemSummary(problem)}${userFields(view, form, problem, false)}
      <button type="submit" class="${primaryButton}">${icon('save', 'text-[18px]')}${t('form.save')}</button></form>`)}
      <p><a class="${linkClass}" href="/admin/users">${t('admin.users.back')}</a></p>`,
  });
}

const OUTCOME_TONES = { success: 'green', failure: 'red', denied: 'amber' } as const;

export function auditPage(view: ViewContext, entries: AuditEntryView[], nextUrl: string | null): Html {
  const { t } = view;
  const rows = entries.map((entry) => h`<tr>
    ${cell(formatDateTime(entry.created_at, view.language, view.timeZone), 'whitespace-nowrap')}
    ${cell(entry.actor_username ?? '—')}
    ${cell(h`<span class="font-mono text-xs">${entry.action}</span>`)}
    ${wideCell(h`<span class="text-xs">${entry.resource_type ?? ''} ${entry.resource_id ?? ''}</span>`)}
    ${cell(badge(entry.outcome, OUTCOME_TONES[entry.outcome as keyof typeof OUTCOME_TONES] ?? 'slate'))}
    ${wideCell(entry.ip ?? '—')}
  </tr>`);
  return page(view, {
    title: t('admin.audit'), active: '/admin/audit',
    content: card(undefined, h`${table([t('col.when'), t('col.actor'), t('col.action'), { label: t('col.resource'), wide: true }, t('col.outcome'), { label: t('col.ip'), wide: true }], rows, t('admin.audit.none'))}
      ${nextUrl === null ? '' : h`<div class="mt-4"><a class="${secondaryButton}" href="${nextUrl}">${t('common.next')}${icon('chevron_right', 'text-[18px]')}</a></div>`}`),
  });
}

// ---- sessions, API keys, dashboard templates, tenant settings, tenants

type ApiKeyView = ReturnType<typeof apiKeyView>;

export interface SessionEntry {
  id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

function sessionsTable(view: ViewContext, sessions: SessionEntry[], revokable: boolean): Html {
  const { t } = view;
  const when = (iso: string) => formatDateTime(iso, view.language, view.timeZone);
  const rows = sessions.map((session) => h`<tr>
    ${cell(h`<span class="whitespace-nowrap">${when(session.created_at)}</span>${session.current ? h` ${badge(t('admin.sessions.current'), 'green')}` : ''}`)}
    ${cell(when(session.last_seen_at), 'whitespace-nowrap')}
    ${wideCell(session.ip ?? '—')}
    ${wideCell(h`<span class="line-clamp-2 text-xs">${session.user_agent ?? '—'}</span>`, 'max-w-xs')}
    ${revokable ? cell(session.current ? '' : postButton(view, `/admin/sessions/${session.id}/revoke`, t('admin.sessions.revoke'), 'logout')) : ''}
  </tr>`);
  return table([t('admin.sessions.started'), t('col.last_seen'), { label: t('col.ip'), wide: true }, { label: t('admin.sessions.browser'), wide: true }, ...(revokable ? [t('col.actions')] : [])], rows, '—');
}

/** The caller's sessions (end any other one) and, for user administrators, any user's. */
export function sessionsPage(view: ViewContext, own: SessionEntry[], admin: { users: UserView[]; selected: { user: UserView; sessions: SessionEntry[] } | undefined } | undefined): Html {
  const { t } = view;
  const other = admin === undefined ? '' : card(t('admin.sessions.user'), h`<form method="get" action="/admin/sessions" class="flex flex-wrap items-end gap-2">
      <div><label for="f-user" class="${labelClass}">${t('col.username')}</label><select id="f-user" name="user" class="${inputClass}">
        ${admin.users.map((user) => h`<option value="${user.id}" ${admin.selected?.user.id === user.id ? 'selected' : ''}>${user.username}</option>`)}</select></div>
      <button type="submit" class="${secondaryButton}">${icon('search', 'text-[18px]')}${t('admin.sessions.show')}</button></form>
    ${admin.selected === undefined ? '' : h`<div class="mt-4 space-y-3">${sessionsTable(view, admin.selected.sessions, false)}
      ${postButton(view, `/admin/users/${admin.selected.user.id}/sessions/end`, t('admin.sessions.end_all', { name: admin.selected.user.username }), 'logout', dangerButton)}</div>`}`);
  return page(view, {
    title: t('admin.sessions'), active: '/admin/sessions',
    content: h`${card(t('admin.sessions.mine'), sessionsTable(view, own, true))}${other}`,
  });
}

export interface ApiKeyForm {
  name: string;
  scopes: string[];
  line_ids: string;
}

export function apiKeysPage(view: ViewContext, keys: ApiKeyView[], grantable: readonly string[], form: ApiKeyForm, problem?: FormProblem): Html {
  const { t } = view;
  const when = (iso: string | null) => formatDateTime(iso, view.language, view.timeZone);
  const writable = can(view, 'api_keys:write');
  const tones = { active: 'green', expired: 'amber', revoked: 'slate' } as const;
  const rows = keys.map((key) => h`<tr>
    ${cell(h`<span class="font-medium">${key.name}</span>${phoneOnly(h`<span class="font-mono text-xs">${key.scopes.join(', ')}</span>`)}`)}
    ${wideCell(h`<span class="font-mono text-xs">${key.scopes.join(', ')}</span>`)}
    ${wideCell(key.line_ids === null ? t('admin.keys.all_lines') : key.line_ids.join(', '))}
    ${cell(badge(t(`admin.keys.status.${key.status}`), tones[key.status]))}
    ${wideCell(when(key.last_used_at), 'whitespace-nowrap')}
    ${writable ? cell(key.status === 'revoked' ? '' : confirmed(view, `/admin/api-keys/${key.id}/revoke`, t('admin.keys.revoke'), t('admin.keys.revoke.confirm', { name: key.name }))) : ''}
  </tr>`);
  const create = !writable ? '' : card(t('admin.keys.new'), h`<form method="post" action="/admin/api-keys" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
    ${problemSummary(problem)}
    ${textField(view, { name: 'name', label: t('admin.col.name'), value: form.name, problem, required: true, maxlength: 100 })}
    <fieldset><legend class="${labelClass}">${t('admin.keys.scopes')}</legend><div class="flex flex-wrap gap-4">
      ${grantable.map((scope) => h`<label class="inline-flex items-center gap-2 text-sm"><input type="checkbox" name="scopes" value="${scope}" ${form.scopes.includes(scope) ? 'checked' : ''} class="h-4 w-4 rounded border-slate-300"><span class="font-mono">${scope}</span></label>`)}
    </div>${messageBelow(problem, 'scopes')}</fieldset>
    ${textField(view, { name: 'line_ids', label: t('admin.keys.lines'), value: form.line_ids, problem, help: t('admin.keys.lines.help') })}
    <button type="submit" class="${primaryButton}">${icon('key', 'text-[18px]')}${t('admin.keys.create')}</button></form>`);
  return page(view, {
    title: t('admin.keys'), active: '/admin/api-keys',
    content: h`${card(t('admin.keys'), table([t('admin.col.name'), { label: t('admin.keys.scopes'), wide: true }, { label: t('admin.keys.lines'), wide: true }, t('col.status'), { label: t('admin.keys.last_used'), wide: true }, ...(writable ? [t('col.actions')] : [])], rows, t('admin.keys.none')))}${create}`,
  });
}

/** The new key, shown this once: the page is not cached and the key is never shown again. */
export function apiKeyCreatedPage(view: ViewContext, key: ApiKeyView & { key: string }): Html {
  const { t } = view;
  return page(view, {
    title: t('admin.keys.created'), active: '/admin/api-keys',
    content: card(key.name, h`<div class="space-y-4">
      <p role="status" class="rounded-lg bg-amber-100 px-3 py-2 text-sm text-amber-900 dark:bg-amber-900/60 dark:text-amber-100">${t('admin.keys.once')}</p>
      <div><label for="f-key" class="${labelClass}">${t('admin.keys.key')}</label>
        <input id="f-key" readonly value="${key.key}" class="${inputClass} font-mono"></div>
      <p class="text-sm">${t('admin.keys.scopes')}: <span class="font-mono">${key.scopes.join(', ')}</span></p>
      <a class="${primaryButton}" href="/admin/api-keys">${t('admin.keys.done')}</a></div>`),
  });
}

export interface CatalogWidget {
  widget_id: string;
  widget_name: string;
  default_size: { w: number; h: number };
}

export interface TemplateEntry {
  template_id: string;
  tenant_id: string | null;
  role: string;
  name: string;
  layout: { widget_id: string; x: number; y: number; w: number; h: number; title?: string; params: Record<string, unknown> }[];
  updated_at: string;
}

/** The tenant's templates and the platform's default of each role, the tenant's first. */
export function dashboardsPage(view: ViewContext, templates: TemplateEntry[]): Html {
  const { t } = view;
  const tenantRoles = new Set(templates.filter((template) => template.tenant_id !== null).map((template) => template.role));
  const rows = templates.map((template) => {
    const own = template.tenant_id !== null;
    const overridden = !own && tenantRoles.has(template.role);
    return h`<tr>
      ${cell(h`<a class="${linkClass}" href="/admin/dashboards/${template.template_id}">${template.name}</a>`)}
      ${cell(badge(template.role, 'blue'))}
      ${cell(own ? badge(t('admin.dash.tenant'), 'green') : badge(overridden ? t('admin.dash.platform.replaced') : t('admin.dash.platform'), 'slate'))}
      ${wideCell(template.layout.length)}
      ${wideCell(formatDateTime(template.updated_at, view.language, view.timeZone), 'whitespace-nowrap')}
    </tr>`;
  });
  return page(view, {
    title: t('admin.dash'), active: '/admin/dashboards',
    content: card(undefined, h`<p class="mb-4 text-sm text-text-sub dark:text-slate-400">${t('admin.dash.intro')}</p>
      ${table([t('admin.col.name'), t('col.role'), t('admin.dash.owner'), { label: t('admin.dash.widgets'), wide: true }, { label: t('col.updated'), wide: true }], rows, '—')}`),
  });
}

/** Grid classes spelled out so that the stylesheet build finds them (12 columns). */
const COL_START = ['col-start-1', 'col-start-2', 'col-start-3', 'col-start-4', 'col-start-5', 'col-start-6', 'col-start-7', 'col-start-8', 'col-start-9', 'col-start-10', 'col-start-11', 'col-start-12'];
const COL_SPAN = ['col-span-1', 'col-span-2', 'col-span-3', 'col-span-4', 'col-span-5', 'col-span-6', 'col-span-7', 'col-span-8', 'col-span-9', 'col-span-10', 'col-span-11', 'col-span-12'];

/** A sketch of the layout on the 12-column grid, row by row in the order of `y`, then `x`. */
function gridPreview(view: ViewContext, layout: TemplateEntry['layout'], names: Map<string, string>): Html {
  const sorted = [...layout].sort((a, b) => a.y - b.y || a.x - b.x);
  return h`<div class="grid grid-cols-12 gap-1" aria-label="${view.t('admin.dash.preview')}" role="img">
    ${sorted.map((item) => h`<div class="${COL_START[Math.min(Math.max(item.x, 0), 11)]} ${COL_SPAN[Math.min(Math.max(item.w, 1), 12 - Math.min(Math.max(item.x, 0), 11)) - 1]} truncate rounded bg-blue-100 px-1 py-2 text-center text-xs text-blue-900 dark:bg-blue-900/60 dark:text-blue-100">${item.title ?? names.get(item.widget_id) ?? item.widget_id} · ${item.w}×${item.h}</div>`)}
  </div>`;
}

const NUMBER = 'block w-16 rounded-lg border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-bg-dark';

/**
 * The template editor: each widget's place (x, y) and size (w, h) on the 12-column grid, its title
 * and params (JSON, checked by the widget's schema on save); remove, and add from the catalog.
 * A platform default is saved as the tenant's own template for that role.
 */
export function dashboardEditor(view: ViewContext, template: TemplateEntry, catalog: CatalogWidget[], options: { problem?: FormProblem; layout?: TemplateEntry['layout']; params?: string[] } = {}): Html {
  const { t } = view;
  const layout = options.layout ?? template.layout;
  const own = template.tenant_id !== null;
  const names = new Map(catalog.map((widget) => [widget.widget_id, widget.widget_name]));
  const problem = options.problem;
  // An item's fields are named `layout.0.w`, by the request schema and the widgets service alike.
  const itemProblem = (index: number) => Object.entries(problem?.fields ?? {}).flatMap(([field, message]) => {
    const item = `layout.${index}`;
    return field === item || field.startsWith(`${item}.`) ? [`${field.slice(item.length + 1) || field}: ${message}`] : [];
  });
  const number = (index: number, key: 'x' | 'y' | 'w' | 'h', value: number, max: number, min: number) => h`<label class="text-xs">${key}<input name="layout.${index}.${key}" type="number" min="${min}" max="${max}" value="${value}" aria-label="${t(`admin.dash.${key}`)}" class="${NUMBER}"></label>`;
  const rows = layout.map((item, index) => {
    const errors = itemProblem(index);
    return h`<tr ${errors.length > 0 ? h`class="bg-red-50 dark:bg-red-900/30"` : ''}>
      ${cell(h`<input type="hidden" name="layout.${index}.widget_id" value="${item.widget_id}"><p class="font-medium">${names.get(item.widget_id) ?? item.widget_id}</p>
        <p class="font-mono text-xs text-text-sub dark:text-slate-400">${item.widget_id}</p>
        ${errors.map((error) => h`<p class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${error}</p>`)}`)}
      ${cell(h`<div class="flex gap-1">${number(index, 'x', item.x, 11, 0)}${number(index, 'y', item.y, 1000, 0)}${number(index, 'w', item.w, 12, 1)}${number(index, 'h', item.h, 50, 1)}</div>`)}
      ${cell(h`<label class="sr-only" for="f-title-${index}">${t('col.title')}</label><input id="f-title-${index}" name="layout.${index}.title" value="${item.title ?? ''}" maxlength="100" class="${inputClass}">`)}
      ${cell(h`<label class="sr-only" for="f-params-${index}">${t('admin.dash.params')}</label><textarea id="f-params-${index}" name="layout.${index}.params" rows="2" class="${inputClass} font-mono text-xs">${options.params?.[index] ?? JSON.stringify(item.params ?? {})}</textarea>`)}
      ${cell(h`<label class="inline-flex items-center gap-1 text-sm"><input type="checkbox" name="layout.${index}.remove" value="true" class="h-4 w-4 rounded border-slate-300">${t('admin.dash.remove')}</label>`)}
    </tr>`;
  });
  const writable = can(view, 'dashboards:write');
  const editor = h`<form method="post" action="/admin/dashboards/${template.template_id}" class="space-y-4" novalidate>${csrfField(view)}
    ${problemSummary(problem)}
    ${own ? '' : h`<p class="text-sm text-text-sub dark:text-slate-400">${t('admin.dash.override', { role: template.role })}</p>`}
    ${textField(view, { name: 'name', label: t('admin.col.name'), value: template.name, problem, required: true, maxlength: 100 })}
    ${table([t('admin.dash.widget'), t('admin.dash.place'), t('col.title'), t('admin.dash.params'), t('col.actions')], rows, t('admin.dash.empty'))}
    <div class="flex flex-wrap items-end gap-2"><div><label for="f-add" class="${labelClass}">${t('admin.dash.add')}</label>
      <select id="f-add" name="add" class="${inputClass}"><option value=""></option>${catalog.map((widget) => h`<option value="${widget.widget_id}">${widget.widget_name}</option>`)}</select></div>
      <button type="submit" name="intent" value="add" class="${secondaryButton}">${icon('add', 'text-[18px]')}${t('admin.dash.add.submit')}</button></div>
    <div class="flex flex-wrap gap-2"><button type="submit" name="intent" value="save" class="${primaryButton}">${icon('save', 'text-[18px]')}${t(own ? 'form.save' : 'admin.dash.save_override')}</button>
      <a class="${secondaryButton}" href="/admin/dashboards">${t('form.cancel')}</a></div>
  </form>`;
  return page(view, {
    title: template.name, active: '/admin/dashboards',
    content: h`${card(t('admin.dash.preview'), gridPreview(view, layout, names))}
      ${writable ? card(t('admin.dash.edit'), editor) : ''}
      ${writable && own ? card(t('admin.dash.delete'), confirmed(view, `/admin/dashboards/${template.template_id}/delete`, t('admin.dash.delete'), t('admin.dash.delete.confirm', { role: template.role }))) : ''}`,
  });
}

export interface TenantSettingsForm {
  timezone: string;
  language: string;
  theme: string;
}

function settingsFields(view: ViewContext, form: TenantSettingsForm, problem: FormProblem | undefined, prefix = ''): Html {
  const { t } = view;
  return h`${textField(view, { name: `${prefix}timezone`, label: t('admin.tenant.timezone'), value: form.timezone, problem, required: true, maxlength: 64, help: t('admin.tenant.timezone.help') })}
    ${selectField(view, { name: `${prefix}language`, label: t('admin.tenant.language'), value: form.language, problem, choices: [['es', 'Español'], ['en', 'English']] })}
    ${selectField(view, { name: `${prefix}theme`, label: t('admin.tenant.theme'), value: form.theme, problem, choices: [['dark', t('admin.tenant.theme.dark')], ['light', t('admin.tenant.theme.light')], ['system', t('admin.tenant.theme.system')]] })}`;
}

export function tenantSettingsPage(view: ViewContext, tenant: TenantView, form: TenantSettingsForm, problem?: FormProblem, saved = false): Html {
  const { t } = view;
  return page(view, {
    title: t('admin.tenant'), active: '/admin/tenant',
    content: card(tenant.name, h`<form method="post" action="/admin/tenant" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
      ${saved ? h`<p role="status" class="rounded-lg bg-green-100 px-3 py-2 text-sm text-green-800 dark:bg-green-900/60 dark:text-green-100">${t('admin.saved')}</p>` : ''}
      ${problemSummary(problem)}${settingsFields(view, form, problem, 'config.')}
      <button type="submit" class="${primaryButton}">${icon('save', 'text-[18px]')}${t('form.save')}</button></form>`),
  });
}

export interface TenantForm extends TenantSettingsForm {
  name: string;
  slug: string;
}

function tenantFields(view: ViewContext, form: TenantForm, problem: FormProblem | undefined): Html {
  const { t } = view;
  return h`${textField(view, { name: 'name', label: t('admin.col.name'), value: form.name, problem, required: true, maxlength: 200 })}
    ${textField(view, { name: 'slug', label: t('admin.tenants.slug'), value: form.slug, problem, maxlength: 64, help: t('admin.tenants.slug.help') })}
    ${settingsFields(view, form, problem, 'config.')}`;
}

export function tenantsPage(view: ViewContext, tenants: TenantView[], form: TenantForm, problem?: FormProblem): Html {
  const { t } = view;
  const rows = tenants.map((tenant) => h`<tr>
    ${cell(h`<a class="${linkClass}" href="/admin/tenants/${tenant.id}">${tenant.name}</a>`)}
    ${wideCell(h`<span class="font-mono text-xs">${tenant.slug}</span>`)}
    ${cell(tenant.is_active ? badge(t('admin.tenants.active'), 'green') : badge(t('admin.tenants.inactive'), 'slate'))}
    ${wideCell(`${tenant.config.timezone} · ${tenant.config.language}`)}
    ${wideCell(formatDateTime(tenant.created_at, view.language, view.timeZone), 'whitespace-nowrap')}
  </tr>`);
  const create = can(view, 'tenants:write') ? card(t('admin.tenants.new'), h`<form method="post" action="/admin/tenants" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
    ${problemSummary(problem)}${tenantFields(view, form, problem)}
    <button type="submit" class="${primaryButton}">${icon('add_business', 'text-[18px]')}${t('admin.tenants.create')}</button></form>`) : '';
  return page(view, {
    title: t('admin.tenants'), active: '/admin/tenants',
    content: h`${card(t('admin.tenants'), table([t('admin.col.name'), { label: t('admin.tenants.slug'), wide: true }, t('col.status'), { label: t('admin.tenants.settings'), wide: true }, { label: t('col.created'), wide: true }], rows, '—'))}${create}`,
  });
}

export function tenantPage(view: ViewContext, tenant: TenantView, form: TenantForm, problem?: FormProblem): Html {
  const { t } = view;
  const writable = can(view, 'tenants:write');
  const state = tenant.is_active
    ? confirmed(view, `/admin/tenants/${tenant.id}/deactivate`, t('admin.tenants.deactivate'), t('admin.tenants.deactivate.confirm', { name: tenant.name }))
    : postButton(view, `/admin/tenants/${tenant.id}/activate`, t('admin.tenants.activate'), 'check_circle');
  return page(view, {
    title: tenant.name, active: '/admin/tenants',
    content: h`${card(undefined, h`<div class="flex flex-wrap items-center gap-3">${tenant.is_active ? badge(t('admin.tenants.active'), 'green') : badge(t('admin.tenants.inactive'), 'slate')}
        <span class="font-mono text-sm">${tenant.slug}</span>${writable ? h`<span class="ml-auto">${state}</span>` : ''}</div>`)}
      ${writable ? card(t('admin.tenants.edit'), h`<form method="post" action="/admin/tenants/${tenant.id}" class="max-w-xl space-y-4" novalidate>${csrfField(view)}
        ${problemSummary(problem)}${tenantFields(view, form, problem)}
        <button type="submit" class="${primaryButton}">${icon('save', 'text-[18px]')}${t('form.save')}</button></form>`) : ''}
      <p><a class="${linkClass}" href="/admin/tenants">${t('admin.tenants.back')}</a></p>`,
  });
}
