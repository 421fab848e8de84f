import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, StringEnum, Timestamp } from '../../platform/http/schemas.ts';

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';

const TenantConfigFields = {
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Madrid', default: 'UTC' }),
  language: StringEnum(['es', 'en'], { default: 'en' }),
  theme: StringEnum(['light', 'dark', 'system'], { default: 'system' }),
};

export const TenantConfig = Type.Object(TenantConfigFields, { additionalProperties: false });
export const TenantConfigPatch = Type.Partial(Type.Object(TenantConfigFields), { additionalProperties: false });

export const Tenant = Type.Object({
  id: Id,
  name: Type.String(),
  slug: Type.String(),
  is_active: Type.Boolean(),
  config: TenantConfig,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateTenantBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ pattern: SLUG_PATTERN, description: 'URL-safe identifier; derived from the name when omitted' })),
    is_active: Type.Optional(Type.Boolean()),
    config: Type.Optional(TenantConfigPatch),
  },
  { additionalProperties: false },
);

export const UpdateTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    slug: Type.Optional(Type.String({ pattern: SLUG_PATTERN })),
    is_active: Type.Optional(Type.Boolean()),
    config: Type.Optional(TenantConfigPatch),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListTenantsQuery = Type.Object(
  {
    ...PageQuery,
    is_active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Matches name or slug' })),
  },
  { additionalProperties: false },
);

export const TenantPage = pageOf(Tenant);

export type TenantView = Static<typeof Tenant>;
export type TenantConfigValue = Static<typeof TenantConfig>;
export type CreateTenantInput = Static<typeof CreateTenantBody>;
export type UpdateTenantInput = Static<typeof UpdateTenantBody>;
export type ListTenantsInput = Static<typeof ListTenantsQuery>;
