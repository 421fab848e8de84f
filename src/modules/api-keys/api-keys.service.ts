import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_SCOPES, TENANT_PERMISSIONS, type Permission } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, DEFAULT_LIMIT, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { ApiKeysRepo } from './api-keys.repo.ts';
import type { CreateApiKeyInput } from './api-keys.schemas.ts';
import type { ApiKeyRow } from './api-keys.tables.ts';

/** Keys read `snk_<id>_<secret>`: recognisable in logs and secret scanners, the id finds the row. */
const KEY_PATTERN = /^snk_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** A resolved key is reused this long, so a revocation elsewhere takes effect within it. */
const CACHE_TTL_MS = 1_000;
const CACHE_MAX = 10_000;
/** `last_used_at` is written at most this often per key, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
/** Compared against when the key's id is unknown, so an unknown key costs what a wrong secret does. */
const NO_HASH = Buffer.alloc(32);

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

function status(row: Pick<ApiKeyRow, 'revoked_at' | 'expires_at'>, now: number): 'active' | 'expired' | 'revoked' {
  if (row.revoked_at !== null) return 'revoked';
  return row.expires_at !== null && row.expires_at <= now ? 'expired' : 'active';
}

export function apiKeyView(row: ApiKeyRow, now = Date.now()) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    line_ids: row.line_ids === null ? null : (JSON.parse(row.line_ids) as number[]),
    created_by: row.created_by,
    expires_at: toIsoOrNull(row.expires_at),
    revoked_at: toIsoOrNull(row.revoked_at),
    last_used_at: toIsoOrNull(row.last_used_at),
    status: status(row, now),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

/** The scopes a creator may give: known key scopes, each a permission the creator holds. */
function checkScopes(creator: Principal, scopes: readonly string[]): Permission[] {
  for (const scope of scopes) {
    if (!(API_KEY_SCOPES as readonly string[]).includes(scope)) {
      throw badRequest(say(`${scope} is not an API key scope; allowed: ${API_KEY_SCOPES.join(', ')}`, `${scope} no es un ámbito de clave de API; permitidos: ${API_KEY_SCOPES.join(', ')}`), [{ field: 'scopes', message: `must each be one of ${API_KEY_SCOPES.join(', ')}`, code: 'one_of', params: { allowed: API_KEY_SCOPES.join(', ') } }]);
    }
    if (!creator.permissions.has(scope as Permission)) {
      throw badRequest(say(`A key cannot hold ${scope}: you do not hold it`, `Una clave no puede tener el permiso ${scope}: usted no lo tiene`), [{ field: 'scopes', message: `${scope} is not a permission of yours`, code: 'not_permitted', params: { value: scope } }]);
    }
  }
  return scopes as Permission[];
}

interface CachedKey {
  principal: Principal;
  secretHash: Buffer;
  /** When the key stops being valid (expiry), or Infinity. */
  validUntil: number;
  fetchedAt: number;
  lastUsedAt: number;
}

/** What key creation needs from production: the ids of the tenant's lines (none when it has no plant). */
export interface TenantLines {
  lineIds(tenantId: string): Promise<number[]>;
}

export function createApiKeysService(repo: ApiKeysRepo, lines: TenantLines) {
  const cache = new Map<string, CachedKey>();

  async function load(id: string, now: number): Promise<CachedKey | undefined> {
    const row = await repo.findForAuthentication(id);
    if (row === undefined || row.revoked_at !== null || row.tenant_active !== 1) return undefined;
    const scopes = (JSON.parse(row.scopes) as string[]).filter((s): s is Permission => (TENANT_PERMISSIONS as readonly string[]).includes(s));
    const principal: Principal = {
      userId: row.id,
      username: `apikey:${row.name}`,
      email: null,
      tenantId: row.tenant_id,
      role: 'API_KEY',
      extraPermissions: [],
      permissions: new Set(scopes),
      sessionId: row.id,
      apiKey: { id: row.id, lineIds: row.line_ids === null ? null : (JSON.parse(row.line_ids) as number[]) },
    };
    return { principal, secretHash: Buffer.from(row.secret_hash, 'hex'), validUntil: row.expires_at ?? Infinity, fetchedAt: now, lastUsedAt: row.last_used_at ?? 0 };
  }

  return {
    async create(creator: Principal, tenantId: string, input: CreateApiKeyInput) {
      const scopes = checkScopes(creator, input.scopes);
      const now = Date.now();
      const expiresAt = input.expires_at === undefined ? null : Date.parse(input.expires_at);
      if (expiresAt !== null && expiresAt <= now) throw badRequest(say('expires_at must be in the future', 'expires_at debe estar en el futuro'), [{ field: 'expires_at', message: 'is in the past', code: 'future' }]);
      if (input.line_ids !== undefined) {
        // A key limited to a line the tenant does not have would write nowhere, or to whatever line gets that id later.
        const known = new Set(await lines.lineIds(tenantId));
        const unknown = input.line_ids.filter((lineId) => !known.has(lineId));
        if (unknown.length > 0) throw badRequest(say(`No such production line: ${unknown.slice(0, 20).join(', ')}`, `Estas líneas no existen: ${unknown.slice(0, 20).join(', ')}`), [{ field: 'line_ids', message: 'must each be a production line of the tenant', code: 'unknown_reference', params: { value: unknown.slice(0, 20).join(', ') } }]);
      }
      const id = newId(now);
      const secret = randomBytes(32).toString('base64url');
      const row: ApiKeyRow = {
        id, tenant_id: tenantId, name: input.name, secret_hash: hashSecret(secret).toString('hex'), scopes: JSON.stringify(scopes),
        line_ids: input.line_ids === undefined ? null : JSON.stringify(input.line_ids),
        created_by: creator.tenantId === null ? null : creator.userId,
        expires_at: expiresAt, revoked_at: null, last_used_at: null, created_at: now, updated_at: now,
      };
      await repo.insert(row);
      return { ...apiKeyView(row, now), key: `snk_${id}_${secret}` };
    },

    async list(tenantId: string, query: { limit?: number; cursor?: string }) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const beforeId = decodeCursor(query.cursor);
      const rows = await repo.list(tenantId, { limit, ...(beforeId !== undefined ? { beforeId } : {}) });
      const now = Date.now();
      return toPage(rows, limit, (row) => apiKeyView(row, now));
    },

    async get(tenantId: string, id: string) {
      const row = await repo.find(tenantId, id);
      if (row === undefined) throw notFound(say('API key not found', 'No se ha encontrado la clave de API'));
      return apiKeyView(row);
    },

    /** Revokes a key (kept, with `revoked_at`, for the record); revoking it again changes nothing. */
    async revoke(tenantId: string, id: string) {
      const row = await repo.find(tenantId, id);
      if (row === undefined) throw notFound(say('API key not found', 'No se ha encontrado la clave de API'));
      await repo.revoke(tenantId, id, Date.now());
      cache.delete(id);
      return row;
    },

    /**
     * The principal of a presented key, or undefined when it is malformed, unknown, wrong, revoked,
     * expired or its tenant is disabled. The secret's hash is compared in constant time.
     */
    async resolve(key: string): Promise<Principal | undefined> {
      const match = KEY_PATTERN.exec(key);
      if (match === null) return undefined;
      const [, id, secret] = match as unknown as [string, string, string];
      const now = Date.now();
      let entry = cache.get(id);
      if (entry === undefined || now - entry.fetchedAt >= CACHE_TTL_MS) {
        entry = await load(id, now);
        if (entry === undefined) cache.delete(id);
        else {
          if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
          cache.set(id, entry);
        }
      }
      const matches = timingSafeEqual(hashSecret(secret), entry?.secretHash ?? NO_HASH);
      if (entry === undefined || !matches || entry.validUntil <= now) return undefined;
      if (now - entry.lastUsedAt >= TOUCH_INTERVAL_MS) {
        entry.lastUsedAt = now;
        await repo.touch(id, now);
      }
      return entry.principal;
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
