import { Type, type Static, type TObject, type TSchema, type TSchemaOptions } from 'typebox';
import { FIELD_ERROR_CODES } from './errors.ts';

/*
 * Enums and nullable fields are written as `enum` and `type: [..., 'null']` rather than unions
 * (`anyOf`): they validate the same, but the response serialiser handles them directly instead of
 * trying each branch for every value, which made list responses several times slower.
 */

/** A string that is one of `values`. */
export function StringEnum<const T extends readonly string[]>(values: T, options: TSchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * A multi-value query parameter: one or more of `item`, as a comma-separated list or the
 * parameter repeated (the query validator splits the commas).
 */
export function ListParam<T extends TSchema>(item: T, options: TSchemaOptions & { maxItems: number }) {
  return Type.Array(item, { minItems: 1, ...options });
}

/** A body the client may leave out altogether; one that is sent is validated like any other. */
export function OptionalBody<T extends TObject>(schema: T) {
  return Type.Unsafe<Static<T> | undefined>({ ...schema, type: ['object', 'null'] });
}

/** A string or null. */
export function NullableString(options: TSchemaOptions = {}) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

/** Shared schema pieces: ids, times, problem details. */
export const Id = Type.String({ format: 'uuid', description: 'Resource id' });
export const NullableId = NullableString({ format: 'uuid' });
export const IdParams = Type.Object({ id: Id });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = NullableString({ format: 'date-time' });

/** One field's problem in a 400 or 409 (`errors[]` of a problem document). */
export const FieldErrorItem = Type.Object({
  field: Type.String(),
  message: Type.String({ description: 'What is wrong, after the field\'s name: in English, or in the language Accept-Language asks for (Spanish) when the error has a code' }),
  code: Type.Optional(StringEnum(FIELD_ERROR_CODES, { description: 'The same as a stable code, for a client to translate or act on (absent only for a value that fits none of several alternative shapes)' })),
  params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: "The values the code's sentence names, e.g. { limit: 100 } for max_length" })),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String({ description: 'The status\'s title, in the language the request prefers (Accept-Language: es or en; English by default)' }),
    status: Type.Integer(),
    detail: Type.Optional(Type.String({ description: 'What went wrong, in the language the request prefers (Accept-Language: es or en; English by default); the answer\'s Content-Language says which' })),
    errors: Type.Optional(Type.Array(FieldErrorItem)),
    code: Type.Optional(Type.String({ description: 'A stable reason a client can act on, e.g. password_change_required, session_evicted, session_ended, session_expired, account_disabled' })),
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
