import { Type } from 'typebox';

/** Shared schema pieces: ids, times, problem details. */
export const Id = Type.String({ format: 'uuid', description: 'Resource id' });
export const IdParams = Type.Object({ id: Id });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** Documents the error responses a route can give (all share the Problem shape). */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));
}

/** Tenant-owned routes accept `tenant_id` so a SUPER_ADMIN can name the tenant to act on. */
export const TenantQuery = {
  tenant_id: Type.Optional(Type.String({ format: 'uuid', description: 'SUPER_ADMIN only: the tenant to act on (ignored for tenant users)' })),
};

export const NoContent = Type.Null({ description: 'No content' });
