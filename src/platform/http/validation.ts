import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { isStorableText } from '../text.ts';
import { lazyValidatorCompiler } from './compile-once.ts';

/** Compiles JSON schemas into validators. */
export interface SchemaCompiler {
  compile(schema: object): ValidateFunction;
}

/**
 * An Ajv instance with Sentinel's defaults (all errors, formats, defaults applied, no silent
 * stripping), created at its first compilation: seven are set up at start and each costs a few
 * milliseconds that a start answering its first probe need not spend.
 */
export function buildAjv(options: Options): SchemaCompiler {
  let ajv: Ajv | undefined;
  return {
    compile(schema) {
      if (ajv === undefined) {
        ajv = new Ajv({ allErrors: true, strict: false, removeAdditional: false, useDefaults: true, ...options });
        addFormats.default(ajv);
      }
      return ajv.compile(schema);
    },
  };
}

/**
 * Bodies are validated strictly (a number is not a string, unknown fields are errors); query
 * strings and path parameters arrive as text, so they are coerced to the declared types. Every
 * part also refuses text that one of the supported databases cannot store, so that the same
 * input gets the same answer (400) on each of them.
 */
export function registerValidation(app: FastifyInstance): void {
  const strict = buildAjv({ coerceTypes: false });
  const coercing = buildAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(lazyValidatorCompiler((route: { schema: object; httpPart?: string }) => {
    if (route.httpPart === 'body') return refusingUnstorableText(strict.compile(route.schema));
    const validate = refusingUnstorableText(coercing.compile(route.schema));
    return route.httpPart === 'querystring' ? splittingCommaLists(route.schema as QuerySchema, validate) : validate;
  }));
}

/**
 * Multi-value query parameters (arrays in the schema) take a comma-separated list as well as the
 * parameter repeated: `severity=critical,high` is `severity=critical&severity=high`.
 */
type QuerySchema = { properties?: Record<string, { type?: unknown }> };

function splittingCommaLists(schema: QuerySchema, validate: ValidateFunction): ValidateFunction {
  const lists = Object.entries(schema.properties ?? {}).filter(([, property]) => property.type === 'array').map(([name]) => name);
  if (lists.length === 0) return validate;
  const wrapped = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    if (typeof data === 'object' && data !== null) {
      const query = data as Record<string, unknown>;
      for (const name of lists) {
        const value = query[name];
        if (typeof value === 'string') query[name] = value.split(',');
        else if (Array.isArray(value)) query[name] = value.flatMap((item) => (typeof item === 'string' ? item.split(',') : [item]));
      }
    }
    const valid = validate(data, context);
    wrapped.errors = validate.errors;
    return valid;
  }) as ValidateFunction;
  wrapped.schemaEnv = validate.schemaEnv;
  return wrapped;
}

const MAX_REPORTED_FIELDS = 20;

interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
}

/** An Ajv error at the visited value; its JSON Pointer is built only for the few values reported. */
function unstorableError(visit: Visit): ErrorObject {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(String(at.key).replaceAll('~', '~0').replaceAll('/', '~1'));
  const instancePath = keys.reverse().map((key) => `/${key}`).join('');
  return { instancePath, schemaPath: '#', keyword: 'storableText', params: {}, message: 'must not contain NUL or unpaired surrogate characters' };
}

/**
 * Whether any text in the value, keys included, is unstorable. A lean first pass that allocates
 * nothing per field, so clean input (nearly all of it: a 1,000-point batch has ~5,000 strings)
 * skips the walk that keeps each value's place for the error paths.
 */
function holdsUnstorableText(data: unknown): boolean {
  const containers: object[] = [];
  const unstorable = (value: unknown): boolean => {
    if (typeof value === 'string') return !isStorableText(value);
    if (typeof value === 'object' && value !== null) containers.push(value);
    return false;
  };
  if (unstorable(data)) return true;
  while (containers.length > 0) {
    const container = containers.pop()!;
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index++) if (unstorable(container[index])) return true;
    } else {
      for (const key in container) {
        if (Object.hasOwn(container, key) && (!isStorableText(key) || unstorable((container as Record<string, unknown>)[key]))) return true;
      }
    }
  }
  return false;
}

/**
 * Where a value holds text that not every supported database can store (see isStorableText); keys
 * count as text too. As Ajv errors, so they answer like any other invalid field.
 * Walked with an explicit stack: deep input must not overflow the call stack.
 */
export function unstorableText(data: unknown): ErrorObject[] {
  if (!holdsUnstorableText(data)) return [];
  const errors: ErrorObject[] = [];
  const pending: Visit[] = [];
  // Strings are checked where they are met; only containers are queued, with their place for the paths.
  const meet = (value: unknown, key: Visit['key'], parent: Visit | undefined) => {
    if (typeof value === 'string') {
      if (!isStorableText(value)) errors.push(unstorableError({ value, key, parent }));
    } else if (typeof value === 'object' && value !== null) {
      pending.push({ value, key, parent });
    }
  };
  meet(data, undefined, undefined);
  while (pending.length > 0 && errors.length < MAX_REPORTED_FIELDS) {
    const visit = pending.pop()!;
    if (Array.isArray(visit.value)) {
      visit.value.forEach((item, index) => meet(item, index, visit));
    } else {
      for (const [key, item] of Object.entries(visit.value as object)) {
        if (isStorableText(key)) meet(item, key, visit);
        else errors.push(unstorableError({ value: item, key, parent: visit }));
      }
    }
  }
  return errors;
}

/**
 * A validator that also refuses unstorable text anywhere in the input it validates. Input the
 * schema refuses is not walked: it is answered 400 anyway, and hostile shapes stop at the schema.
 */
function refusingUnstorableText(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    if (!validate(data, context)) {
      wrapped.errors = validate.errors;
      return false;
    }
    const unstorable = unstorableText(data);
    wrapped.errors = unstorable.length > 0 ? unstorable : null;
    return unstorable.length === 0;
  }) as ValidateFunction;
  // Fastify passes the parent object (which lets Ajv coerce a root value) only to validators that have one.
  wrapped.schemaEnv = validate.schemaEnv;
  return wrapped;
}
