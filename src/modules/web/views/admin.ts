import type { UserView } from '../../users/users.schemas.ts';
import { formatDateTime } from '../i18n.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { badge, card, cell, icon, page, secondaryButton, table, wideCell } from './layout.ts';

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

export function usersPage(view: ViewContext, users: UserView[]): Html {
  const { t } = view;
  const rows = users.map((user) => h`<tr>
    ${cell(h`<span class="font-medium">${user.username}</span>`)}
    ${wideCell(user.email ?? '—')}
    ${cell(badge(user.role, 'blue'))}
    ${cell(user.is_active ? t('common.yes') : t('common.no'))}
    ${wideCell(formatDateTime(user.created_at, view.language, view.timeZone), 'whitespace-nowrap')}
  </tr>`);
  return page(view, {
    title: t('admin.users'), active: '/admin/users',
    content: card(undefined, table([t('col.username'), { label: t('col.email'), wide: true }, t('col.role'), t('col.active'), { label: t('col.created'), wide: true }], rows, '—')),
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
