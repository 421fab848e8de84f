import { spawn, type ChildProcess } from 'node:child_process';
import { SENTINEL_BIN } from './cli.ts';
import { ApiClient } from './harness.ts';

/** How long one /health request may take while waiting for the server to start. */
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * Starts `sentinel serve` as its own process on a random loopback port (sync off, no rate limit) and
 * resolves once it answers /health: for tests that kill it (kill -9) or restart it. A port another
 * process took first is tried again on another one; a server that exits otherwise fails at once
 * (never polling a port some other program answers on).
 */
export async function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; api: ApiClient }> {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, [SENTINEL_BIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(port), SENTINEL_SYNC: 'off', SENTINEL_RATE_LIMIT_PER_MINUTE: '1000000', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    let exited = false;
    // 'close' comes after stderr has been read to its end.
    child.once('close', () => (exited = true));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !exited;) {
      try {
        // Bounded: a server that accepts the connection but never answers must not hold the loop past its deadline.
        if ((await fetch(`${api.baseUrl}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })).ok && !exited) return { child, api };
      } catch { /* not listening yet, or too slow to answer this time */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    if (exited && /port is already in use/.test(stderr) && attempt < 5) continue;
    throw new Error(`sentinel did not start: ${stderr}`);
  }
}
