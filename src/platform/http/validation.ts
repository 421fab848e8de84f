import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { compileOnce } from './compile-once.ts';

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
  const compileStrict = compileOnce(({ schema }: { schema: object }) => strict.compile(schema));
  const compileCoercing = compileOnce(({ schema }: { schema: object }) => coercing.compile(schema));
  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? compileStrict : compileCoercing)(route));
}
