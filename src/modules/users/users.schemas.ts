import { Type, type Static } from 'typebox';
import { TENANT_PERMISSIONS, TENANT_ROLES } from '../../platform/auth/permissions.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9._-]{3,64}$';

const RoleSchema = StringEnum(TENANT_ROLES, { description: 'Tenant role' });
const PermissionSchema = StringEnum(TENANT_PERMISSIONS);
const Password = Type.String({ minLength: 8, maxLength: 128, description: '8-128 characters with an upper-case letter, a lower-case letter and a digit; not a common password' });
const Email = Type.String({ format: 'email', maxLength: 254 });

export const User = Type.Object({
  id: Id,
  tenant_id: NullableId,
  username: Type.String(),
  email: NullableString(),
  role: Type.String({ description: 'ADMIN, MANAGER, OPERATOR, VIEWER (or SUPER_ADMIN for platform accounts)' }),
  permissions: Type.Array(Type.String(), { description: 'Extra permissions beyond the role' }),
  effective_permissions: Type.Array(Type.String(), { description: 'Everything the user may do: the role\'s permissions and the extra ones' }),
  is_active: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: 'Stored in lower case' }),
    email: Type.Optional(Email),
    password: Password,
    role: RoleSchema,
    permissions: Type.Optional(Type.Array(PermissionSchema, { maxItems: 50, uniqueItems: true })),
    is_active: Type.Optional(Type.Boolean()),
    tenant_id: Type.Optional(Type.String({ format: 'uuid', description: 'SUPER_ADMIN only (required for them)' })),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(NullableString({ format: 'email', maxLength: 254 })),
    role: Type.Optional(RoleSchema),
    permissions: Type.Optional(Type.Array(PermissionSchema, { maxItems: 50, uniqueItems: true })),
    is_active: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListUsersQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    role: Type.Optional(RoleSchema),
    is_active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Matches username or e-mail' })),
  },
  { additionalProperties: false },
);

export const UserPage = pageOf(User);

export type UserView = Static<typeof User>;
export type CreateUserInput = Static<typeof CreateUserBody>;
export type UpdateUserInput = Static<typeof UpdateUserBody>;
export type ListUsersInput = Static<typeof ListUsersQuery>;
