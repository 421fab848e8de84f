import { badRequest, notFound } from '../http/errors.ts';
import type { Principal } from './principal.ts';

/**
 * The tenant a request on tenant-owned data acts on. Tenant users always act on their own tenant
 * (a `tenant_id` they send is ignored); a SUPER_ADMIN has none and must name an existing one.
 */
export async function actingTenant(principal: Principal, requested: string | undefined, tenantExists: (id: string) => Promise<boolean>): Promise<string> {
  if (principal.tenantId !== null) return principal.tenantId;
  if (requested === undefined) throw badRequest('tenant_id is required', [{ field: 'tenant_id', message: 'is required for a SUPER_ADMIN' }]);
  if (!(await tenantExists(requested))) throw notFound('Tenant');
  return requested;
}
