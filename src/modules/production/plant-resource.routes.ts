import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import { NoContent, problems } from '../../platform/http/schemas.ts';
import { TenantOnlyQuery } from './production.schemas.ts';

type WithId<K extends string> = Record<K, number>;

/**
 * One kind of plant structure row (lines, areas, products, shifts, filters) as a REST resource:
 * list, create, get, update and delete under `/production/<path>`, each declared with its schemas,
 * access (every tenant role reads, ADMIN writes) and audit action `production.<noun>.<verb>`.
 * The rules (what an external plant database lets us change, 409s) are the structure service's.
 */
export interface PlantResource<K extends string, Item extends WithId<K>, Create, Update> {
  path: string;
  idParam: K;
  /** The audit action's noun (`production.<noun>.create`) and the audit entries' resource type. */
  noun: string;
  resourceType: string;
  schemas: { item: TSchema; list: TSchema; params: TSchema; listQuery?: TSchema; create: TSchema; update: TSchema };
  summaries: { list: string; create: string; get: string; update: string; updateDescription?: string; delete: string };
  list(tenantId: string, query: { line_id?: number }): Promise<Item[]>;
  create(tenantId: string, body: Create): Promise<Item>;
  get(tenantId: string, id: number): Promise<Item>;
  update(tenantId: string, id: number, body: Update): Promise<Item>;
  remove(tenantId: string, id: number): Promise<void>;
  /** What the audit entry of a creation keeps about the new row (its name, code…). */
  createdDetail(item: Item): Record<string, unknown>;
  /** What the audit entry of an update keeps about the change (default: the body). */
  changes?(body: Update): unknown;
}

const tags = ['production'];
const errors = problems(400, 401, 403, 404, 409, 502, 503);

export function plantResourceRoutes<K extends string, Item extends WithId<K>, Create, Update>(
  resource: PlantResource<K, Item, Create, Update>,
): FastifyPluginAsyncTypebox {
  const { path, idParam, schemas, summaries } = resource;
  const collection = `/production/${path}`;
  const member = `${collection}/:${idParam}`;
  const audit = (verb: string) => ({ action: `production.${resource.noun}.${verb}`, resourceType: resource.resourceType });
  const idOf = (params: unknown) => (params as WithId<K>)[idParam];
  const read = { access: 'production:read', tenant: 'required' } as const;
  const write = (verb: string) => ({ access: 'production:admin', tenant: 'required', audit: audit(verb) }) as const;

  return async (app) => {
    app.get(collection, {
      schema: { tags, summary: summaries.list, querystring: schemas.listQuery ?? TenantOnlyQuery, response: { 200: schemas.list, ...errors } },
      config: read,
    }, async (request) => ({ items: await resource.list(request.tenantId, request.query as { line_id?: number }) }));

    app.post(collection, {
      schema: { tags, summary: summaries.create, querystring: TenantOnlyQuery, body: schemas.create, response: { 201: schemas.item, ...errors } },
      config: write('create'),
    }, async (request, reply) => {
      const item = await resource.create(request.tenantId, request.body as Create);
      request.auditTarget = { resourceId: String(item[idParam]), detail: resource.createdDetail(item) };
      reply.code(201);
      return item;
    });

    app.get(member, {
      schema: { tags, summary: summaries.get, params: schemas.params, querystring: TenantOnlyQuery, response: { 200: schemas.item, ...errors } },
      config: read,
    }, (request) => resource.get(request.tenantId, idOf(request.params)));

    app.patch(member, {
      schema: {
        tags, summary: summaries.update, ...(summaries.updateDescription === undefined ? {} : { description: summaries.updateDescription }),
        params: schemas.params, querystring: TenantOnlyQuery, body: schemas.update, response: { 200: schemas.item, ...errors },
      },
      config: write('update'),
    }, (request) => {
      const body = request.body as Update;
      request.auditTarget = { resourceId: String(idOf(request.params)), detail: { changes: resource.changes === undefined ? body : resource.changes(body) } };
      return resource.update(request.tenantId, idOf(request.params), body);
    });

    app.delete(member, {
      schema: { tags, summary: summaries.delete, params: schemas.params, querystring: TenantOnlyQuery, response: { 204: NoContent, ...errors } },
      config: write('delete'),
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(idOf(request.params)) };
      await resource.remove(request.tenantId, idOf(request.params));
      reply.code(204);
      return null;
    });
  };
}
