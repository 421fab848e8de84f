import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/** An Ajv instance with Sentinel's defaults (all errors, formats, defaults applied, no silent stripping). */
export function buildAjv(options: Options) {
  const ajv = new Ajv({ allErrors: true, strict: false, removeAdditional: false, useDefaults: true, ...options });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a number is not a string, unknown fields are errors); query
 * strings and path parameters arrive as text, so they are coerced to the declared types.
 */
export function registerValidation(app: FastifyInstance): void {
  const strict = buildAjv({ coerceTypes: false });
  const coercing = buildAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
