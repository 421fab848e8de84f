import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { buildSerializerOncePerSchema, lazyValidatorCompiler } from '../src/platform/http/compile-once.ts';
import { buildAjv, registerValidation } from '../src/platform/http/validation.ts';

describe('route schemas compiled on first use', () => {
  it('compiles a validator at its first use, once per request part and schema, and passes its errors on', () => {
    const ajv = buildAjv({ coerceTypes: false });
    const compiled: string[] = [];
    const compiler = lazyValidatorCompiler((route: { schema: object; httpPart?: string }) => {
      compiled.push(`${route.httpPart} ${JSON.stringify(route.schema)}`);
      return ajv.compile(route.schema);
    });
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const first = compiler({ schema, httpPart: 'body' });
    const twin = compiler({ schema: structuredClone(schema), httpPart: 'body' });
    const params = compiler({ schema, httpPart: 'params' });
    assert.deepEqual(compiled, [], 'nothing is compiled before a request needs it');

    assert.ok(first.schemaEnv, 'Fastify sees an Ajv validator (and passes the parent object)');
    assert.equal(compiled.length, 1);
    assert.equal(first({ n: 1 }), true);
    assert.equal(twin({ n: 'x' }), false);
    assert.equal(twin.errors?.[0]?.instancePath, '/n');
    assert.equal(compiled.length, 1, 'the same schema for the same part is compiled once');
    assert.equal(params({}), false);
    assert.equal(params.errors?.[0]?.keyword, 'required');
    assert.equal(compiled.length, 2);
    assert.equal(first({ n: 2 }), true);
    assert.equal(first.errors, null, 'a passing call clears the errors of the previous one');
  });

  it('compiles a response serializer at its first use', () => {
    const factory = buildSerializerOncePerSchema();
    // An unresolvable reference fails when compiled: not when the route is set up, but when it first answers.
    const serialize = factory({ schema: { $ref: 'Missing#' }, method: 'GET', url: '/', httpStatus: '200' } as never) as (data: unknown) => string;
    assert.throws(() => serialize({}));
    const ok = factory({ schema: { type: 'object', properties: { a: { type: 'string' } } }, method: 'GET', url: '/', httpStatus: '200' } as never) as (data: unknown) => string;
    assert.equal(ok({ a: 'x', hidden: 1 }), '{"a":"x"}');
  });

  it('validates and coerces through Fastify as before: query lists, root values, defaults', async () => {
    const app = Fastify();
    registerValidation(app);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    app.get('/items', {
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { severity: { type: 'array', items: { type: 'string' } }, limit: { type: 'integer', default: 50 } } } },
    }, async (request) => request.query);
    app.post('/items', { schema: { body: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } } } }, async (request) => request.body);
    await app.ready();
    const listed = await app.inject({ url: '/items?severity=critical,high&severity=low' });
    assert.deepEqual(listed.json(), { severity: ['critical', 'high', 'low'], limit: 50 });
    assert.equal((await app.inject({ url: '/items?limit=x' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/items', payload: { name: 1 } })).statusCode, 400, 'bodies are not coerced');
    assert.equal((await app.inject({ method: 'POST', url: '/items', payload: { name: 'a\u0000b' } })).statusCode, 400, 'unstorable text is refused');
    assert.deepEqual((await app.inject({ method: 'POST', url: '/items', payload: { name: 'ok' } })).json(), { name: 'ok' });
    await app.close();
  });
});
