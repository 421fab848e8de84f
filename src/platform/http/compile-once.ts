import { SerializerSelector, type Options } from '@fastify/fast-json-stringify-compiler';
import type { ValidateFunction } from 'ajv';

/**
 * Fastify compiles a validator for every route's body, query and params, and a serializer for
 * every route and status code, when the app starts: ~500 compilations of ~60 distinct schemas
 * (every route's problem responses are one `$ref`; many routes share their params and query),
 * most of the time start-up took. Here each one is compiled when a request first needs it, and
 * each distinct schema once: compiled functions are pure, so routes can share them. A broken
 * schema therefore fails its route's first request (a 500 that logs why), not the start-up.
 */
function onFirstUse<Route extends { schema?: unknown }, Compiled>(compile: (route: Route) => Compiled, keyOf: (route: Route) => string) {
  const compiled = new Map<string, Compiled>();
  return (route: Route) => {
    let result: Compiled | undefined;
    return () => {
      if (result !== undefined) return result;
      const key = keyOf(route);
      result = compiled.get(key);
      if (result === undefined) {
        result = compile(route);
        compiled.set(key, result);
      }
      return result;
    };
  };
}

/** A validator compiler for `setValidatorCompiler` that compiles lazily, once per request part and schema. */
export function lazyValidatorCompiler<Route extends { schema?: unknown; httpPart?: string }>(compile: (route: Route) => ValidateFunction): (route: Route) => ValidateFunction {
  const compiler = onFirstUse(compile, (route) => `${route.httpPart ?? ''} ${JSON.stringify(route.schema)}`);
  return (route) => {
    const validator = compiler(route);
    const validate = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
      const compiled = validator();
      const valid = compiled(data, context);
      validate.errors = compiled.errors;
      return valid;
    }) as ValidateFunction;
    // Fastify reads `schemaEnv` just before each validation (to pass the parent object, which lets
    // Ajv coerce a root value): the first read compiles.
    Object.defineProperty(validate, 'schemaEnv', { get: () => validator().schemaEnv });
    return validate;
  };
}

/** Fastify's own serializer factory (fast-json-stringify), compiling lazily, once per response schema. */
export function buildSerializerOncePerSchema(externalSchemas?: unknown, options?: Options) {
  const compiler = onFirstUse(SerializerSelector()(externalSchemas, options), (route) => JSON.stringify(route.schema));
  return (route: Parameters<typeof compiler>[0]) => {
    const serializer = compiler(route);
    return (data: unknown) => serializer()(data);
  };
}
