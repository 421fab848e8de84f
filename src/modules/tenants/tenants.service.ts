import { isUniqueViolation } from '../../platform/db/errors.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso } from '../../platform/ids.ts';
import type { TenantRow } from './tenants.tables.ts';
import type { TenantsRepo } from './tenants.repo.ts';
import type { CreateTenantInput, ListTenantsInput, TenantConfigValue, TenantView, UpdateTenantInput } from './tenants.schemas.ts';
import { tenantNotFound } from '../../platform/auth/tenant-scope.ts';

const DEFAULT_CONFIG: TenantConfigValue = { timezone: 'UTC', language: 'en', theme: 'system' };

interface SessionControl {
  endTenantSessions(tenantId: string, reason: string): Promise<void>;
}

/** Canonical IANA name, or undefined when the runtime's time zone database does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function mergeConfig(current: TenantConfigValue, patch: Partial<TenantConfigValue> | undefined): TenantConfigValue {
  const merged = { ...current, ...patch };
  const timezone = canonicalTimeZone(merged.timezone);
  if (timezone === undefined) {
    throw badRequest(say('Unknown time zone', 'Zona horaria desconocida'), [{ field: 'config.timezone', message: 'must be an IANA time zone name such as Europe/Madrid', code: 'time_zone' }]);
  }
  return { ...merged, timezone };
}

function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
  if (slug === '') throw badRequest(say('A slug cannot be derived from this name', 'No se puede derivar un slug de este nombre'), [{ field: 'slug', message: 'is required for this name', code: 'required' }]);
  return slug;
}

export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    is_active: row.is_active === 1,
    config: { ...DEFAULT_CONFIG, ...(JSON.parse(row.config) as Partial<TenantConfigValue>) },
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export function createTenantsService(repo: TenantsRepo, sessions: SessionControl) {
  async function get(id: string): Promise<TenantRow> {
    const row = await repo.findById(id);
    if (row === undefined) throw tenantNotFound();
    return row;
  }

  /** The field named is the one the caller sent: a slug derived from the name is the name's fault. */
  const slugTaken = (slug: string, derived: boolean) => conflict(say(`A tenant with slug "${slug}" already exists`, `Ya existe un cliente con el slug "${slug}"`), [
    derived
      ? { field: 'name', message: `gives the slug "${slug}", which is already another tenant's`, code: 'slug_taken', params: { value: slug } }
      : { field: 'slug', message: 'is already another tenant\'s', code: 'taken' },
  ]);

  return {
    get: async (id: string) => tenantView(await get(id)),

    async list(input: ListTenantsInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list({
        limit,
        ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
        ...(input.q !== undefined ? { q: input.q } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, tenantView);
    },

    async create(input: CreateTenantInput): Promise<TenantView> {
      const now = Date.now();
      const slug = input.slug ?? slugify(input.name);
      const row: TenantRow = {
        id: newId(now),
        name: input.name.trim(),
        slug,
        is_active: input.is_active === false ? 0 : 1,
        config: JSON.stringify(mergeConfig(DEFAULT_CONFIG, input.config)),
        created_at: now,
        updated_at: now,
      };
      try {
        await repo.insert(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(slug, input.slug === undefined);
        throw error;
      }
      return tenantView(row);
    },

    async update(id: string, input: UpdateTenantInput): Promise<TenantView> {
      const current = await get(id);
      const now = Date.now();
      const config = input.config === undefined ? undefined : mergeConfig(tenantView(current).config, input.config);
      try {
        await repo.update(id, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.slug !== undefined ? { slug: input.slug } : {}),
          ...(input.is_active !== undefined ? { is_active: input.is_active ? 1 : 0 } : {}),
          ...(config !== undefined ? { config: JSON.stringify(config) } : {}),
          updated_at: now,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(input.slug ?? current.slug, false);
        throw error;
      }
      if (input.is_active === false && current.is_active === 1) await sessions.endTenantSessions(id, 'tenant_disabled');
      return tenantView(await get(id));
    },

    async delete(id: string): Promise<void> {
      await get(id);
      await sessions.endTenantSessions(id, 'tenant_deleted');
      if (!(await repo.delete(id))) throw tenantNotFound();
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
