import type { MessageKey } from '../i18n.ts';
import { h, type Html, type ViewContext } from './html.ts';
import { icon, inputClass, secondaryButton } from './layout.ts';

/*
 * Forms generated from a JSON Schema (an integration type's config and secret): one field per
 * property, and the way back from the posted strings to typed values. The API's validation stays
 * the judge: values that do not parse are passed on as typed, so its 400 names the field.
 */

/** The part of JSON Schema the generated forms understand. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

/** A posted form: every field a string (formbody keeps the last of repeated names as an array). */
export type FormBody = Record<string, string | string[] | undefined>;

/** Messages of a 400 by form field name (the API's dotted field names: `config.url`, `secret.password`). */
export interface FormProblem {
  status: number;
  detail: string;
  fields: Record<string, string>;
}

/** The API's message for a field, or for a part of it (`line_ids.1` belongs to `line_ids`). */
export function messageFor(problem: FormProblem | undefined, name: string): string | undefined {
  if (problem === undefined) return undefined;
  return problem.fields[name] ?? Object.entries(problem.fields).find(([field]) => field.startsWith(`${name}.`) || field.startsWith(`${name}[`))?.[1];
}

/** A field's message under it, for fields laid out by hand (checkbox groups). */
export const messageBelow = (problem: FormProblem | undefined, name: string) => {
  const message = messageFor(problem, name);
  return message === undefined ? '' : h`<p class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${message}</p>`;
};

export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

const typeOf = (schema: JsonSchema) => (Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type);

/** A field's label: ours when we have one, else its property name in words. */
function labelOf(view: ViewContext, name: string): string {
  const own = view.t(`field.${name}` as MessageKey) as string | undefined;
  return own ?? name.replaceAll('_', ' ').replace(/^./, (first) => first.toUpperCase());
}

export const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[value.length - 1] : value);

/** The message under a field and the attributes that tie it to the input. */
function fieldMessage(name: string, problem: FormProblem | undefined): { attributes: Html | ''; message: Html | '' } {
  const message = messageFor(problem, name);
  if (message === undefined) return { attributes: '', message: '' };
  const id = `${fieldId(name)}-error`;
  return {
    attributes: h`aria-invalid="true" aria-describedby="${id}"`,
    message: h`<p id="${id}" class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${message}</p>`,
  };
}

const help = (schema: JsonSchema) => (schema.description === undefined ? '' : h`<p class="mt-1 text-xs text-text-sub dark:text-slate-400">${schema.description}</p>`);

/** One input for one property, by its type: a checkbox, a select, a number or a text field. */
function input(view: ViewContext, name: string, schema: JsonSchema, value: unknown, required: boolean, problem: FormProblem | undefined): Html {
  const id = fieldId(name);
  const label = labelOf(view, name.split('.').at(-1)!);
  const { attributes, message } = fieldMessage(name, problem);
  const type = typeOf(schema);
  if (type === 'boolean') {
    const checked = value === true || (value === undefined && schema.default === true);
    return h`<div><div class="flex items-center gap-2">
      <input type="checkbox" id="${id}" name="${name}" value="true" ${checked ? 'checked' : ''} ${attributes} class="h-4 w-4 rounded border-slate-300 text-primary-dark">
      <label for="${id}" class="text-sm font-medium">${label}</label></div>${help(schema)}${message}</div>`;
  }
  const shown = value === undefined ? (schema.default ?? '') : value;
  const labelled = h`<label for="${id}" class="mb-1 block text-sm font-medium">${label}${required ? '' : h` <span class="font-normal text-text-sub dark:text-slate-400">(${view.t('form.optional')})</span>`}</label>`;
  if (schema.enum !== undefined) {
    return h`<div>${labelled}<select id="${id}" name="${name}" ${attributes} class="${inputClass}">
      ${required ? '' : h`<option value=""></option>`}
      ${schema.enum.map((option) => h`<option value="${String(option)}" ${String(option) === String(shown) ? 'selected' : ''}>${String(option)}</option>`)}
    </select>${help(schema)}${message}</div>`;
  }
  const numeric = type === 'integer' || type === 'number';
  return h`<div>${labelled}<input id="${id}" name="${name}" ${numeric ? h`type="number" inputmode="numeric" ${schema.minimum !== undefined ? h`min="${schema.minimum}"` : ''} ${schema.maximum !== undefined ? h`max="${schema.maximum}"` : ''}` : h`type="text" ${schema.maxLength !== undefined ? h`maxlength="${schema.maxLength}"` : ''}`}
    value="${String(shown)}" ${required ? 'required' : ''} ${attributes} autocomplete="off" class="${inputClass}">${help(schema)}${message}</div>`;
}

/** A field for each property of an object schema, named `<prefix>.<property>`, filled from `values`. */
export function schemaFields(view: ViewContext, schema: JsonSchema, options: { prefix: string; values: Record<string, unknown>; problem: FormProblem | undefined }): Html {
  const required = new Set(schema.required ?? []);
  return h`${Object.entries(schema.properties ?? {}).map(([property, propertySchema]) =>
    input(view, `${options.prefix}.${property}`, propertySchema, options.values[property], required.has(property), options.problem))}`;
}

/** A write-only password field: never filled; "•••• set" says a value is stored and left as it is when empty. */
function secretInput(view: ViewContext, name: string, label: string, isSet: boolean, required: boolean, problem: FormProblem | undefined): Html {
  const id = fieldId(name);
  const { attributes, message } = fieldMessage(name, problem);
  return h`<div><label for="${id}" class="mb-1 block text-sm font-medium">${label}</label>
    <input id="${id}" name="${name}" type="password" autocomplete="new-password" ${required && !isSet ? 'required' : ''} placeholder="${isSet ? `•••• ${view.t('form.secret.set')}` : ''}" ${attributes} class="${inputClass}">
    ${isSet ? h`<p class="mt-1 text-xs text-text-sub dark:text-slate-400">${view.t('form.secret.keep')}</p>` : ''}${message}</div>`;
}

/**
 * The credential's fields: one password field for a string, one per property for an object, each
 * alternative of a union in its own group (the first one filled in is sent).
 */
export function secretFields(view: ViewContext, schema: JsonSchema, options: { isSet: boolean; required: boolean; problem: FormProblem | undefined }): Html {
  const { isSet, problem } = options;
  const variants = schema.anyOf ?? [schema];
  const groups = variants.map((variant, index) => {
    const prefix = variants.length === 1 ? 'secret' : `secret.${index}`;
    if (typeOf(variant) === 'object') {
      return h`${Object.keys(variant.properties ?? {}).map((property) => secretInput(view, `${prefix}.${property}`, labelOf(view, property), isSet, options.required && variants.length === 1, problem))}`;
    }
    return h`${secretInput(view, prefix, view.t('form.secret'), isSet, options.required && variants.length === 1, problem)}${variants.length === 1 ? help(variant) : ''}`;
  });
  // A message for the credential as a whole (its parts have theirs under their fields).
  const own = problem?.fields.secret === undefined ? '' : h`<p class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${problem.fields.secret}</p>`;
  if (groups.length === 1) return h`${groups[0]}${own}`;
  return h`<p class="text-sm text-text-sub dark:text-slate-400">${view.t('form.secret.either')}</p>
    ${groups.map((group, index) => h`<fieldset class="space-y-3 rounded-lg border border-slate-200 p-3 dark:border-slate-700"><legend class="px-1 text-sm font-medium">${view.t('form.secret.option', { n: index + 1 })}</legend>${group}</fieldset>`)}${own}`;
}

/** A typed value from a posted string, by the schema; what does not parse goes on as typed. */
function parseValue(schema: JsonSchema, raw: string): unknown {
  const type = typeOf(schema);
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  return raw;
}

/**
 * The object a form of `schemaFields` posted: booleans from their checkboxes (absent: false),
 * empty optional fields left out so the API fills its defaults.
 */
export function formValues(schema: JsonSchema, body: FormBody, prefix: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [property, propertySchema] of Object.entries(schema.properties ?? {})) {
    const raw = first(body[`${prefix}.${property}`]);
    if (typeOf(propertySchema) === 'boolean') values[property] = raw === 'true';
    else if (raw !== undefined && raw.trim() !== '') values[property] = parseValue(propertySchema, raw.trim());
  }
  return values;
}

/** The credential a form of `secretFields` posted, or undefined when nothing was typed (keep the stored one). */
export function secretValue(schema: JsonSchema, body: FormBody): string | Record<string, string> | undefined {
  const variants = schema.anyOf ?? [schema];
  for (const [index, variant] of variants.entries()) {
    const prefix = variants.length === 1 ? 'secret' : `secret.${index}`;
    if (typeOf(variant) === 'object') {
      const entries = Object.keys(variant.properties ?? {}).map((property) => [property, first(body[`${prefix}.${property}`]) ?? ''] as const);
      if (entries.some(([, value]) => value !== '')) return Object.fromEntries(entries.filter(([, value]) => value !== ''));
    } else {
      const value = first(body[prefix]) ?? '';
      if (value !== '') return value;
    }
  }
  return undefined;
}

/** The problem's summary at the top of a form. */
export const problemSummary = (problem: FormProblem | undefined) =>
  problem === undefined ? '' : h`<p role="alert" class="rounded-lg bg-red-100 px-3 py-2 text-sm text-red-800 dark:bg-red-900/60 dark:text-red-100">${problem.detail}</p>`;

/** The hidden CSRF field of every state-changing form. */
export const csrfField = (view: ViewContext) => h`<input type="hidden" name="_csrf" value="${view.csrfToken ?? ''}">`;

export const linkClass = 'font-medium text-primary-dark hover:underline dark:text-blue-300';
export const dangerButton = 'inline-flex items-center gap-1 rounded-lg bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800';
export const labelClass = 'mb-1 block text-sm font-medium';

/** A POST button in a small form of its own (revoke, end sessions …), with its CSRF token. */
export function postButton(view: ViewContext, action: string, label: string, symbol: string, className = secondaryButton): Html {
  return h`<form method="post" action="${action}" class="inline">${csrfField(view)}<button type="submit" class="${className}">${icon(symbol, 'text-[18px]')}${label}</button></form>`;
}

/** A destructive action behind a confirmation: the button opens the question and the real button. */
export function confirmed(view: ViewContext, action: string, label: string, question: string): Html {
  return h`<details class="inline-block"><summary class="${secondaryButton} cursor-pointer list-none">${icon('delete', 'text-[18px]')}${label}</summary>
    <div class="mt-2 max-w-xs space-y-2"><p class="text-sm">${question}</p>${postButton(view, action, label, 'delete_forever', dangerButton)}</div></details>`;
}

/** A text input with its label and the API's message for it. */
export function textField(view: ViewContext, options: { name: string; label: string; value: string; problem: FormProblem | undefined; required?: boolean; type?: string; maxlength?: number; help?: string }): Html {
  const id = fieldId(options.name);
  const message = messageFor(options.problem, options.name);
  return h`<div><label for="${id}" class="${labelClass}">${options.label}</label>
    <input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value}" ${options.required ? 'required' : ''} ${options.maxlength ? h`maxlength="${options.maxlength}"` : ''}
      ${message ? h`aria-invalid="true" aria-describedby="${id}-error"` : ''} autocomplete="off" class="${inputClass}">
    ${options.help ? h`<p class="mt-1 text-xs text-text-sub dark:text-slate-400">${options.help}</p>` : ''}
    ${message ? h`<p id="${id}-error" class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${message}</p>` : ''}</div>`;
}

export function selectField(view: ViewContext, options: { name: string; label: string; value: string; choices: readonly (readonly [string, string])[]; problem: FormProblem | undefined }): Html {
  const id = fieldId(options.name);
  const message = messageFor(options.problem, options.name);
  return h`<div><label for="${id}" class="${labelClass}">${options.label}</label>
    <select id="${id}" name="${options.name}" ${message ? h`aria-invalid="true" aria-describedby="${id}-error"` : ''} class="${inputClass}">
      ${options.choices.map(([value, label]) => h`<option value="${value}" ${value === options.value ? 'selected' : ''}>${label}</option>`)}
    </select>${message ? h`<p id="${id}-error" class="mt-1 text-xs font-medium text-red-700 dark:text-red-300">${message}</p>` : ''}</div>`;
}
