import type { Static } from 'typebox';
import type { AlertView } from '../../alerts/alerts.schemas.ts';
import type { SystemView } from '../../systems/systems.schemas.ts';
import { TICKET_STATUSES, type TicketDetail, type TicketView } from '../../tickets/tickets.schemas.ts';
import type { PatchJob, VulnerabilityView } from '../../vulnerabilities/vulnerabilities.schemas.ts';
import { NEXT_PATCH_STATES } from '../../vulnerabilities/vulnerabilities.service.ts';
import { formatDateTime, type MessageKey } from '../i18n.ts';
import { can, h, type Html, type ViewContext } from './html.ts';
import { card, cell, icon, inputClass, page, phoneOnly, primaryButton, secondaryButton, severityBadge, statusBadge, table, wideCell } from './layout.ts';

type PatchJobView = Static<typeof PatchJob>;
type TicketDetailView = Static<typeof TicketDetail>;

export interface StatusCounts { online: number; warning: number; alert: number; total: number }
export interface SystemDetail extends SystemView { assets: { id: string; name: string; kind: string; status: string; last_seen: string }[] }

const when = (view: ViewContext, iso: string | null) => formatDateTime(iso, view.language, view.timeZone);

/** Counters by system status; re-fetched when a live event says a system or alert changed. */
export function statusCards(view: ViewContext, counts: StatusCounts): Html {
  const { t } = view;
  const tiles: [MessageKey, number, string, string][] = [
    ['status.total', counts.total, 'dns', 'text-primary dark:text-blue-300'],
    ['status.online', counts.online, 'check_circle', 'text-green-700 dark:text-green-400'],
    ['status.warning', counts.warning, 'warning', 'text-amber-700 dark:text-amber-400'],
    ['status.alert', counts.alert, 'crisis_alert', 'text-red-700 dark:text-red-400'],
  ];
  return h`<div id="status-cards" hx-get="/security/parts/status" hx-trigger="sentinel:systems from:body, sentinel:alerts from:body" hx-swap="outerHTML" class="grid grid-cols-2 gap-4 lg:grid-cols-4">
    ${tiles.map(([label, value, symbol, tone]) => h`<div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-surface-dark">
      <div class="flex items-center justify-between"><p class="text-sm font-medium text-text-sub dark:text-slate-400">${t(label)}</p>${icon(symbol, tone)}</div>
      <p class="mt-2 text-3xl font-bold" data-status="${label}">${value}</p></div>`)}
  </div>`;
}

function systemsTable(view: ViewContext, systems: SystemView[]): Html {
  const { t } = view;
  const rows = systems.map((system) => h`<tr>
    ${cell(h`<a class="font-medium text-primary-dark hover:underline dark:text-blue-300" href="/security/systems/${system.id}">${system.system}</a>${system.status_summary ? h`<p class="text-xs text-text-sub dark:text-slate-400">${system.status_summary}</p>` : ''}`)}
    ${wideCell(system.type)}
    ${cell(statusBadge(view, system.status))}
    ${wideCell(system.alerts.length)}
    ${wideCell(when(view, system.last_seen), 'whitespace-nowrap')}
  </tr>`);
  return table([t('col.system'), { label: t('col.type'), wide: true }, t('col.status'), { label: t('col.alerts'), wide: true }, { label: t('col.last_seen'), wide: true }], rows, t('security.systems.none'));
}

function alertActions(view: ViewContext, alert: AlertView): Html {
  const { t } = view;
  if (!can(view, 'alerts:write')) return h``;
  const target = `#alert-${alert.id}`;
  const csrf = h`<input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">`;
  return h`<div class="flex flex-wrap items-start gap-2">
    ${alert.status === 'active' ? h`<form method="post" action="/security/alerts/${alert.id}/acknowledge" hx-post="/security/alerts/${alert.id}/acknowledge" hx-target="${target}" hx-swap="outerHTML">${csrf}
      <button type="submit" class="${secondaryButton}">${icon('done', 'text-[18px]')}${t('alerts.acknowledge')}</button></form>` : ''}
    ${can(view, 'tickets:write') ? (alert.ticket_id !== null ? h`<span class="inline-flex items-center gap-1 text-sm text-green-700 dark:text-green-400">${icon('confirmation_number', 'text-[18px]')}${t('alerts.ticket.opened')}</span>`
      : h`<form method="post" action="/security/alerts/${alert.id}/ticket" hx-post="/security/alerts/${alert.id}/ticket" hx-target="${target}" hx-swap="outerHTML">${csrf}
      <button type="submit" class="${secondaryButton}">${icon('confirmation_number', 'text-[18px]')}${t('alerts.ticket')}</button></form>`) : ''}
    <details class="group">
      <summary class="${primaryButton} cursor-pointer list-none">${icon('task_alt', 'text-[18px]')}${t('alerts.resolve')}</summary>
      <form method="post" action="/security/alerts/${alert.id}/resolve" hx-post="/security/alerts/${alert.id}/resolve" hx-target="${target}" hx-swap="outerHTML" class="mt-2 w-64 space-y-2">${csrf}
        <label for="note-${alert.id}" class="block text-xs font-medium">${t('alerts.resolve.note')}</label>
        <textarea id="note-${alert.id}" name="note" rows="2" maxlength="5000" class="${inputClass}"></textarea>
        <button type="submit" class="${primaryButton}">${t('alerts.resolve.submit')}</button>
      </form>
    </details>
  </div>`;
}

export function alertRow(view: ViewContext, alert: AlertView, options: { actions: boolean } = { actions: true }): Html {
  return h`<tr id="alert-${alert.id}" data-alert-id="${alert.id}">
    ${cell(h`<p class="font-medium" data-field="title">${alert.title}</p>${alert.asset ? h`<p class="text-xs text-text-sub dark:text-slate-400">${alert.asset}</p>` : ''}
      ${phoneOnly(h`${severityBadge(view, alert.severity)}${statusBadge(view, alert.status)}<span class="text-xs text-text-sub dark:text-slate-400">${alert.source} · ${when(view, alert.last_seen)}</span>`)}`)}
    ${wideCell(severityBadge(view, alert.severity))}
    ${wideCell(alert.source)}
    ${wideCell(statusBadge(view, alert.status))}
    ${wideCell(when(view, alert.last_seen), 'whitespace-nowrap')}
    ${options.actions ? cell(alertActions(view, alert)) : ''}
  </tr>`;
}

/** The active alerts table; re-fetched (with the page's filters) when a live alert event arrives. */
export function alertsList(view: ViewContext, alerts: AlertView[], options: { actions: boolean; refreshUrl: string }): Html {
  const { t } = view;
  const headers = [t('col.title'), ...[t('col.severity'), t('col.source'), t('col.status'), t('col.last_seen')].map((label) => ({ label, wide: true })), ...(options.actions ? [t('col.actions')] : [])];
  return h`<div id="alerts-list" hx-get="${options.refreshUrl}" hx-trigger="sentinel:alerts from:body" hx-swap="outerHTML">
    ${table(headers, alerts.map((alert) => alertRow(view, alert, { actions: options.actions })), t('alerts.none'), 'alerts-table')}
  </div>`;
}

export function securityPage(view: ViewContext, data: { counts: StatusCounts; systems: SystemView[]; alerts: AlertView[] }): Html {
  const { t } = view;
  return page(view, {
    title: t('security.title'), active: '/security',
    content: h`${statusCards(view, data.counts)}
      <div class="grid gap-6">
        ${card(t('security.systems'), systemsTable(view, data.systems))}
        ${card(t('security.active_alerts'), alertsList(view, data.alerts, { actions: false, refreshUrl: '/security/parts/recent-alerts' }),
          { actions: h`<a class="text-sm font-medium text-primary-dark hover:underline dark:text-blue-300" href="/security/alerts">${t('security.all_alerts')}</a>` })}
      </div>`,
  });
}

export function systemPage(view: ViewContext, system: SystemDetail): Html {
  const { t } = view;
  const assets = system.assets.map((asset) => h`<tr>${cell(asset.name)}${cell(asset.kind)}${cell(statusBadge(view, asset.status))}${cell(when(view, asset.last_seen), 'whitespace-nowrap')}</tr>`);
  return page(view, {
    title: system.system, active: '/security',
    content: h`${card(undefined, h`<div class="flex flex-wrap items-center gap-3">${statusBadge(view, system.status)}<span>${system.type}</span><span class="text-text-sub dark:text-slate-400">${system.status_summary ?? ''}</span></div>`)}
      ${card(t('col.assets'), table([t('col.asset'), t('col.type'), t('col.status'), t('col.last_seen')], assets, '—'))}`,
  });
}

const SEVERITY_OPTIONS = ['critical', 'high', 'medium', 'low', 'info'] as const;

export function alertsPage(view: ViewContext, alerts: AlertView[], filter: { severity?: string }): Html {
  const { t } = view;
  const query = filter.severity ? `?severity=${encodeURIComponent(filter.severity)}` : '';
  const filterForm = h`<form method="get" action="/security/alerts" class="flex items-end gap-2">
    <div><label for="severity" class="mb-1 block text-xs font-medium">${t('alerts.filter.severity')}</label>
    <select id="severity" name="severity" class="${inputClass}">
      <option value="">${t('alerts.filter.all')}</option>
      ${SEVERITY_OPTIONS.map((severity) => h`<option value="${severity}" ${filter.severity === severity ? 'selected' : ''}>${t(`severity.${severity}`)}</option>`)}
    </select></div>
    <button type="submit" class="${secondaryButton}">${icon('filter_list', 'text-[18px]')}${t('alerts.filter.apply')}</button>
  </form>`;
  return page(view, {
    title: t('alerts.title'), active: '/security/alerts',
    content: card(undefined, h`<div class="mb-4">${filterForm}</div>${alertsList(view, alerts, { actions: true, refreshUrl: `/security/parts/alerts${query}` })}`),
  });
}

// ---- vulnerabilities: filters held in the URL, and the patch-job life cycle

export interface VulnerabilityFilter {
  severity?: string;
  status?: string;
  system_id?: string;
  cve?: string;
}

export type VulnerabilityRow = VulnerabilityView & { patch_job?: PatchJobView };

const VULNERABILITY_STATUS_OPTIONS = ['open', 'patching', 'accepted_risk', 'resolved'] as const;

/** The filters as a query string: the page's URL, and its fragment's. */
export function vulnerabilityQuery(filter: VulnerabilityFilter): string {
  const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

/** Start a patch (an open finding), or move its patch job on as the API allows. */
function patchActions(view: ViewContext, vulnerability: VulnerabilityRow): Html {
  const { t } = view;
  if (!can(view, 'vulnerabilities:patch')) return h``;
  const target = `#vulnerability-${vulnerability.id}`;
  const csrf = h`<input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">`;
  if (vulnerability.status === 'open') {
    const action = `/security/vulnerabilities/${vulnerability.id}/patch`;
    return h`<form method="post" action="${action}" hx-post="${action}" hx-target="${target}" hx-swap="outerHTML">${csrf}
      <button type="submit" class="${primaryButton}">${icon('healing', 'text-[18px]')}${t('vulns.patch')}</button></form>`;
  }
  const job = vulnerability.patch_job;
  if (vulnerability.status !== 'patching' || job === undefined) return h``;
  const action = `/security/vulnerabilities/${vulnerability.id}/patch-jobs/${job.id}`;
  return h`<div class="flex flex-wrap gap-2">${NEXT_PATCH_STATES[job.status].map((next) => h`<form method="post" action="${action}" hx-post="${action}" hx-target="${target}" hx-swap="outerHTML">${csrf}
      <input type="hidden" name="status" value="${next}">
      <button type="submit" class="${next === 'succeeded' || next === 'in_progress' ? primaryButton : secondaryButton}">${t(`vulns.job.to.${next}`)}</button></form>`)}</div>`;
}

export function vulnerabilityRow(view: ViewContext, vulnerability: VulnerabilityRow): Html {
  const { t } = view;
  const job = vulnerability.patch_job;
  const jobStatus = job === undefined ? '' : h`<p class="mt-1 text-xs text-text-sub dark:text-slate-400" data-field="patch-job">${t('vulns.job', { status: t(`vulns.job.${job.status}`) })}</p>`;
  return h`<tr id="vulnerability-${vulnerability.id}" data-vulnerability-id="${vulnerability.id}" data-status="${vulnerability.status}">
    ${wideCell(h`<span class="font-mono text-xs">${vulnerability.cve}</span>`, 'whitespace-nowrap')}
    ${cell(h`<p class="font-medium">${vulnerability.title}</p><p class="text-xs text-text-sub dark:text-slate-400">${vulnerability.asset} ${vulnerability.package ?? ''}</p>
      ${phoneOnly(h`<span class="font-mono text-xs">${vulnerability.cve}</span>${statusBadge(view, vulnerability.status)}`)}`)}
    ${cell(severityBadge(view, vulnerability.severity))}
    ${wideCell(vulnerability.cvss_score ?? '—')}
    ${wideCell(h`${statusBadge(view, vulnerability.status)}${jobStatus}`)}
    ${wideCell(when(view, vulnerability.last_seen), 'whitespace-nowrap')}
    ${can(view, 'vulnerabilities:patch') ? cell(patchActions(view, vulnerability)) : ''}
  </tr>`;
}

/** The filtered list; re-fetched with the page's filters when a live event says a finding changed. */
export function vulnerabilitiesList(view: ViewContext, items: VulnerabilityRow[], filter: VulnerabilityFilter): Html {
  const { t } = view;
  const headers = [{ label: t('col.cve'), wide: true }, t('col.title'), t('col.severity'), { label: t('col.cvss'), wide: true }, { label: t('col.status'), wide: true }, { label: t('col.last_seen'), wide: true },
    ...(can(view, 'vulnerabilities:patch') ? [t('col.actions')] : [])];
  return h`<div id="vulnerabilities-list" hx-get="/security/parts/vulnerabilities${vulnerabilityQuery(filter)}" hx-trigger="sentinel:vulnerabilities from:body" hx-swap="outerHTML">
    ${table(headers, items.map((item) => vulnerabilityRow(view, item)), t('vulns.none'), 'vulnerabilities-table')}
  </div>`;
}

export function vulnerabilitiesPage(view: ViewContext, items: VulnerabilityRow[], filter: VulnerabilityFilter, systems: { id: string; system: string }[]): Html {
  const { t } = view;
  const select = (name: keyof VulnerabilityFilter, label: string, options: [string, string][]) => h`<div><label for="filter-${name}" class="mb-1 block text-xs font-medium">${label}</label>
    <select id="filter-${name}" name="${name}" class="${inputClass}"><option value="">${t('alerts.filter.all')}</option>
      ${options.map(([value, text]) => h`<option value="${value}" ${filter[name] === value ? 'selected' : ''}>${text}</option>`)}</select></div>`;
  const filterForm = h`<form method="get" action="/security/vulnerabilities" class="flex flex-wrap items-end gap-3">
    ${select('severity', t('alerts.filter.severity'), SEVERITY_OPTIONS.map((severity) => [severity, t(`severity.${severity}`)]))}
    ${select('status', t('col.status'), VULNERABILITY_STATUS_OPTIONS.map((status) => [status, t(`status.${status}` as MessageKey) ?? status]))}
    ${select('system_id', t('col.system'), systems.map((system) => [system.id, system.system]))}
    <div><label for="filter-cve" class="mb-1 block text-xs font-medium">${t('vulns.search')}</label>
      <input id="filter-cve" name="cve" type="search" maxlength="64" pattern="[A-Za-z0-9._:\-]{1,64}" placeholder="CVE-2024-3400" value="${filter.cve ?? ''}" class="${inputClass}"></div>
    <button type="submit" class="${secondaryButton}">${icon('filter_list', 'text-[18px]')}${t('alerts.filter.apply')}</button>
  </form>`;
  return page(view, {
    title: t('vulns.title'), active: '/security/vulnerabilities',
    content: card(undefined, h`<div class="mb-4">${filterForm}</div>${vulnerabilitiesList(view, items, filter)}`),
  });
}

// ---- tickets: the list, and a ticket with its comments

export function ticketsPage(view: ViewContext, items: TicketView[]): Html {
  const { t } = view;
  const rows = items.map((ticket) => h`<tr>
    ${cell(h`<a class="font-medium text-primary-dark hover:underline dark:text-blue-300" href="/security/tickets/${ticket.id}">${ticket.title}</a>`)}
    ${cell(severityBadge(view, ticket.priority))}
    ${cell(statusBadge(view, ticket.status))}
    ${wideCell(when(view, ticket.created_at), 'whitespace-nowrap')}
    ${wideCell(when(view, ticket.updated_at), 'whitespace-nowrap')}
  </tr>`);
  return page(view, {
    title: t('tickets.title'), active: '/security/tickets',
    content: card(undefined, table([t('col.title'), t('col.priority'), t('col.status'), { label: t('col.created'), wide: true }, { label: t('col.updated'), wide: true }], rows, t('tickets.none'))),
  });
}

/** The ticket's status, and the form that changes it (as the API's PATCH allows: any status). */
export function ticketStatus(view: ViewContext, ticket: TicketView): Html {
  const { t } = view;
  const action = `/security/tickets/${ticket.id}/status`;
  const form = can(view, 'tickets:write') ? h`<form method="post" action="${action}" hx-post="${action}" hx-target="#ticket-status" hx-swap="outerHTML" class="flex flex-wrap items-end gap-2">
      <input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">
      <div><label for="ticket-status-select" class="mb-1 block text-xs font-medium">${t('tickets.status.change')}</label>
      <select id="ticket-status-select" name="status" class="${inputClass}">${TICKET_STATUSES.map((status) => h`<option value="${status}" ${status === ticket.status ? 'selected' : ''}>${t(`status.${status}`)}</option>`)}</select></div>
      <button type="submit" class="${secondaryButton}">${t('tickets.status.save')}</button>
    </form>` : '';
  return h`<div id="ticket-status" class="flex flex-wrap items-end gap-4">
    <div class="flex items-center gap-2" data-ticket-status="${ticket.status}">${statusBadge(view, ticket.status)}${severityBadge(view, ticket.priority)}</div>${form}
  </div>`;
}

/** The comments, oldest first, and the form that adds one; the form's answer is this part again. */
export function ticketComments(view: ViewContext, ticket: TicketDetailView): Html {
  const { t } = view;
  const action = `/security/tickets/${ticket.id}/comments`;
  return h`<div id="ticket-comments" class="space-y-4">
    ${ticket.comments.length === 0 ? h`<p class="text-sm text-text-sub dark:text-slate-400">${t('tickets.comments.none')}</p>` : h`<ol class="space-y-3">${ticket.comments.map((comment) => h`<li class="rounded-lg border border-slate-200 p-3 dark:border-slate-700" data-comment-id="${comment.id}">
      <p class="text-xs text-text-sub dark:text-slate-400">${comment.author_username ?? t('tickets.comments.someone')} · ${when(view, comment.created_at)}</p>
      <p class="mt-1 whitespace-pre-wrap text-sm">${comment.body}</p></li>`)}</ol>`}
    ${can(view, 'tickets:comment') ? h`<form method="post" action="${action}" hx-post="${action}" hx-target="#ticket-comments" hx-swap="outerHTML" class="space-y-2">
      <input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">
      <label for="comment-body" class="block text-xs font-medium">${t('tickets.comments.add')}</label>
      <textarea id="comment-body" name="body" rows="3" required maxlength="20000" class="${inputClass}"></textarea>
      <button type="submit" class="${primaryButton}">${icon('send', 'text-[18px]')}${t('tickets.comments.submit')}</button>
    </form>` : ''}
  </div>`;
}

export function ticketPage(view: ViewContext, ticket: TicketDetailView): Html {
  const { t } = view;
  const facts: [string, unknown][] = [
    [t('col.created'), when(view, ticket.created_at)], [t('col.updated'), when(view, ticket.updated_at)],
    [t('tickets.created_by'), ticket.created_by_username ?? '—'], [t('tickets.assignee'), ticket.assignee_username ?? '—'],
  ];
  return page(view, {
    title: ticket.title, active: '/security/tickets',
    content: h`<nav aria-label="${t('tickets.breadcrumb')}" class="text-sm"><a class="text-primary-dark underline dark:text-blue-300" href="/security/tickets">${t('tickets.title')}</a> / <span>${ticket.title}</span></nav>
      ${card(undefined, h`${ticketStatus(view, ticket)}
        <dl class="mt-4 grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">${facts.map(([label, value]) => h`<div><dt class="text-xs text-text-sub dark:text-slate-400">${label}</dt><dd>${value}</dd></div>`)}</dl>
        ${ticket.description === '' ? '' : h`<p class="mt-4 whitespace-pre-wrap text-sm" data-field="description">${ticket.description}</p>`}`)}
      ${card(t('tickets.comments'), ticketComments(view, ticket))}`,
  });
}
