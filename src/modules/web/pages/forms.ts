import type { FastifyReply } from 'fastify';
import type { ValidateFunction } from 'ajv';
import { Type, type TSchema } from 'typebox';
import { badRequest, fieldErrors, HttpError, statusTitle } from '../../../platform/http/errors.ts';
import { buildAjv, unstorableText } from '../../../platform/http/validation.ts';
import { fieldErrorSentence } from '../../../platform/http/field-error-text.ts';
import { saidByCodes } from '../i18n.ts';
import { HTML } from '../page-kit.ts';
import type { FormProblem } from '../views/forms.ts';
import type { Html, ViewContext } from '../views/html.ts';
import { say } from '../../../platform/languages.ts';

/* What the pages with forms share: the posted body's shape, and a form shown again with its 400. */

/**
 * A posted form: strings, and lists for repeated names (checkboxes). Room for the largest form, the
 * template editor: 50 widgets of 7 fields each.
 */
export const FormBodySchema = Type.Record(
  Type.String({ maxLength: 100 }),
  Type.Union([Type.String({ maxLength: 8192 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })]),
  { maxProperties: 400 },
);

const ajv = buildAjv({ coerceTypes: false });
const validators = new WeakMap<TSchema, ValidateFunction>();

/**
 * What a form posted, checked against the API's own body schema: the same rules and the same 400
 * naming the same fields as a client of the API gets (the services rely on that validation).
 */
export function asApiBody<T>(schema: TSchema, value: T): T {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  const issues = [...(validate(value) ? [] : (validate.errors ?? [])), ...unstorableText(value)];
  if (issues.length > 0) throw badRequest(say('Some fields are not valid', 'Algunos campos no son válidos'), fieldErrors(issues, { whole: 'body' }));
  return value;
}

/** A form's change: its value, or the problem the form shows. */
export type FormOutcome<T> = { value: T; problem?: never } | { problem: FormProblem; value?: never };

/**
 * Runs a change and turns the client errors a form can show (400, 409) into a problem for the form
 * to render again, in the page's language (`view`, asked for only then); anything else goes on to
 * the error page.
 */
export async function attempt<T>(view: () => Promise<Pick<ViewContext, 't' | 'language'>>, work: () => Promise<T>): Promise<FormOutcome<T>> {
  try {
    return { value: await work() };
  } catch (error) {
    if (!(error instanceof HttpError) || (error.status !== 400 && error.status !== 409)) throw error;
    const { t, language } = await view();
    const errors = error.errors ?? [];
    // A field that breaks several rules (a password) shows them all.
    const fields: Record<string, string> = {};
    for (const issue of errors) fields[issue.field] = [fields[issue.field], fieldErrorSentence(issue, language)].filter(Boolean).join('; ');
    // Fields that all have codes say what is wrong in the page's language, and the API's English
    // summary of them gives way to the page's own; a service's own sentences stay as they are.
    const detail = saidByCodes(errors) ? t('form.invalid') : (error.localizedDetail ?? statusTitle(error.status))[language];
    return { problem: { status: error.status, detail, fields } };
  }
}

/** A form shown again with what was wrong (returned, not sent: audited writes commit first). */
export function again(reply: FastifyReply, status: number, markup: Html): string {
  reply.code(status).type(HTML);
  return String(markup);
}
