import { SerializerSelector, type Options } from '@fastify/fast-json-stringify-compiler';

/**
 * Fastify compiles a validator for every route's body, query and params, and a serializer for
 * every route and status code, although most of them are the same few schemas (every route's
 * problem responses are one `$ref`; many routes share their params and query): ~500 compilations
 * of ~60 distinct schemas, most of the time start-up took. This compiles each distinct schema once.
 * Both kinds of compiled function are pure, so sharing one between routes changes nothing.
 */
export function compileOnce<Route extends { schema?: unknown }, Compiled>(compile: (route: Route) => Compiled): (route: Route) => Compiled {
  const compiled = new Map<string, Compiled>();
  return (route) => {
    const key = JSON.stringify(route.schema);
    let result = compiled.get(key);
    if (result === undefined) {
      result = compile(route);
      compiled.set(key, result);
    }
    return result;
  };
}

/** Fastify's own serializer factory (fast-json-stringify), compiling each distinct response schema once. */
export function buildSerializerOncePerSchema(externalSchemas?: unknown, options?: Options) {
  return compileOnce(SerializerSelector()(externalSchemas, options));
}
