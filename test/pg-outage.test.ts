import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from './helpers/free-port.ts';
import { ADMIN_PASSWORD, ApiClient, PASSWORD } from './helpers/harness.ts';

/*
 * Stops a real PostgreSQL under concurrent load and checks that Sentinel (a real `sentinel serve`
 * process, with its sync worker) stays up, answers the outage with 503 problem+json, and serves
 * again within seconds of the database's return. It needs PostgreSQL's server binaries to run a
 * throwaway cluster of its own (stopping a shared one would disturb other suites): set
 * SENTINEL_OUTAGE_PG_BIN to their directory (.ci/run does).
 */
const PG_BIN = process.env.SENTINEL_OUTAGE_PG_BIN;
const OUTAGE_MS = 30_000;
const RECOVERY_BOUND_MS = 5_000;
const LOAD_LOOPS = 32;
const BIN = new URL('../bin/sentinel.js', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A PostgreSQL cluster in a temporary directory, run as the postgres user when we are root. */
class ThrowawayCluster {
  readonly dir = mkdtempSync('/tmp/sentinel-outage-pg-');
  port = 0;

  private pg(tool: string, ...args: string[]): void {
    const command = path.join(PG_BIN!, tool);
    const asRoot = process.getuid?.() === 0;
    const result = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' }) : spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout || result.error}`);
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) {
      const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
      chownSync(this.dir, Number(ids), Number(gid));
    }
    this.port = await freePort();
    this.pg('initdb', '-D', `${this.dir}/data`, '-A', 'trust', '-U', 'postgres');
    this.start();
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    await client.query('CREATE DATABASE sentinel');
    await client.end();
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  start(): void {
    this.pg('pg_ctl', '-D', `${this.dir}/data`, '-l', `${this.dir}/server.log`, '-w', '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start');
  }

  /** A fast shutdown: PostgreSQL ends every session (57P01) and stops listening. */
  stop(): void {
    this.pg('pg_ctl', '-D', `${this.dir}/data`, '-m', 'fast', '-w', 'stop');
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // Already stopped.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Outcome {
  at: number;
  what: string;
  status: number;
  contentType: string;
  retryAfter: string | null;
  body: string;
}

describe('PostgreSQL outage under load', { skip: PG_BIN ? false : 'set SENTINEL_OUTAGE_PG_BIN to PostgreSQL\'s bin directory to run it (.ci/run does)' }, () => {
  const cluster = PG_BIN ? new ThrowawayCluster() : undefined;
  let child: ChildProcess;
  let output = '';
  let exited: string | undefined;
  let api: ApiClient;

  before(async () => {
    await cluster!.init();
    const port = await freePort();
    const dataDir = mkdtempSync('/tmp/sentinel-outage-data-');
    child = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: cluster!.url('sentinel'),
        SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD, SENTINEL_SECRET_KEY: 'outage-test-secret-key-0123456789abcdef',
        SENTINEL_RATE_LIMIT_PER_MINUTE: '10000000', SENTINEL_MAX_SESSIONS: '100', LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.on('exit', (code, signal) => (exited ??= `exited with ${signal ?? code}`));
    api = new ApiClient(`http://127.0.0.1:${port}`);
    for (let i = 0; ; i++) {
      if (exited !== undefined) throw new Error(`sentinel did not start: ${exited}\n${output}`);
      if ((await api.get('/ready').catch(() => undefined))?.status === 200) break;
      if (i > 300) throw new Error(`sentinel did not become ready\n${output}`);
      await sleep(100);
    }
  });

  after(async () => {
    if (child !== undefined && exited === undefined) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    cluster?.remove();
  });

  it(`stays up through a ${OUTAGE_MS / 1000} s stop, answers 503 problem+json, and serves again within ${RECOVERY_BOUND_MS / 1000} s`, { timeout: 120_000 }, async (test) => {
    const admin = await api.adminToken();
    const tenant = await api.createTenant(admin, 'Outage Corp');
    const user = await api.post('/api/v1/users', { username: 'outage.admin', password: PASSWORD, role: 'ADMIN', tenant_id: tenant.id }, admin);
    assert.equal(user.status, 201, user.text);
    const token = (await api.login('outage.admin', PASSWORD)).access_token;

    const outcomes: Outcome[] = [];
    let running = true;
    const request = async (what: string, method: string, url: string, body?: unknown): Promise<string | undefined> => {
      const at = Date.now();
      try {
        const response = await fetch(`${api.baseUrl}${url}`, {
          method,
          headers: { ...(what === 'refresh' ? {} : { authorization: `Bearer ${token}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        outcomes.push({ at, what, status: response.status, contentType: response.headers.get('content-type') ?? '', retryAfter: response.headers.get('retry-after'), body: text });
        return response.status === 200 && what === 'refresh' ? (JSON.parse(text) as { refresh_token: string }).refresh_token : undefined;
      } catch (error) {
        outcomes.push({ at, what, status: 0, contentType: '', retryAfter: null, body: String(error) });
        await sleep(50);
        return undefined;
      }
    };
    // Sessions for the refresh loops, one at a time (the load is about the outage, not sign-in).
    const refreshTokens: string[] = [];
    for (let i = 0; i < LOAD_LOOPS / 8; i++) refreshTokens.push((await api.login('outage.admin', PASSWORD)).refresh_token);
    // Bounded load: each loop waits for its answer before sending the next request. Reads, writes,
    // and token refreshes (a transaction of several queries, where a connection sits checked out
    // between queries).
    const loops = Array.from({ length: LOAD_LOOPS }, async (_, i) => {
      let refreshToken = i % 8 === 0 ? refreshTokens[i / 8] : undefined;
      for (let n = 0; running; n++) {
        if (refreshToken !== undefined) refreshToken = (await request('refresh', 'POST', '/api/v1/auth/refresh', { refresh_token: refreshToken })) ?? refreshToken;
        else if ((i + n) % 3 === 0) await request('write', 'POST', '/api/v1/tickets', { title: `outage ${i}.${n}` });
        else await request('read', 'GET', '/api/v1/tickets?limit=5');
      }
    });

    // However the scenario ends, the load loops stop with it.
    test.after(async () => {
      running = false;
      await Promise.all(loops);
    });
    await sleep(2_000);
    const stoppedAt = Date.now();
    cluster!.stop();
    const readyDuringOutage: number[] = [];
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      assert.equal(exited, undefined, `sentinel died during the outage\n${output.slice(-3000)}`);
      readyDuringOutage.push((await api.get('/ready').catch(() => undefined))?.status ?? 0);
      await sleep(1_000);
    }
    cluster!.start();
    const restartedAt = Date.now();
    let recoveredAfterMs: number | undefined;
    while (recoveredAfterMs === undefined && Date.now() - restartedAt < RECOVERY_BOUND_MS + 5_000) {
      const write = await api.post('/api/v1/tickets', { title: 'after the outage' }, token).catch(() => undefined);
      if (write?.status === 201) recoveredAfterMs = Date.now() - restartedAt;
      else await sleep(100);
    }
    // Keep the load on until the recovery bound has passed, to see what follows it.
    await sleep(Math.max(0, restartedAt + RECOVERY_BOUND_MS + 2_000 - Date.now()));
    running = false;
    await Promise.all(loops);

    const during = outcomes.filter((o) => o.at >= stoppedAt && o.at < restartedAt);
    const afterRecovery = outcomes.filter((o) => o.at >= restartedAt + RECOVERY_BOUND_MS);
    const tally = (list: Outcome[]) => {
      const counts = new Map<string, number>();
      for (const o of list) counts.set(`${o.what} ${o.status}`, (counts.get(`${o.what} ${o.status}`) ?? 0) + 1);
      return [...counts].map(([key, count]) => `${key} ×${count}`).join(', ');
    };
    test.diagnostic(`during the outage: ${tally(during)}; after the recovery bound: ${tally(afterRecovery)}; a write succeeded ${recoveredAfterMs} ms after the restart`);

    assert.equal(exited, undefined, `sentinel died\n${output.slice(-3000)}`);
    assert.ok(readyDuringOutage.length > 0 && readyDuringOutage.every((status) => status === 503), `/ready during the outage: ${readyDuringOutage.join(' ')}`);
    assert.ok(recoveredAfterMs !== undefined && recoveredAfterMs <= RECOVERY_BOUND_MS, `a write succeeded ${recoveredAfterMs ?? 'never'} ms after PostgreSQL restarted`);
    assert.ok(during.length > 100, `only ${during.length} requests during the outage`);
    assert.ok(during.some((o) => o.status === 503), 'the outage was seen');
    const wrong = outcomes.filter((o) => !(
      (o.status >= 200 && o.status < 500) ||
      (o.status === 503 && o.contentType.startsWith('application/problem+json') && o.retryAfter !== null && !/ECONN|57P0|\d+\.\d+\.\d+\.\d+:\d+|"code"/.test(o.body))
    ));
    // For a 500, the server's log line for its request id says what failed.
    const logged = (o: Outcome) => {
      const requestId = /"request_id":"([^"]+)"/.exec(o.body)?.[1];
      return requestId === undefined ? '' : output.split('\n').filter((line) => line.includes(requestId)).join(' | ').slice(0, 1500);
    };
    assert.deepEqual(wrong.slice(0, 5).map((o) => `${o.what} ${o.status} ${o.contentType} ${o.body.slice(0, 200)} ${logged(o)}`), [], `${wrong.length} answers were neither 2xx/4xx nor a clean 503`);
    assert.ok(afterRecovery.length > 0 && afterRecovery.every((o) => o.status < 400), `after recovery: ${tally(afterRecovery.filter((o) => o.status >= 400))}`);
    assert.doesNotMatch(output, /sync worker (exited|failed)/, 'the sync worker survived the outage');
  });
});
