// Multi-row statements are split into a few fixed sizes, so the connection keeps a few prepared
// statements per statement instead of one per row count.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { statementChunks } from '../src/platform/db/chunks.ts';

const sizes = (count: number, size: number) => [...statementChunks(Array.from({ length: count }, (_, i) => i), size)].map((chunk) => chunk.length);

it('splits rows into chunks of the full size, then powers of two, keeping every row once and in order', () => {
  assert.deepEqual(sizes(0, 1000), []);
  assert.deepEqual(sizes(1, 1000), [1]);
  assert.deepEqual(sizes(1000, 1000), [1000]);
  assert.deepEqual(sizes(2345, 1000), [1000, 1000, 256, 64, 16, 8, 1]);
  assert.deepEqual([...statementChunks([1, 2, 3, 4, 5, 6, 7], 4)].flat(), [1, 2, 3, 4, 5, 6, 7]);
  const shapes = new Set<number>();
  for (let count = 1; count <= 3000; count++) for (const size of sizes(count, 1000)) shapes.add(size);
  assert.ok(shapes.size <= 11, `${shapes.size} statement shapes for 1-3,000 rows`);
});
