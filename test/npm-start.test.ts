import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const REPO_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** The processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

// npm runs the script through a shell; stopping npm must stop the server it started, whether or
// not that shell passes the signal on (dash does not).
describe('npm start', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('stops the server, and frees its port, when npm gets SIGTERM; the compile cache stays with the data', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-npm-start-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: REPO_DIR,
      env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', SENTINEL_SYNC: 'off' },
      stdio: 'ignore',
    });
    const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let descendants: number[] = [];
    try {
      const healthy = await until(async () => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) })).status === 200;
        } catch {
          return false;
        }
      }, 60_000);
      assert.ok(healthy, 'the server answers /health');
      // npm's descendants: the shell (if it did not exec) and the server.
      descendants = childrenOf(npm.pid!).flatMap((pid) => [pid, ...childrenOf(pid)]);
      assert.ok(descendants.length > 0);

      npm.kill('SIGTERM');
      await npmExited;
      assert.ok(await until(() => descendants.every((pid) => !isAlive(pid)), 15_000), `still running: ${descendants.filter(isAlive).join(', ')}`);
      assert.ok(await portIsFree(port), 'the port is free again');
      // Not in the temp directory, which systemd's PrivateTmp empties at every restart.
      const cache = path.join(dataDir, 'compile-cache');
      assert.ok(readdirSync(cache).some((version) => readdirSync(path.join(cache, version)).length > 0), 'V8\'s compile cache is in the data directory');
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      for (const pid of descendants.filter(isAlive)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
