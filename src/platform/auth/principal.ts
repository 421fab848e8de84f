import type { Permission, Role } from './permissions.ts';

/**
 * Who is calling: built from the session and the user row, never from the token's claims alone;
 * or an API key, whose `userId` and `sessionId` are the key's id, `username` is `apikey:<name>`,
 * `role` is `API_KEY` and `permissions` are its scopes.
 */
export interface Principal {
  userId: string;
  username: string;
  email: string | null;
  /** Null for SUPER_ADMIN. */
  tenantId: string | null;
  role: Role;
  extraPermissions: string[];
  permissions: Set<Permission>;
  sessionId: string;
  /** Set while the user's password, generated and shown once, has not been changed: only changing it is allowed. */
  passwordChangeRequired?: true;
  /** Set when the caller is an API key; `lineIds` null means every line of its tenant. */
  apiKey?: { id: string; lineIds: readonly number[] | null };
}

/** What a route needs: a permission, any signed-in user, or nothing. */
export type RouteAccess = Permission | 'authenticated' | 'public';

export interface RouteAudit {
  action: string;
  resourceType: string;
  /** Also record GET requests (reads of integration data: docs/requirements.md, SEC-11). */
  reads?: boolean;
  /**
   * `false` for a write whose handler waits on something slow outside the database (a vendor
   * call): it is not run in one transaction with its audit entry, which is written after it.
   */
  transaction?: false;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The signed-in caller, for handlers of routes that are not public (throws on an anonymous request). */
    readonly actor: Principal;
    /** Set by handlers so that the automatic audit entry names the resource and tenant it touched. */
    auditTarget: { resourceId?: string; tenantId?: string | null; detail?: Record<string, unknown> } | undefined;
  }
  interface FastifyContextConfig {
    /** Who may call the route; a route without it needs a signed-in caller (private by default). */
    access?: RouteAccess;
    audit?: RouteAudit;
    /** The route also takes the access token as `?access_token=` (WebSocket handshakes from browsers). */
    tokenInQuery?: boolean;
    /** A route a user whose password must be changed may still call (change it, sign out, who am I). */
    duringPasswordChange?: true;
    /** An `authenticated` route that API keys may call too (they reach other routes only through their scopes). */
    apiKeys?: 'allowed';
  }
}
