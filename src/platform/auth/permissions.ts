/**
 * The one table that says who may do what. Routes declare the permission they need
 * (`config.permission`); roles are sets of permissions; a user may hold extra tenant permissions.
 */
export const TENANT_ROLES = ['ADMIN', 'MANAGER', 'OPERATOR', 'VIEWER'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];
/** `API_KEY` marks a principal that is an API key (src/modules/api-keys): it holds its scopes only. */
export type Role = TenantRole | 'SUPER_ADMIN' | 'API_KEY';

/** Permissions a tenant user can hold (by role or granted one by one). */
export const TENANT_PERMISSIONS = [
  'users:read',
  'users:write',
  'tickets:read',
  'tickets:write',
  'tickets:delete',
  'tickets:comment',
  'audit:read',
  'integrations:read',
  'integrations:write',
  'systems:read',
  'alerts:read',
  'alerts:write',
  'vulnerabilities:read',
  'vulnerabilities:patch',
  'analytics:read',
  'api_keys:read',
  'api_keys:write',
  'production:read',
  'production:write',
  'production:operate',
  'production:admin',
  'telemetry:read',
  'telemetry:write',
  'alert_rules:read',
  'alert_rules:write',
  'jobs:read',
  'jobs:run',
  // The read-only assistant tools over MCP, as an API key scope (users use their own permissions).
  'assistant',
  'dashboards:read',
  'dashboards:write',
  'user_queries:read',
  'notifications:read',
  'notifications:write',
  'reports:read',
  'reports:write',
  // The tenant's own settings (time zone, language, default theme); ADMIN by default.
  'tenant_settings:write',
] as const;

/** Platform permissions: only SUPER_ADMIN holds them; they cannot be granted to tenant users. */
export const PLATFORM_PERMISSIONS = ['tenants:read', 'tenants:write'] as const;

export type TenantPermission = (typeof TENANT_PERMISSIONS)[number];
export type Permission = TenantPermission | (typeof PLATFORM_PERMISSIONS)[number];

const ALL: readonly Permission[] = [...TENANT_PERMISSIONS, ...PLATFORM_PERMISSIONS];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  SUPER_ADMIN: ALL,
  ADMIN: TENANT_PERMISSIONS,
  MANAGER: ['users:read', 'tickets:read', 'tickets:write', 'tickets:delete', 'tickets:comment', 'audit:read', 'integrations:read', 'systems:read', 'alerts:read', 'alerts:write', 'vulnerabilities:read', 'vulnerabilities:patch', 'analytics:read', 'production:read', 'production:operate', 'telemetry:read', 'alert_rules:read', 'alert_rules:write', 'dashboards:read', 'user_queries:read', 'notifications:read', 'reports:read'],
  OPERATOR: ['users:read', 'tickets:read', 'tickets:write', 'tickets:comment', 'integrations:read', 'systems:read', 'alerts:read', 'alerts:write', 'vulnerabilities:read', 'vulnerabilities:patch', 'analytics:read', 'production:read', 'production:write', 'production:operate', 'telemetry:read', 'telemetry:write', 'alert_rules:read', 'dashboards:read', 'reports:read'],
  VIEWER: ['tickets:read', 'systems:read', 'alerts:read', 'vulnerabilities:read', 'analytics:read', 'production:read', 'telemetry:read', 'alert_rules:read', 'dashboards:read', 'reports:read'],
  // A key's permissions are its scopes, not a role's.
  API_KEY: [],
};

/**
 * The permissions an API key may be given as scopes (docs/requirements.md): detection ingest,
 * telemetry ingest and the read-only assistant tools. A scope that is no permission yet (its routes
 * do not exist) cannot be granted, as no creator holds it.
 */
export const API_KEY_SCOPES = ['production:write', 'telemetry:write', 'assistant'] as const;

export function permissionsOf(role: Role, extra: readonly string[]): Set<Permission> {
  const granted = new Set<Permission>(ROLE_PERMISSIONS[role]);
  for (const permission of extra) {
    if ((TENANT_PERMISSIONS as readonly string[]).includes(permission)) granted.add(permission as Permission);
  }
  return granted;
}
