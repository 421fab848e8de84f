// The plant metadata cache (docs/requirements.md, PRD-9) with a clock of its own: loaded on first
// use, shared by concurrent callers, kept an hour, dropped by writes, refreshed by the poll.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METADATA_TTL_MS, type PlantMetadata, createMetadataCache, invalidatingWrites } from '../src/modules/widgets/metadata-cache.ts';

const plant = (name: string): PlantMetadata => ({
  lines: [{ line_id: 1, line_name: name, line_code: '1', is_active: true, ideal_cycle_seconds: null, downtime_threshold_seconds: 300, timezone: 'UTC' }],
  areas: [], products: [], shifts: [], filters: [],
});

describe('plant metadata cache', () => {
  function setup() {
    let now = 0;
    let name = 'Line';
    let loads = 0;
    let failNext = false;
    const cache = createMetadataCache(async (tenantId) => {
      loads++;
      if (failNext) {
        failNext = false;
        throw new Error(`plant of ${tenantId} unreachable`);
      }
      return plant(name);
    }, () => now);
    return {
      cache,
      loads: () => loads,
      advance: (ms: number) => { now += ms; },
      rename: (next: string) => { name = next; },
      failOnce: () => { failNext = true; },
    };
  }

  it('loads on first use, shares one load among concurrent callers and answers from memory for an hour', async () => {
    const t = setup();
    const [first, second] = await Promise.all([t.cache.get('a'), t.cache.get('a')]);
    assert.equal(t.loads(), 1);
    assert.equal(first.hit, false);
    assert.equal(second.hit, true);
    t.advance(METADATA_TTL_MS - 1);
    assert.equal((await t.cache.get('a')).hit, true);
    t.advance(1);
    assert.equal((await t.cache.get('a')).hit, false, 'an hour old: loaded again');
    assert.equal(t.loads(), 2);
    assert.deepEqual(t.cache.stats(), { hits: 2, misses: 2, tenants: 1 });
    await t.cache.get('b');
    assert.equal(t.cache.stats().tenants, 2);
  });

  it('keeps no failed load, and drops a tenant on invalidation only', async () => {
    const t = setup();
    t.failOnce();
    await assert.rejects(t.cache.get('a'), /unreachable/);
    assert.equal((await t.cache.get('a')).hit, false);
    await t.cache.get('b');
    t.rename('Renamed');
    t.cache.invalidate('a');
    assert.equal((await t.cache.get('a')).metadata.lines[0]!.line_name, 'Renamed');
    assert.equal((await t.cache.get('b')).metadata.lines[0]!.line_name, 'Line', 'another tenant keeps its entry');
  });

  it('refreshes entries the source changed and renews those it did not', async () => {
    const t = setup();
    await t.cache.get('a');
    t.advance(METADATA_TTL_MS - 10);
    await t.cache.refresh();
    t.advance(20);
    assert.equal((await t.cache.get('a')).hit, true, 'confirmed unchanged: fresh again');
    t.rename('Changed outside');
    await t.cache.refresh();
    const after = await t.cache.get('a');
    assert.equal(after.hit, true);
    assert.equal(after.metadata.lines[0]!.line_name, 'Changed outside');
    t.failOnce();
    await t.cache.refresh();
    assert.equal((await t.cache.get('a')).hit, false, 'an unreachable plant is loaded again on the next use');
  });

  it('drops the tenant after each create, update, delete or set of a wrapped service, failed or not', async () => {
    const dropped: string[] = [];
    const service = {
      listLines: async (tenantId: string) => tenantId,
      createLine: async (tenantId: string, _input: unknown) => tenantId,
      deleteLine: async (_tenantId: string, _id: number): Promise<void> => { throw new Error('refused'); },
      set: async (tenantId: string) => tenantId,
    };
    const wrapped = invalidatingWrites(service, { invalidate: (tenantId) => dropped.push(tenantId) });
    assert.equal(await wrapped.listLines('a'), 'a');
    assert.equal(await wrapped.createLine('b', {}), 'b');
    await assert.rejects(wrapped.deleteLine('c', 1), /refused/);
    await wrapped.set('d');
    assert.deepEqual(dropped, ['b', 'c', 'd']);
  });
});
