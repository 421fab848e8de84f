import { Type, type Static } from 'typebox';
import { API_KEY_SCOPES } from '../../platform/auth/permissions.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

const LineId = Type.Integer({ minimum: 1, description: 'A plant line id' });

export const ApiKey = Type.Object({
  id: Id,
  tenant_id: Id,
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  line_ids: Type.Unsafe<number[] | null>({ type: ['array', 'null'], items: LineId, description: 'Lines the key may write; null for every line' }),
  created_by: NullableId,
  expires_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
  last_used_at: { ...NullableTimestamp, description: 'Updated at most once a minute' },
  status: StringEnum(['active', 'expired', 'revoked']),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreatedApiKey = Type.Object({
  ...ApiKey.properties,
  key: Type.String({ description: 'The key, to send as the X-API-Key header; shown only in this answer' }),
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1, maxItems: API_KEY_SCOPES.length, uniqueItems: true,
      description: `Permissions the key holds, each one the creator holds too: ${API_KEY_SCOPES.join(', ')}`,
    }),
    line_ids: Type.Optional(Type.Array(LineId, { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'Limit production writes to these lines, each a production line of the tenant (400 otherwise)' })),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'After this instant the key is refused; in the future' })),
    ...TenantQuery,
  },
  { additionalProperties: false },
);
export type CreateApiKeyInput = Static<typeof CreateApiKeyBody>;

export const ListApiKeysQuery = Type.Object({ ...PageQuery, ...TenantQuery }, { additionalProperties: false });
export const ApiKeyQuery = Type.Object({ ...TenantQuery }, { additionalProperties: false });
export const ApiKeyPage = pageOf(ApiKey);
