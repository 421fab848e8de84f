import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import type { DataVersions, VersionCheck } from '../db/data-versions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The GET answer depends only on the caller's tenant, the URL and these resources: it may be
     * served again, byte for byte, while their version is unchanged.
     */
    cache?: readonly string[];
  }
  interface FastifyRequest {
    cacheSlot: { key: string; version: string; checkedAt: number } | undefined;
  }
}

interface CachedPage {
  /** The version checked before the page was read; a later check that finds it unchanged may put its own. */
  version: string;
  body: Buffer;
}

export interface ResponseCacheOptions {
  /** The resources with per-tenant versions that modules declare (`cachedResources`). */
  resources: ReadonlySet<string>;
  maxBytes: number;
  dataVersions: DataVersions | undefined;
  registry: Registry;
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** What an entry costs besides its body and key (objects, the LRU's bookkeeping), so the limit holds for small pages too. */
const ENTRY_OVERHEAD_BYTES = 512;
/** A failing version check is logged at most this often (it fails on every cacheable read meanwhile). */
const CHECK_FAILURE_LOG_EVERY_MS = 60_000;
/** Reads that are almost never asked twice (incremental polls, later pages, searches): not worth a slot. */
const ONE_OFF_PARAMETERS = ['since', 'cursor', 'q'];

/**
 * The cache key: the tenant, the route and the validated query in a fixed order, without
 * `tenant_id` (ignored for tenant users), so spelling variants of one request share an entry and
 * junk parameters cannot multiply entries. Undefined when the request is a one-off read.
 */
function cacheKey(tenantId: string, route: string, query: Record<string, unknown>): string | undefined {
  let key = `${tenantId} ${route}`;
  for (const name of Object.keys(query).sort()) {
    if (ONE_OFF_PARAMETERS.includes(name)) return undefined;
    if (name !== 'tenant_id') key += ` ${name}=${JSON.stringify(query[name])}`;
  }
  return key;
}

/** A copy outside Node's shared 8 KB buffer pool: a small cached page must not pin a whole pool block. */
function ownBuffer(text: string): Buffer {
  const buffer = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buffer.write(text);
  return buffer;
}

/**
 * Serves repeated list reads (dashboards polling the same page) from memory while the data under
 * them is unchanged. Every request still goes through authentication, permissions, rate limiting
 * and the read audit; only the query, mapping and serialisation are skipped. The version is checked
 * before the data is read, so a change racing with a miss makes the stored page look older, never
 * newer, than it is. Only tenant users' requests are cached (a SUPER_ADMIN names the tenant per
 * request and is rare), and not one-off reads (`since`, `cursor`, `q`). Off when maxBytes is 0 or
 * the database keeps no versions (MySQL). A cached route must act on one tenant
 * (`config.tenant: 'required'`) and name at least one declared resource.
 */
export function registerResponseCache(app: FastifyInstance, options: ResponseCacheOptions): void {
  const { dataVersions } = options;
  app.addHook('onRoute', (route) => {
    const resources = route.config?.cache;
    if (resources === undefined) return;
    if (route.config?.tenant !== 'required') throw new Error(`${route.url}: a cached route must declare config.tenant 'required'`);
    // A page that depends on no recorded data would never change (and PostgreSQL's check needs a resource to probe).
    if (resources.length === 0) throw new Error(`${route.url}: a cached route must name the resources its page shows`);
    const unknown = resources.filter((resource) => !options.resources.has(resource));
    if (unknown.length > 0) throw new Error(`${route.url}: no module declares the cached resource ${unknown.join(', ')}`);
  });
  if (dataVersions === undefined) return;
  scheduleCompaction(app, dataVersions);
  if (options.maxBytes === 0) return;
  app.decorateRequest('cacheSlot', undefined);
  const pages = new LRUCache<string, CachedPage>({
    maxSize: options.maxBytes,
    // One huge page must not evict everything else.
    maxEntrySize: Math.max(1, Math.floor(options.maxBytes / 8)),
    sizeCalculation: (page, key) => page.body.length + key.length + ENTRY_OVERHEAD_BYTES,
  });
  const { maxAgeMs } = dataVersions;
  const checkVersion = failureLoggingCheck(dataVersions);
  const lookups = new Counter({
    name: 'sentinel_response_cache_lookups_total',
    help: 'Cacheable GET requests by outcome: hit, miss, or bypass (the version could not be read safely)',
    labelNames: ['result'] as const,
    registers: [options.registry],
  });

  app.addHook('preHandler', async (request, reply) => {
    const resources = request.routeOptions.config.cache;
    if (resources === undefined || request.method !== 'GET' || request.actor.tenantId === null) return;
    const tenantId = request.tenantId;
    const key = cacheKey(tenantId, request.routeOptions.url ?? request.url, request.query as Record<string, unknown>);
    if (key === undefined) return;
    const page = pages.get(key);
    const checkedAt = performance.now();
    const check = await checkVersion(request, tenantId, resources, page?.version);
    if (check === undefined) {
      lookups.inc({ result: 'bypass' });
      return;
    }
    if (page !== undefined && check.unchanged) {
      page.version = check.current;
      lookups.inc({ result: 'hit' });
      return reply.type(JSON_TYPE).send(page.body);
    }
    lookups.inc({ result: 'miss' });
    request.cacheSlot = { key, version: check.current, checkedAt };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const slot = request.cacheSlot;
    if (slot !== undefined && reply.statusCode === 200 && typeof payload === 'string') {
      // A version may be trusted maxAgeMs from its check, not from when the page was read after it.
      const ttl = maxAgeMs === undefined ? undefined : maxAgeMs - (performance.now() - slot.checkedAt);
      if (ttl === undefined || ttl > 0) pages.set(slot.key, { version: slot.version, body: ownBuffer(payload) }, ttl === undefined ? undefined : { ttl });
    }
    return payload;
  });
}

/** Runs a check; undefined (neither serve nor store) when the database failed it, which is logged at most once a minute. */
function failureLoggingCheck(dataVersions: DataVersions) {
  let lastLogged = -Infinity;
  return async (request: FastifyRequest, tenantId: string, resources: readonly string[], stored: string | undefined): Promise<VersionCheck | undefined> => {
    try {
      return await dataVersions.check(tenantId, resources, stored);
    } catch (error) {
      if (performance.now() - lastLogged >= CHECK_FAILURE_LOG_EVERY_MS) {
        lastLogged = performance.now();
        request.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'response cache: the data version could not be checked; reads run uncached meanwhile');
      }
      return undefined;
    }
  };
}

/** Runs the versions' compaction while the app is up, whether or not this process caches (another node may). */
function scheduleCompaction(app: FastifyInstance, dataVersions: DataVersions): void {
  const { compact, compactEveryMs } = dataVersions;
  if (compact === undefined || compactEveryMs === undefined) return;
  const timer = setInterval(() => {
    compact.call(dataVersions).catch((error: unknown) => app.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'response cache: compacting change records failed'));
  }, compactEveryMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
