import { createHash, randomBytes } from 'node:crypto';
import type * as Jose from 'jose';
import type { Role } from './permissions.ts';

const ISSUER = 'sentinel';
const AUDIENCE = 'sentinel-api';
const ACCESS_TYPE = 'access';

export interface AccessClaims {
  sub: string;
  tenant_id: string | null;
  role: Role;
  sid: string;
}

export interface TokenService {
  issueAccessToken(claims: AccessClaims): Promise<string>;
  /** Returns the claims of a valid access token, or undefined for anything else. */
  verifyAccessToken(token: string): Promise<AccessClaims | undefined>;
  readonly accessTokenSeconds: number;
}

/**
 * A token's signature only needs checking once: verified claims are kept (bounded) until the token
 * expires. The session behind the token is still checked on every request.
 */
const VERIFIED_CACHE_MAX = 20_000;

/** jose (~0.1 s of CPU to load) is imported at the first token issued or checked, not at start-up. */
let jose: Promise<typeof Jose> | undefined;
const loadJose = () => (jose ??= import('jose'));

export function createTokenService(signingKey: Uint8Array, accessTokenMinutes: number): TokenService {
  const accessTokenSeconds = accessTokenMinutes * 60;
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  async function verify(token: string): Promise<{ claims: AccessClaims; expiresAtMs: number } | undefined> {
    try {
      // An explicit algorithm list: `alg: none` and key-confusion tokens are rejected.
      const { jwtVerify } = await loadJose();
      const { payload } = await jwtVerify(token, signingKey, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      if (payload.typ !== ACCESS_TYPE || typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
        return undefined;
      }
      const tenantId = payload.tenant_id;
      if (tenantId !== null && typeof tenantId !== 'string') return undefined;
      if (typeof payload.exp !== 'number') return undefined;
      return { claims: { sub: payload.sub, tenant_id: tenantId, role: payload.role as Role, sid: payload.sid }, expiresAtMs: payload.exp * 1000 };
    } catch {
      return undefined;
    }
  }

  return {
    accessTokenSeconds,
    async issueAccessToken(claims) {
      const { SignJWT } = await loadJose();
      return new SignJWT({ tenant_id: claims.tenant_id, role: claims.role, sid: claims.sid, typ: ACCESS_TYPE })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${accessTokenSeconds}s`)
        .sign(signingKey);
    },
    async verifyAccessToken(token) {
      const now = Date.now();
      const cached = verified.get(token);
      if (cached !== undefined) {
        if (cached.expiresAtMs > now) return cached.claims;
        verified.delete(token);
        return undefined;
      }
      const result = await verify(token);
      if (result === undefined) return undefined;
      if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(token, result);
      return result.claims;
    },
  };
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export const newRefreshToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
