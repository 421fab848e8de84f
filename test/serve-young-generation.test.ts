import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startServerProcess } from './helpers/server-process.ts';

/** Starts `sentinel serve` and returns the options its process ended up running with (execve keeps the pid). */
async function serveOptions(env: Record<string, string>): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-young-generation-'));
  const { child } = await startServerProcess({ SENTINEL_DATA_DIR: dataDir, ...env });
  try {
    return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter((argument) => argument.startsWith('--'));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// V8 would size the young generation from the machine's memory (64 MiB semi-spaces on a large host)
// and let promoted garbage grow the old space up to 4× its live size.
describe('the V8 heap of a server', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('is bounded by the launcher: serve runs with 16 MiB semi-spaces and a full collection at 1.5× the live old space', { timeout: 90_000 }, async () => {
    assert.deepEqual(await serveOptions({}), ['--max-semi-space-size=16', '--heap-growing-percent=50']);
  });

  it('gets the same flags from `npm start`, which gives them itself (no second Node start)', () => {
    const launcher = readFileSync(path.join(import.meta.dirname, '..', 'bin', 'sentinel.js'), 'utf8');
    const flags = JSON.parse(/const SERVE_V8_FLAGS = (\[[^\]]*\])/.exec(launcher)![1]!.replaceAll("'", '"')) as string[];
    const start = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    assert.equal(start, `exec node ${flags.join(' ')} bin/sentinel.js serve`);
  });

  it('is left to NODE_OPTIONS when it sets the size (0 = V8 sizes it)', { timeout: 90_000 }, async () => {
    assert.deepEqual(await serveOptions({ NODE_OPTIONS: '--max-semi-space-size=0' }), []);
  });
});
