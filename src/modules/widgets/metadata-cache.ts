/**
 * The plant metadata of each tenant (lines, areas, products, shifts, filters) held in memory: the
 * filters and the widgets' labels read it on every dashboard, and it changes rarely. Loaded on first
 * use, kept for an hour, dropped by every structure write through the API and refreshed by a poll
 * for what a client changes in its own database.
 */
import type { Line } from '../production/plant-context.ts';
import type { Area, Filter, Shift } from '../production/plant.repo.ts';
import type { Product } from '../production/structure.service.ts';

export interface PlantMetadata {
  lines: Line[];
  areas: Area[];
  products: Product[];
  shifts: Shift[];
  filters: Filter[];
}

export const METADATA_TTL_MS = 3_600_000;

interface Entry {
  metadata: Promise<PlantMetadata>;
  loadedAt: number;
}

export interface MetadataCache {
  /** The tenant's metadata, and whether it came from memory. */
  get(tenantId: string): Promise<{ metadata: PlantMetadata; hit: boolean }>;
  invalidate(tenantId: string): void;
  /** Reloads every cached tenant: what changed (a client's own edits, another node's writes) replaces the entry, an unchanged one counts as fresh. */
  refresh(): Promise<void>;
  stats(): { hits: number; misses: number; tenants: number };
}

export function createMetadataCache(load: (tenantId: string) => Promise<PlantMetadata>, clock: () => number = Date.now): MetadataCache {
  const entries = new Map<string, Entry>();
  let hits = 0;
  let misses = 0;

  // An invalidation deletes the entry, so a load that was under way when a write finished is never kept.
  function startLoad(tenantId: string): Entry {
    const entry: Entry = { metadata: load(tenantId), loadedAt: clock() };
    entries.set(tenantId, entry);
    entry.metadata.catch(() => {
      if (entries.get(tenantId) === entry) entries.delete(tenantId);
    });
    return entry;
  }

  return {
    async get(tenantId) {
      const cached = entries.get(tenantId);
      if (cached !== undefined && clock() - cached.loadedAt < METADATA_TTL_MS) {
        hits++;
        return { metadata: await cached.metadata, hit: true };
      }
      misses++;
      return { metadata: await startLoad(tenantId).metadata, hit: false };
    },
    invalidate(tenantId) {
      entries.delete(tenantId);
    },
    async refresh() {
      for (const [tenantId, entry] of [...entries]) {
        try {
          const [current, fresh] = await Promise.all([entry.metadata, load(tenantId)]);
          // Confirmed unchanged: as fresh as a new load.
          if (JSON.stringify(current) === JSON.stringify(fresh)) entry.loadedAt = clock();
          else if (entries.get(tenantId) === entry) {
            entries.set(tenantId, { metadata: Promise.resolve(fresh), loadedAt: clock() });
          }
        } catch {
          // The plant database is unreachable now: the next request reloads it and reports why.
          if (entries.get(tenantId) === entry) entries.delete(tenantId);
        }
      }
    },
    stats: () => ({ hits, misses, tenants: entries.size }),
  };
}

/**
 * The service with each structure write (`create…`, `update…`, `delete…`, `set`, all taking the
 * tenant id first) dropping that tenant's cached metadata once it is done, whatever its outcome.
 */
export function invalidatingWrites<T extends object>(service: T, cache: Pick<MetadataCache, 'invalidate'>): T {
  const wrapped: Record<string, unknown> = { ...(service as Record<string, unknown>) };
  for (const [name, value] of Object.entries(service)) {
    if (typeof value !== 'function' || !/^(create|update|delete|set$)/.test(name)) continue;
    wrapped[name] = async (tenantId: string, ...rest: unknown[]) => {
      try {
        return await (value as (...args: unknown[]) => Promise<unknown>)(tenantId, ...rest);
      } finally {
        cache.invalidate(tenantId);
      }
    };
  }
  return wrapped as T;
}
