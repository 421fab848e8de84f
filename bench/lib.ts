/**
 * Shared pieces of the benchmarks: child processes that are always cleaned up, a Sentinel server
 * on a fresh embedded database, and a provisioned tenant admin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_PASSWORD = 'Bench-Root-Pass-9';
export const BENCH_USERNAME = 'bench.user';
export const BENCH_PASSWORD = 'Bench-User-Pass-7';
// Config accepts at most 10,000,000 per minute; far above what one process can serve (~170k/s).
export const RATE_LIMIT_PER_MINUTE = 10_000_000;

// ---------------------------------------------------------------------------------------------
// Child processes: tracked so every exit path (success, error, signal, watchdog) ends them.

export interface Child {
  name: string;
  process: ChildProcess;
  /** Tail of stdout+stderr, for error messages. */
  output: () => string;
  exited: Promise<void>;
}

const children = new Set<Child>();

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, { cwd: REPO_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-16_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  const child: Child = { name, process: proc, output: () => tail, exited };
  children.add(child);
  return child;
}

export const isRunning = (child: Child) => child.process.exitCode === null && child.process.signalCode === null;

export async function stopChild(child: Child): Promise<void> {
  if (isRunning(child)) {
    child.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (isRunning(child)) child.process.kill('SIGKILL');
    }, 5_000);
    await child.exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

// Last resort (process.exit from anywhere): synchronous, so only a signal can be sent.
process.on('exit', () => {
  for (const child of children) if (isRunning(child)) child.process.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A whole number from the environment, `fallback` when unset; anything else outside [min, max] stops the bench. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
  return value;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
  };
}

/** CPU time (user + system) of a process in ms, from /proc; undefined where /proc is missing. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / 100 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * How long a process has waited for a CPU while ready to run (ms), from /proc/PID/schedstat: the
 * time other processes on the machine took from it. Undefined where /proc is missing.
 */
export function processRunQueueMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const waitNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (ms, summed over all cores) the whole machine spent busy, from /proc/stat. */
export function systemBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const ticks = values.slice(0, 8).map(Number);
    if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    const busy = ticks.reduce((sum, t) => sum + t, 0) - ticks[3]! - ticks[4]!;
    return (busy * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** How busy the machine is before the bench starts (% of one core over `ms`). */
export async function backgroundCpu(ms: number): Promise<number | undefined> {
  const before = systemBusyMs();
  const started = performance.now();
  await sleep(ms);
  const after = systemBusyMs();
  return before !== undefined && after !== undefined ? ((after - before) / (performance.now() - started)) * 100 : undefined;
}

/** Resident memory of a process in MiB, from /proc (undefined where /proc is missing). */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitUntilHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`${child.name} exited before answering (code ${child.process.exitCode}):\n${child.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer 200 on ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

export async function call<T>(base: string, method: 'GET' | 'POST' | 'PATCH', route: string, expected: number, options: { body?: unknown; token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${route}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route}: expected ${expected}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface SentinelSetup {
  child: Child;
  base: string;
  token: string;
  tenantId: string;
  dataDir: string;
}

/** The environment of a benchmarked Sentinel: its own data dir and port; the shell's settings (a DATABASE_URL …) do not leak in. */
export function sentinelEnv(dataDir: string, port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SENTINEL_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SENTINEL_ADMIN_USERNAME: 'admin',
    SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
  for (const name of ['DATABASE_URL', 'SENTINEL_SECRET_KEY', 'SENTINEL_TRUST_PROXY', 'SENTINEL_CORS_ORIGINS', 'SENTINEL_METRICS_TOKEN', 'NODE_OPTIONS']) delete env[name];
  // Node options for the measured server only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), never the bench's own.
  if (process.env.BENCH_SERVER_NODE_OPTIONS !== undefined) env.NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS;
  return { ...env, ...extra };
}

export async function startSentinel(extraEnv: NodeJS.ProcessEnv = {}): Promise<SentinelSetup> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-bench-'));
  const port = await freePort();
  const env = sentinelEnv(dataDir, port, { SENTINEL_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE), ...extraEnv });
  const child = startChild('sentinel', ['bin/sentinel.js', 'serve'], env);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(child, `${base}/health`, 60_000);
  return { child, base, dataDir, ...(await provision(base)) };
}

export interface TokenPair { access_token: string }
export interface IdOnly { id: string }
export interface MeView { id: string; username: string; tenant_id: string | null; role: string }
export interface TicketPageView { items: { id: string; tenant_id: string }[]; next_cursor: string | null }

/** Tenant, tenant admin and its token, then 10,000 tickets written straight into SQLite. */
export async function provision(base: string): Promise<{ token: string; tenantId: string; userId: string }> {
  const admin = await call<TokenPair>(base, 'POST', '/api/v1/auth/login', 200, { body: { username: 'admin', password: ADMIN_PASSWORD } });
  const tenant = await call<IdOnly>(base, 'POST', '/api/v1/tenants', 201, { token: admin.access_token, body: { name: 'Bench Tenant' } });
  const user = await call<IdOnly>(base, 'POST', '/api/v1/users', 201, {
    token: admin.access_token,
    body: { username: BENCH_USERNAME, password: BENCH_PASSWORD, role: 'ADMIN', tenant_id: tenant.id },
  });
  const login = await call<TokenPair>(base, 'POST', '/api/v1/auth/login', 200, { body: { username: BENCH_USERNAME, password: BENCH_PASSWORD } });
  const me = await call<MeView>(base, 'GET', '/api/v1/auth/me', 200, { token: login.access_token });
  if (me.id !== user.id || me.tenant_id !== tenant.id) throw new Error(`/auth/me answered an unexpected user: ${JSON.stringify(me)}`);
  return { token: login.access_token, tenantId: tenant.id, userId: user.id };
}


export interface Latencies {
  count: number;
  /** Answers other than 2xx, plus `failed`. */
  errors: number;
  /** Requests that got no answer (a socket error or a timeout). */
  failed: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  rps: number;
}

/** One request of a paced load; `n` counts the load's requests from 0. */
export interface PacedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * `load.clients` clients sending `load.rate` requests per second in all against `origin`, each on its
 * own schedule, until `until()` says stop. A slow answer does not lower the offered load unnoticed:
 * latency is measured from the scheduled time (no coordinated omission). Latencies in ms.
 */
export async function pacedLoad(origin: string, load: { clients: number; rate: number }, until: () => boolean, next: (n: number) => PacedRequest): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  let failed = 0;
  let sent = 0;
  const started = performance.now();
  const periodMs = (1000 * load.clients) / load.rate;
  await Promise.all(Array.from({ length: load.clients }, async (_, client) => {
    for (let n = 0; !until(); n++) {
      const t = started + (n + client / load.clients) * periodMs;
      const wait = t - performance.now();
      if (wait > 0) await sleep(wait);
      const { path: route, ...options } = next(sent++);
      try {
        // As autocannon's timeout here: a request unanswered for 10 s fails the run.
        const response = await request(origin + route, { ...options, headersTimeout: 10_000, bodyTimeout: 10_000 });
        await response.body.dump();
        if (response.statusCode < 200 || response.statusCode > 299) errors++;
      } catch {
        errors++;
        failed++;
      }
      samples.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  const pick = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 10) / 10;
  return { count: samples.length, errors, failed, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: Math.round(samples.at(-1)! * 10) / 10, rps: Math.round(samples.length / seconds) };
}

/** `pacedLoad` of one GET `url` with a bearer token. */
export function readLoad(url: string, token: string, load: { clients: number; rate: number }, until: () => boolean): Promise<Latencies> {
  const { origin, pathname, search } = new URL(url);
  return pacedLoad(origin, load, until, () => ({ method: 'GET', path: pathname + search, headers: { authorization: `Bearer ${token}` } }));
}

export const README = path.join(REPO_DIR, 'bench', 'README.md');

/** Replaces the part of bench/README.md between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function writeReadmeSection(name: string, section: string): void {
  const [startMarker, endMarker] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
  const block = `${startMarker}\n${section}\n${endMarker}`;
  const current = existsSync(README) ? readFileSync(README, 'utf8') : '# Sentinel benchmarks\n';
  const start = current.indexOf(startMarker);
  const end = current.indexOf(endMarker);
  const next = start !== -1 && end > start
    ? current.slice(0, start) + block + current.slice(end + endMarker.length)
    : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(README, next);
}

/**
 * Runs a bench's main and exits with its code: it writes its section of bench/README.md only when
 * it succeeded, and every child process is stopped whatever happens.
 */
export async function runBench(name: string, main: () => Promise<number>): Promise<never> {
  let code = 1;
  try {
    code = await main();
    if (code === 0) console.log('\nWrote the results into bench/README.md.');
  } catch (error) {
    console.error(`\n${name} failed:`, error instanceof Error ? error.message : error);
  } finally {
    await stopAll();
  }
  process.exit(code);
}
