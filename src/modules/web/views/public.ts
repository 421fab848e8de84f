import type { MessageKey } from '../i18n.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { documentShell, icon, inputClass, page, primaryButton } from './layout.ts';

export function loginPage(view: ViewContext, options: { csrfToken: string; next: string; username?: string; message?: string }): Html {
  const { t } = view;
  return documentShell(view, t('login.title'), h`<main id="main" class="flex min-h-screen items-center justify-center p-4">
  <div class="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-700 dark:bg-surface-dark">
    <div class="mb-6 flex items-center gap-2">${icon('radar', 'text-primary text-[32px]')}<div>
      <h1 class="text-xl font-bold">${t('app.name')}</h1><p class="text-sm text-text-sub dark:text-slate-400">${t('login.subtitle')}</p></div></div>
    ${options.message === undefined ? '' : h`<p role="alert" class="mb-4 rounded-lg bg-red-100 px-3 py-2 text-sm text-red-800 dark:bg-red-900/60 dark:text-red-100">${options.message}</p>`}
    <form method="post" action="/login" class="space-y-4">
      <input type="hidden" name="_csrf" value="${options.csrfToken}">
      <input type="hidden" name="next" value="${options.next}">
      <div><label for="username" class="mb-1 block text-sm font-medium">${t('login.username')}</label>
        <input id="username" name="username" autocomplete="username" required maxlength="254" value="${options.username ?? ''}" class="${inputClass}"></div>
      <div><label for="password" class="mb-1 block text-sm font-medium">${t('login.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024" class="${inputClass}"></div>
      <button type="submit" class="${primaryButton} w-full justify-center py-2">${icon('login', 'text-[20px]')}${t('login.submit')}</button>
    </form>
  </div>
</main>`);
}

export type ErrorPageStatus = 400 | 403 | 404 | 500;

const ERROR_ICONS: Record<number, string> = { 400: 'report', 403: 'block', 404: 'travel_explore', 500: 'error' };

/** 400, 403, 404 and 500 in the same look: inside the app for a signed-in user, alone otherwise. */
export function errorPage(view: ViewContext, status: ErrorPageStatus, detail?: string, shownStatus?: number): Html {
  const { t } = view;
  const title = t(`error.${status}.title` as MessageKey);
  const content = h`<div class="mx-auto max-w-lg py-16 text-center">
    ${icon(ERROR_ICONS[status]!, 'text-[56px] text-primary')}
    <p class="mt-2 text-sm font-semibold text-slate-600 dark:text-slate-400">${shownStatus ?? status}</p>
    <h2 class="mt-1 text-2xl font-bold">${title}</h2>
    <p class="mt-2 text-slate-600 dark:text-slate-300">${detail ?? t(`error.${status}.body` as MessageKey)}</p>
    <a href="/" class="${primaryButton} mt-6">${icon('home', 'text-[20px]')}${t('error.back')}</a>
  </div>`;
  if (view.principal !== undefined) return page(view, { title, active: '', content });
  return documentShell(view, title, h`<main id="main" class="p-4">${content}</main>`);
}

/** Statuses with a title of their own; the others take their class's (400 or 500). */
const TITLED = new Set([400, 403, 404, 409, 422, 429, 500]);
const BODIES: Partial<Record<number, MessageKey>> = { 403: 'error.403.body', 404: 'error.404.body', 429: 'error.429.body', 500: 'error.500.body' };

/**
 * The RFC 9457 problem an HTMX request gets (its page stays; app.js shows title and detail), in the
 * page's language; `detail` is what the error page would show (a CSRF refusal's own sentence).
 */
export function htmxProblem(view: ViewContext, status: number, pageStatus: ErrorPageStatus, detail: string | undefined): string {
  const titled = TITLED.has(status) ? status : pageStatus === 500 ? 500 : 400;
  const own = BODIES[status];
  // Our own sentence where there is one (a limiter's words are English); else the server's, else the class's.
  const shown = own !== undefined && status !== 403 ? view.t(own) : detail ?? view.t(BODIES[pageStatus] ?? 'error.400.body');
  return JSON.stringify({ type: 'about:blank', title: view.t(`error.${titled}.title` as MessageKey), status, detail: shown });
}
