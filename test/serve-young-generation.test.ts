import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const REPO_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Starts `node bin/sentinel.js serve`, waits for /health and returns the V8 options the process ended up running with. */
async function serveArguments(nodeOptions: string | undefined): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-young-generation-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', SENTINEL_SYNC: 'off' };
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const server = spawn(process.execPath, ['bin/sentinel.js', 'serve'], { cwd: REPO_DIR, env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    for (const deadline = Date.now() + 60_000; ;) {
      assert.ok(Date.now() < deadline, 'the server answers /health within 60 s');
      assert.equal(server.exitCode, null, 'the server is running');
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) })).status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The same process (execve keeps the pid), with the arguments it runs with now.
    return readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').filter((argument) => argument.startsWith('--'));
  } finally {
    server.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// V8 would size the young generation from the machine's memory (64 MiB semi-spaces on a large host).
describe('the young generation of a server', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('is bounded by the launcher: serve runs with 16 MiB semi-spaces', { timeout: 90_000 }, async () => {
    assert.deepEqual(await serveArguments(undefined), ['--max-semi-space-size=16']);
  });

  it('is left to NODE_OPTIONS when it sets the size (0 = V8 sizes it)', { timeout: 90_000 }, async () => {
    assert.deepEqual(await serveArguments('--max-semi-space-size=0'), []);
  });
});
