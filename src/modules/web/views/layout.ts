import type { Permission } from '../../../platform/auth/permissions.ts';
import type { MessageKey } from '../i18n.ts';
import { can, h, type Html, type ViewContext } from './html.ts';

export const icon = (name: string, extra = '') => h`<span class="material-symbols-outlined ${extra}" aria-hidden="true">${name}</span>`;

interface NavItem {
  href: string;
  label: MessageKey;
  icon: string;
  /** What the item needs; none: every signed-in user. */
  permission?: Permission;
  /** Also for a platform administrator, who has no tenant of their own (tenant pages need one). */
  platform?: true;
}

interface NavSection {
  label: MessageKey;
  items: NavItem[];
}

/** The sidebar: a section or item appears only when the caller's role allows it. */
const NAV: NavSection[] = [
  {
    label: 'nav.overview',
    items: [{ href: '/overview', label: 'nav.overview', icon: 'dashboard', permission: 'dashboards:read' }],
  },
  {
    label: 'nav.security',
    items: [
      { href: '/security', label: 'nav.security', icon: 'shield', permission: 'systems:read' },
      { href: '/security/alerts', label: 'nav.alerts', icon: 'notifications_active', permission: 'alerts:read' },
      { href: '/security/analytics', label: 'nav.analytics', icon: 'monitoring', permission: 'analytics:read' },
      { href: '/security/vulnerabilities', label: 'nav.vulnerabilities', icon: 'bug_report', permission: 'vulnerabilities:read' },
      { href: '/security/tickets', label: 'nav.tickets', icon: 'confirmation_number', permission: 'tickets:read' },
    ],
  },
  {
    label: 'nav.production',
    items: [
      { href: '/production', label: 'nav.production', icon: 'precision_manufacturing', permission: 'production:read' },
      { href: '/production/report', label: 'nav.production_report', icon: 'table_chart', permission: 'production:read' },
    ],
  },
  {
    label: 'nav.admin',
    items: [
      { href: '/admin/users', label: 'nav.users', icon: 'group', permission: 'users:read', platform: true },
      { href: '/admin/audit', label: 'nav.audit', icon: 'history', permission: 'audit:read', platform: true },
      { href: '/integrations', label: 'nav.integrations', icon: 'hub', permission: 'integrations:read' },
      { href: '/admin/api-keys', label: 'nav.api_keys', icon: 'key', permission: 'api_keys:read' },
      { href: '/admin/dashboards', label: 'nav.dashboards', icon: 'dashboard_customize', permission: 'dashboards:write' },
      { href: '/admin/tenant', label: 'nav.tenant', icon: 'tune', permission: 'tenant_settings:write' },
      { href: '/admin/tenants', label: 'nav.tenants', icon: 'domain', permission: 'tenants:read', platform: true },
      { href: '/admin/sessions', label: 'nav.sessions', icon: 'devices', platform: true },
    ],
  },
];

function sidebar(view: ViewContext, active: string): Html {
  const { t } = view;
  const platformAdmin = view.principal?.tenantId === null;
  const shown = (item: NavItem) => (item.permission === undefined || can(view, item.permission)) && (!platformAdmin || item.platform === true);
  const sections = NAV.map((section) => ({ ...section, items: section.items.filter(shown) })).filter((section) => section.items.length > 0);
  return h`<nav id="sidebar" aria-label="${t('nav.main')}" x-bind:class="sidebarClass"
      class="fixed inset-y-0 left-0 z-30 w-64 -translate-x-full transform border-r border-slate-200 bg-white transition-transform lg:static lg:translate-x-0 dark:border-slate-700 dark:bg-surface-dark">
    <div class="flex h-16 items-center gap-2 px-5">
      ${icon('radar', 'text-primary')}<span class="text-lg font-bold tracking-tight">${t('app.name')}</span>
    </div>
    ${sections.map((section) => h`<div class="px-3 py-2">
      <p class="px-2 pb-1 text-xs font-semibold uppercase tracking-wider text-text-sub dark:text-slate-400">${t(section.label)}</p>
      <ul class="space-y-1">${section.items.map((item) => {
        const current = item.href === active;
        return h`<li><a href="${item.href}" ${current ? h`aria-current="page"` : ''}
          class="flex items-center gap-3 rounded-lg px-2 py-2 text-sm font-medium ${current ? 'bg-primary-dark text-white' : 'text-text-main hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-700'}">${icon(item.icon, 'text-[20px]')}${t(item.label)}</a></li>`;
      })}</ul>
    </div>`)}
  </nav>`;
}

/** A small POST form: the theme and language switches and sign-out, each with its CSRF token. */
function actionForm(view: ViewContext, action: string, fields: Record<string, string>, label: string, content: Html): Html {
  return h`<form method="post" action="${action}" class="inline">
    <input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">
    ${Object.entries(fields).map(([name, value]) => h`<input type="hidden" name="${name}" value="${value}">`)}
    <button type="submit" title="${label}" aria-label="${label}" class="inline-flex h-10 min-w-10 items-center justify-center gap-1 rounded-lg px-2 text-text-sub hover:bg-slate-100 hover:text-text-main dark:text-slate-300 dark:hover:bg-slate-700 dark:hover:text-white">${content}</button>
  </form>`;
}

function header(view: ViewContext, title: string): Html {
  const { t, principal } = view;
  const nextTheme = view.theme === 'dark' ? 'light' : 'dark';
  const nextLanguage = view.language === 'es' ? 'en' : 'es';
  return h`<header class="sticky top-0 z-20 flex h-16 items-center gap-2 border-b border-slate-200 bg-white/90 px-4 backdrop-blur dark:border-slate-700 dark:bg-surface-dark/90">
    <button type="button" x-on:click="toggle" aria-controls="sidebar" x-bind:aria-expanded="expanded" aria-label="${t('nav.menu')}"
      class="inline-flex h-10 w-10 items-center justify-center rounded-lg hover:bg-slate-100 lg:hidden dark:hover:bg-slate-700">${icon('menu')}</button>
    <h1 class="truncate text-lg font-semibold">${title}</h1>
    <div class="ml-auto flex items-center gap-1">
      <span id="live-status" class="hidden items-center gap-1 text-xs text-text-sub sm:inline-flex dark:text-slate-400" title="${t('header.live')}">${icon('sensors', 'text-[18px]')}<span class="sr-only">${t('header.live')}</span></span>
      ${actionForm(view, '/preferences', { language: nextLanguage, return_to: view.path }, t('header.language.switch'), h`${icon('translate', 'text-[20px]')}<span class="text-xs font-semibold uppercase">${nextLanguage}</span>`)}
      ${actionForm(view, '/preferences', { theme: nextTheme, return_to: view.path }, t(nextTheme === 'dark' ? 'header.theme.dark' : 'header.theme.light'), icon(nextTheme === 'dark' ? 'dark_mode' : 'light_mode'))}
      ${principal === undefined ? '' : h`<span class="hidden px-2 text-sm text-text-sub md:inline dark:text-slate-300">${t('header.signedin', { name: principal.username })}</span>
      ${actionForm(view, '/logout', {}, t('header.signout'), icon('logout'))}`}
    </div>
  </header>`;
}

/**
 * A script app.js runs after DOMContentLoaded (see there), preloaded so it downloads beside the page
 * when the page needs it (a page without charts gets Chart.js only if a fragment brings some).
 */
const lateScript = (name: string, url: string, needed: boolean) => h`<meta name="late-script:${name}" content="${url}">
  ${needed ? h`<link rel="preload" href="${url}" as="script">` : ''}`;

/** The document around every page: assets, theme and language, CSRF token for HTMX. */
export function documentShell(view: ViewContext, title: string, body: Html): Html {
  const { assets } = view;
  return h`<!doctype html>
<html lang="${view.language}" class="${view.theme === 'dark' ? 'dark' : ''}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · ${view.t('app.name')}</title>
  <meta name="csrf-token" content="${view.csrfToken ?? ''}">
  <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}'>
  <link rel="preload" href="${assets.url('inter-latin.woff2')}" as="font" type="font/woff2" crossorigin>
  <link rel="stylesheet" href="${assets.url('app.css')}">
  <script async src="${assets.url('app.js')}"></script>
  ${lateScript('alpine', assets.url('alpine.js'), true)}
  ${lateScript('chart', assets.url('chart.js'), String(body).includes('data-chart='))}
</head>
<body class="min-h-screen bg-bg-light font-sans text-text-main antialiased dark:bg-bg-dark dark:text-slate-100">
${body}
</body>
</html>`;
}

/** A signed-in page: sidebar, header and the content. */
export function page(view: ViewContext, options: { title: string; active: string; content: Html }): Html {
  return documentShell(view, options.title, h`<a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 focus:text-black">${view.t('app.skip')}</a>
<div class="flex min-h-screen" x-data="sidebar">
  ${sidebar(view, options.active)}
  <div x-show="open" x-on:click="close" class="fixed inset-0 z-20 bg-black/50 lg:hidden" x-cloak></div>
  <div class="flex min-w-0 flex-1 flex-col">
    ${header(view, options.title)}
    <main id="main" class="mx-auto w-full max-w-7xl flex-1 space-y-6 p-4 sm:p-6">${options.content}</main>
  </div>
</div>
${toastRegion(view)}`);
}

/**
 * Where app.js shows what an HTMX request could not do (the server's problem, or no connection),
 * each message from the template, with the words it needs when the server could not give them.
 */
function toastRegion(view: ViewContext): Html {
  const { t } = view;
  return h`<div id="toasts" role="region" aria-label="${t('toast.region')}" class="fixed inset-x-4 bottom-4 z-40 flex flex-col items-end gap-2 sm:left-auto"
    data-error-title="${t('error.500.title')}" data-error-body="${t('error.500.body')}" data-network-title="${t('error.network.title')}" data-network-body="${t('error.network.body')}">
    <div data-toast-list role="alert" aria-live="assertive" aria-atomic="false" class="flex w-full flex-col items-end gap-2"></div>
    <template id="toast-template"><div data-toast class="flex w-full max-w-sm items-start gap-3 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 shadow-lg dark:border-red-700 dark:bg-red-950 dark:text-red-100">
      ${icon('error', 'text-[20px]')}
      <div class="min-w-0 flex-1"><p data-toast-title class="font-semibold"></p><p data-toast-detail class="break-words"></p></div>
      <button type="button" data-toast-dismiss aria-label="${t('toast.dismiss')}" title="${t('toast.dismiss')}" class="-m-1 inline-flex h-8 w-8 shrink-0 items-center justify-center rounded hover:bg-red-100 dark:hover:bg-red-900">${icon('close', 'text-[18px]')}</button>
    </div></template>
  </div>`;
}

export function card(title: string | undefined, content: Html, extra: { id?: string; actions?: Html } = {}): Html {
  return h`<section ${extra.id ? h`id="${extra.id}"` : ''} class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5 dark:border-slate-700 dark:bg-surface-dark">
    ${title === undefined ? '' : h`<div class="mb-4 flex flex-wrap items-center justify-between gap-2"><h2 class="text-base font-semibold">${title}</h2>${extra.actions ?? ''}</div>`}
    ${content}
  </section>`;
}

const TONES = {
  red: 'bg-red-100 text-red-800 dark:bg-red-900/60 dark:text-red-100',
  orange: 'bg-orange-100 text-orange-800 dark:bg-orange-900/60 dark:text-orange-100',
  amber: 'bg-amber-100 text-amber-800 dark:bg-amber-900/60 dark:text-amber-100',
  green: 'bg-green-100 text-green-800 dark:bg-green-900/60 dark:text-green-100',
  blue: 'bg-blue-100 text-blue-800 dark:bg-blue-900/60 dark:text-blue-100',
  slate: 'bg-slate-100 text-slate-700 dark:bg-slate-700 dark:text-slate-100',
} as const;

export type Tone = keyof typeof TONES;

export const badge = (text: string, tone: Tone) => h`<span class="inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ${TONES[tone]}">${text}</span>`;

const SEVERITY_TONES: Record<string, Tone> = { critical: 'red', high: 'orange', medium: 'amber', low: 'blue', info: 'slate' };
const STATUS_TONES: Record<string, Tone> = {
  online: 'green', warning: 'amber', alert: 'red', active: 'red', acknowledged: 'amber', resolved: 'green', open: 'blue', in_progress: 'amber', closed: 'slate',
  patching: 'amber', mitigated: 'green', running: 'green', stopped: 'red', outside_shift: 'slate', offline: 'red', unknown: 'slate',
};

export function severityBadge(view: ViewContext, severity: string): Html {
  return badge(view.t(`severity.${severity}` as MessageKey) ?? severity, SEVERITY_TONES[severity] ?? 'slate');
}

export function statusBadge(view: ViewContext, status: string): Html {
  const key = `status.${status}` as MessageKey;
  return badge(view.t(key) ?? status, STATUS_TONES[status] ?? 'slate');
}

/** A column header; `wide` columns are left out on a phone, where their content shows in the first column. */
export interface Column {
  label: string;
  wide?: boolean;
}

const WIDE = 'hidden md:table-cell';

/**
 * A responsive table: narrow columns only on a phone, and it scrolls sideways rather than squeezing.
 * A table wide enough to scroll on a desktop too takes a `scrollLabel`: keyboard users can then focus and scroll it.
 */
export function table(columns: (string | Column)[], rows: Html[], empty: string, id?: string, scrollLabel?: string): Html {
  const headers = columns.map((column) => (typeof column === 'string' ? { label: column } : column));
  return h`<div class="-mx-4 overflow-x-auto sm:mx-0" ${scrollLabel === undefined ? '' : h`tabindex="0" role="region" aria-label="${scrollLabel}"`}>
    <table ${id ? h`id="${id}"` : ''} class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-700">
      <thead><tr>${headers.map((column) => h`<th scope="col" class="whitespace-nowrap px-4 py-2 text-left text-xs font-semibold uppercase tracking-wider text-text-sub dark:text-slate-400 ${column.wide ? WIDE : ''}">${column.label}</th>`)}</tr></thead>
      <tbody class="divide-y divide-slate-100 dark:divide-slate-700/60">${rows.length === 0 ? h`<tr><td colspan="${headers.length}" class="px-4 py-6 text-center text-text-sub dark:text-slate-400">${empty}</td></tr>` : rows}</tbody>
    </table>
  </div>`;
}

/** A cell of a `wide` column. */
export const wideCell = (content: unknown, extra = '') => h`<td class="px-4 py-2 align-top ${WIDE} ${extra}">${content}</td>`;

/** What a phone shows under the first column in place of the wide columns. */
export const phoneOnly = (content: Html) => h`<div class="mt-1 flex flex-wrap gap-1 md:hidden">${content}</div>`;

export const cell = (content: unknown, extra = '') => h`<td class="px-4 py-2 align-top ${extra}">${content}</td>`;

export const buttonClass = 'inline-flex items-center gap-1 rounded-lg px-3 py-1.5 text-sm font-medium';
export const primaryButton = `${buttonClass} bg-primary-dark text-white hover:bg-primary focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary`;
export const secondaryButton = `${buttonClass} border border-slate-300 text-text-main hover:bg-slate-100 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-700`;
export const inputClass = 'block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-text-main focus:border-primary focus:outline-2 focus:outline-primary dark:border-slate-600 dark:bg-bg-dark dark:text-slate-100';
