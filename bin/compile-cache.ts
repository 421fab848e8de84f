// The server's compile cache (bin/sentinel.js keeps it in the data directory) holds V8's compiled
// code of every build it has started (~2 MB each) and Node never removes an entry: a server that
// is upgraded every week would grow it by ~100 MB a year. Past a bound, the oldest entries go.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Past this size the cache is pruned to half of it: about eight builds' worth. */
export const COMPILE_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Removes the oldest files under `dir` until they take at most half of `maxBytes`, when they take
 * more than `maxBytes`. Oldest by modification time: Node writes an entry when it compiles a file
 * and leaves it alone while it is current, so the entries of the build now running are the newest;
 * one removed too early only costs a start compiling that file again. The bytes removed.
 */
export function pruneCompileCache(dir: string, maxBytes = COMPILE_CACHE_MAX_BYTES): number {
  const files: { file: string; size: number; modified: number }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat !== undefined) files.push({ file, size: stat.size, modified: stat.mtimeMs });
  }
  let total = files.reduce((sum, { size }) => sum + size, 0);
  if (total <= maxBytes) return 0;
  const before = total;
  for (const { file, size } of files.sort((a, b) => a.modified - b.modified)) {
    if (total <= maxBytes / 2) break;
    rmSync(file, { force: true });
    total -= size;
  }
  return before - total;
}
