import type { IntegrationView } from '../../integrations/integrations.schemas.ts';
import type { CheckResult, ProviderDefinition } from '../../integrations/providers/types.ts';
import { formatDateTime } from '../i18n.ts';
import { confirmed, csrfField, messageBelow, textField, type FormProblem, type JsonSchema, linkClass, problemSummary, schemaFields, secretFields } from './forms.ts';
import { can, h, type Html, type ViewContext } from './html.ts';
import { badge, card, cell, icon, page, phoneOnly, primaryButton, secondaryButton, table, wideCell } from './layout.ts';

export interface SyncResult {
  status: 'success' | 'error';
  systems: number;
  assets: number;
  alerts: number;
  vulnerabilities: number;
  duration_ms: number;
  error?: string;
}

/** What the pages know of each vendor type: its name, capabilities and the schemas of its settings. */
export type IntegrationTypes = Record<string, ProviderDefinition>;


function syncBadge(view: ViewContext, integration: IntegrationView): Html {
  const { t } = view;
  if (integration.last_sync_status === 'success') return badge(t('integrations.sync.success'), 'green');
  if (integration.last_sync_status === 'error') return badge(t('integrations.sync.error'), 'red');
  return badge(t('integrations.sync.never'), 'slate');
}

export function integrationsPage(view: ViewContext, items: IntegrationView[], types: IntegrationTypes): Html {
  const { t } = view;
  const when = (iso: string | null) => formatDateTime(iso, view.language, view.timeZone);
  const rows = items.map((integration) => h`<tr>
    ${cell(h`<a class="${linkClass}" href="/integrations/${integration.id}">${integration.name}</a>
      ${phoneOnly(h`${syncBadge(view, integration)}<span class="text-xs text-text-sub dark:text-slate-400">${types[integration.type]?.label ?? integration.type}</span>`)}`)}
    ${wideCell(types[integration.type]?.label ?? integration.type)}
    ${cell(integration.enabled ? badge(t('integrations.enabled'), 'blue') : badge(t('integrations.disabled'), 'slate'))}
    ${wideCell(h`${syncBadge(view, integration)} <span class="whitespace-nowrap text-xs text-text-sub dark:text-slate-400">${when(integration.last_sync_at)}</span>`)}
    ${wideCell(integration.last_error === null ? '—' : h`<span class="line-clamp-2 text-xs text-red-700 dark:text-red-300">${integration.last_error}</span>`, 'max-w-xs')}
  </tr>`);
  const connect = can(view, 'integrations:write') ? h`<a class="${primaryButton}" href="/integrations/new">${icon('add_link', 'text-[18px]')}${t('integrations.new')}</a>` : undefined;
  return page(view, {
    title: t('integrations.title'), active: '/integrations',
    content: card(t('integrations.title'), table([t('admin.col.name'), { label: t('col.type'), wide: true }, t('admin.col.state'), { label: t('integrations.last_sync'), wide: true }, { label: t('integrations.last_error'), wide: true }], rows, t('integrations.none')),
      connect === undefined ? {} : { actions: connect }),
  });
}

/** The fields every integration has: its name, whether it syncs, and what it feeds (capabilities). */
function commonFields(view: ViewContext, definition: ProviderDefinition, values: { name: string; enabled: boolean; capabilities: readonly string[] }, problem: FormProblem | undefined): Html {
  const { t } = view;
  return h`${textField(view, { name: 'name', label: t('admin.col.name'), value: values.name, problem, required: true, maxlength: 120 })}
    <div class="flex items-center gap-2"><input type="checkbox" id="f-enabled" name="enabled" value="true" ${values.enabled ? 'checked' : ''} class="h-4 w-4 rounded border-slate-300">
      <label for="f-enabled" class="text-sm font-medium">${t('integrations.enabled.label')}</label></div>
    <fieldset><legend class="mb-1 text-sm font-medium">${t('integrations.capabilities')}</legend><div class="flex flex-wrap gap-4">
      ${definition.capabilities.map((capability) => h`<label class="inline-flex items-center gap-2 text-sm"><input type="checkbox" name="capabilities" value="${capability}" ${values.capabilities.includes(capability) ? 'checked' : ''} class="h-4 w-4 rounded border-slate-300">${capability}</label>`)}
    </div>${messageBelow(problem, 'capabilities')}</fieldset>`;
}

function settingsSections(view: ViewContext, definition: ProviderDefinition, config: Record<string, unknown>, secretSet: boolean, problem: FormProblem | undefined): Html {
  const { t } = view;
  return h`<fieldset class="space-y-4"><legend class="mb-2 text-sm font-semibold uppercase tracking-wider text-text-sub dark:text-slate-400">${t('integrations.settings')}</legend>
      ${schemaFields(view, definition.configSchema as JsonSchema, { prefix: 'config', values: config, problem })}</fieldset>
    <fieldset class="space-y-4"><legend class="mb-2 text-sm font-semibold uppercase tracking-wider text-text-sub dark:text-slate-400">${t('integrations.credential')}</legend>
      ${secretFields(view, definition.secretSchema as JsonSchema, { isSet: secretSet, required: definition.secretRequired, problem })}</fieldset>`;
}

/** The form to connect a system of one type, with a switch between the types. */
export function newIntegrationPage(view: ViewContext, types: IntegrationTypes, type: string, form: { name: string; enabled: boolean; capabilities: readonly string[]; config: Record<string, unknown> }, problem?: FormProblem): Html {
  const { t } = view;
  const definition = types[type]!;
  const chooser = h`<nav aria-label="${t('integrations.type')}" class="flex flex-wrap gap-2">${Object.values(types).map((candidate) =>
    h`<a href="/integrations/new?type=${candidate.type}" ${candidate.type === type ? h`aria-current="page"` : ''} class="${candidate.type === type ? primaryButton : secondaryButton}">${candidate.label}</a>`)}</nav>`;
  return page(view, {
    title: t('integrations.new'), active: '/integrations',
    content: h`${card(t('integrations.type'), chooser)}
      ${card(definition.label, h`<form method="post" action="/integrations" class="max-w-2xl space-y-5" novalidate>${csrfField(view)}
        <input type="hidden" name="type" value="${type}">
        ${problemSummary(problem)}
        ${commonFields(view, definition, form, problem)}
        ${settingsSections(view, definition, form.config, false, problem)}
        <div class="flex gap-2"><button type="submit" class="${primaryButton}">${icon('add_link', 'text-[18px]')}${t('integrations.create')}</button>
          <a href="/integrations" class="${secondaryButton}">${t('form.cancel')}</a></div>
      </form>`)}`,
  });
}

/** What a connection test or a sync answered, shown in place (HTMX) or on the page. */
export function integrationResult(view: ViewContext, result: { kind: 'test'; check: CheckResult } | { kind: 'sync'; outcome: SyncResult } | undefined): Html {
  const { t } = view;
  if (result === undefined) return h`<div id="integration-result" aria-live="polite"></div>`;
  const ok = result.kind === 'test' ? result.check.ok : result.outcome.status === 'success';
  const tone = ok ? 'bg-green-100 text-green-800 dark:bg-green-900/60 dark:text-green-100' : 'bg-red-100 text-red-800 dark:bg-red-900/60 dark:text-red-100';
  const body = result.kind === 'test'
    ? h`<p class="font-semibold">${t(ok ? 'integrations.test.ok' : 'integrations.test.failed')} · ${result.check.latency_ms} ms</p><p>${result.check.detail}</p>`
    : h`<p class="font-semibold">${t(ok ? 'integrations.sync.done' : 'integrations.sync.failed')} · ${result.outcome.duration_ms} ms</p>
      <p>${t('integrations.sync.counts', { systems: result.outcome.systems, assets: result.outcome.assets, alerts: result.outcome.alerts, vulnerabilities: result.outcome.vulnerabilities })}</p>
      ${result.outcome.error ? h`<p>${result.outcome.error}</p>` : ''}`;
  return h`<div id="integration-result" aria-live="polite"><div role="status" class="rounded-lg px-3 py-2 text-sm ${tone}">${body}</div></div>`;
}

export function integrationPage(view: ViewContext, integration: IntegrationView, definition: ProviderDefinition | undefined, options: { problem?: FormProblem; result?: Parameters<typeof integrationResult>[1]; form?: { name: string; enabled: boolean; capabilities: readonly string[]; config: Record<string, unknown> } } = {}): Html {
  const { t } = view;
  const when = (iso: string | null) => formatDateTime(iso, view.language, view.timeZone);
  const writable = can(view, 'integrations:write') && definition !== undefined;
  const actionForm = (action: 'test' | 'sync', symbol: string, label: string) => h`<form method="post" action="/integrations/${integration.id}/${action}" hx-post="/integrations/${integration.id}/${action}" hx-target="#integration-result" hx-swap="outerHTML" hx-disabled-elt="find button">${csrfField(view)}
    <button type="submit" class="${secondaryButton}">${icon(symbol, 'text-[18px]')}${label}</button></form>`;
  const summary = h`<dl class="grid gap-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
      <div><dt class="text-text-sub dark:text-slate-400">${t('col.type')}</dt><dd class="font-medium">${definition?.label ?? integration.type}</dd></div>
      <div><dt class="text-text-sub dark:text-slate-400">${t('admin.col.state')}</dt><dd>${integration.enabled ? badge(t('integrations.enabled'), 'blue') : badge(t('integrations.disabled'), 'slate')}</dd></div>
      <div><dt class="text-text-sub dark:text-slate-400">${t('integrations.last_sync')}</dt><dd>${syncBadge(view, integration)} <span class="text-xs">${when(integration.last_sync_at)}</span></dd></div>
      <div><dt class="text-text-sub dark:text-slate-400">${t('integrations.capabilities')}</dt><dd>${integration.capabilities.join(', ') || '—'}</dd></div>
    </dl>
    ${integration.last_error === null ? '' : h`<div class="mt-4 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-900/40 dark:text-red-100"><p class="font-semibold">${t('integrations.last_error')}</p><p class="break-words">${integration.last_error}</p></div>`}
    ${writable ? h`<div class="mt-4 flex flex-wrap gap-2">${actionForm('test', 'network_check', t('integrations.test'))}${actionForm('sync', 'sync', t('integrations.sync_now'))}</div>` : ''}
    <div class="mt-4">${integrationResult(view, options.result)}</div>`;
  const form = options.form ?? { name: integration.name, enabled: integration.enabled, capabilities: integration.capabilities, config: integration.config };
  const edit = writable ? card(t('integrations.edit'), h`<form method="post" action="/integrations/${integration.id}" class="max-w-2xl space-y-5" novalidate>${csrfField(view)}
      ${problemSummary(options.problem)}
      ${commonFields(view, definition, form, options.problem)}
      ${settingsSections(view, definition, form.config, integration.secret_set, options.problem)}
      <button type="submit" class="${primaryButton}">${icon('save', 'text-[18px]')}${t('form.save')}</button>
    </form>`) : '';
  const remove = writable ? card(t('integrations.delete'), confirmed(view, `/integrations/${integration.id}/delete`, t('integrations.delete'), t('integrations.delete.confirm', { name: integration.name }))) : '';
  return page(view, {
    title: integration.name, active: '/integrations',
    content: h`${card(undefined, summary)}${edit}${remove}
      <p><a class="${linkClass}" href="/integrations">${t('integrations.back')}</a></p>`,
  });
}
