// The server's compile cache in the data directory is bounded (bin/compile-cache.ts): past the
// bound the oldest entries go, the newest (the build now running) stay.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pruneCompileCache } from '../bin/compile-cache.ts';

describe('compile cache pruning', () => {
  /** Ten 1,000-byte entries in two Node versions' folders, entry-0 the oldest. */
  const cacheWithEntries = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-compile-cache-'));
    for (let index = 0; index < 10; index++) {
      const folder = path.join(dir, index < 4 ? 'v24.1.0-x64-0' : 'v24.2.0-x64-0');
      mkdirSync(folder, { recursive: true });
      const file = path.join(folder, `entry-${index}`);
      writeFileSync(file, Buffer.alloc(1_000));
      const modified = new Date(Date.UTC(2026, 0, 1 + index));
      utimesSync(file, modified, modified);
    }
    return dir;
  };
  const entries = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((name) => name.includes('entry-')).map((name) => path.basename(name)).sort();

  it('leaves a cache within the bound alone', () => {
    const dir = cacheWithEntries();
    try {
      assert.equal(pruneCompileCache(dir, 10_000), 0);
      assert.equal(entries(dir).length, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes the oldest entries past the bound, down to half of it', () => {
    const dir = cacheWithEntries();
    try {
      assert.equal(pruneCompileCache(dir, 8_000), 6_000);
      assert.deepEqual(entries(dir), ['entry-6', 'entry-7', 'entry-8', 'entry-9']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
