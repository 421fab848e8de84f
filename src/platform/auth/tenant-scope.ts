import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../http/errors.ts';
import { say } from '../languages.ts';

/** A tenant named by id that does not exist. */
export const tenantNotFound = () => notFound(say('Tenant not found', 'No se ha encontrado el cliente'));

/** A SUPER_ADMIN acts on a tenant they name: without one, the call is refused. */
export const tenantIdRequired = () =>
  badRequest(say('tenant_id is required', 'tenant_id es obligatorio'), [{ field: 'tenant_id', message: 'is required for a SUPER_ADMIN', code: 'required' }]);

/**
 * How a route relates to tenants: `required` for tenant-owned data (a SUPER_ADMIN must name the
 * tenant), `optional` where a SUPER_ADMIN may also read across every tenant (GET /users).
 */
export type RouteTenancy = 'required' | 'optional';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request acts on one tenant's data: resolved once, before the handler, into `request.tenantId`. */
    tenant?: RouteTenancy;
  }
  interface FastifyRequest {
    /**
     * The tenant the request acts on, on routes with `config.tenant`; undefined elsewhere and when
     * a SUPER_ADMIN reads across tenants on an `optional` route.
     */
    tenantScope: string | undefined;
    /** The same, for `required` routes: always set there (throws on a route that resolved none). */
    readonly tenantId: string;
  }
}

export interface TenantContextDeps {
  /** Whether a tenant with this id exists; modules implement it (the platform knows no tables). */
  tenantExists: (id: string) => Promise<boolean>;
}

/** The `tenant_id` a SUPER_ADMIN names: in the body where the body declares one (POST /users), else in the query string. */
function requestedTenant(request: FastifyRequest): string | undefined {
  for (const source of [request.body, request.query]) {
    const value = (source as { tenant_id?: unknown } | null | undefined)?.tenant_id;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Resolves the acting tenant once per request, after authentication, authorisation and validation
 * and before the handler (and the response cache). Tenant users always act on their own tenant (a
 * `tenant_id` they send is ignored); a SUPER_ADMIN names an existing one: missing on a `required`
 * route is 400, an unknown one is 404, like another tenant's resource. The guard's audit entry
 * names this tenant unless the handler names another.
 */
export function registerTenantContext(app: FastifyInstance, deps: TenantContextDeps): void {
  app.decorateRequest('tenantScope', undefined);
  app.decorateRequest('tenantId', {
    getter(this: FastifyRequest) {
      if (this.tenantScope === undefined) throw new Error(`${this.routeOptions.url} resolved no tenant: declare config.tenant 'required'`);
      return this.tenantScope;
    },
  });

  app.addHook('preHandler', async (request) => {
    const tenancy = request.routeOptions.config.tenant;
    if (tenancy === undefined) return;
    const principal = request.actor;
    if (principal.tenantId !== null) {
      request.tenantScope = principal.tenantId;
    } else {
      const requested = requestedTenant(request);
      if (requested === undefined) {
        if (tenancy === 'required') throw tenantIdRequired();
        return;
      }
      if (!(await deps.tenantExists(requested))) throw tenantNotFound();
      request.tenantScope = requested;
    }
    // Hook point for `request.plantDb`: lease the tenant's plant database here (PlantRegistry.get,
    // src/platform/db/plant-registry.ts) on routes that declare they need it, and release it onResponse.
  });
}
