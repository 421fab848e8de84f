import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
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

export function createTokenService(signingKey: Uint8Array, accessTokenMinutes: number): TokenService {
  const accessTokenSeconds = accessTokenMinutes * 60;
  return {
    accessTokenSeconds,
    issueAccessToken(claims) {
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
      try {
        // An explicit algorithm list: `alg: none` and key-confusion tokens are rejected.
        const { payload } = await jwtVerify(token, signingKey, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
        if (payload.typ !== ACCESS_TYPE || typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
          return undefined;
        }
        const tenantId = payload.tenant_id;
        if (tenantId !== null && typeof tenantId !== 'string') return undefined;
        return { sub: payload.sub, tenant_id: tenantId, role: payload.role as Role, sid: payload.sid };
      } catch {
        return undefined;
      }
    },
  };
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export const newRefreshToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
