import { html } from 'hono/html';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { Permission } from '../../../platform/auth/permissions.ts';
import type { AssetTable } from '../assets.ts';
import type { Language } from '../../../platform/languages.ts';
import type { Translate } from '../i18n.ts';

/** Markup whose every interpolated value was escaped (text and attributes alike). */
export type Html = Exclude<ReturnType<typeof html>, Promise<unknown>>;

/**
 * The one way views write markup: hono's `html` template, which escapes every value unless it is
 * markup made here. Views get their data before rendering, so the result is never a promise.
 * (hono's `raw()` would bypass escaping: views do not use it.)
 */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new Error('views render synchronously: fetch the data first');
  return out;
}

export type Theme = 'dark' | 'light';

/** What every page needs to know about the request it answers. */
export interface ViewContext {
  t: Translate;
  language: Language;
  theme: Theme;
  timeZone: string;
  /** The signed-in user; undefined on the sign-in and error pages of anonymous visitors. */
  principal: Principal | undefined;
  csrfToken: string | undefined;
  assets: AssetTable;
  /** The requested path and query, where the theme and language switches come back to. */
  path: string;
}

export const can = (view: ViewContext, permission: Permission) => view.principal?.permissions.has(permission) === true;
