/**
 * Cluster benchmark (`npm run bench:cluster`).
 *
 * 1. Scale-out: BENCH_TENANTS tenants (default 1,000) on one PostgreSQL database, each with a signed-in
 *    OPERATOR, a system and 100 alerts (10 open). Mixed traffic through nginx, 80 % reads (open
 *    alerts, alert history, system status) and 20 % writes (a new ticket), each request as a random
 *    tenant's user: first on three nodes (pg-boss jobs, Redis), then on one of them alone behind the
 *    same kind of nginx: as fast as the nodes answer (closed loop), then the highest rate offered on a
 *    fixed schedule (open loop) that they carry with p95 < 100 ms, found by bisection. Target: ≥ 2,000
 *    req/s with p95 < 100 ms on three nodes.
 * 2. Backup and restore: a platform database (embedded SQLite) with BENCH_AUDIT_ROWS audit entries
 *    (default 1,000,000) and BENCH_PLANTS plant databases (default 10) with detections;
 *    `sentinel backup create`, then `sentinel backup restore FILE` into an empty data directory.
 *
 * Needs nginx (Debian package `nginx`), a PostgreSQL server (BENCH_DATABASE_URL, default
 * TEST_DATABASE_URL: the bench creates its own database next to it and drops it) and Redis
 * (BENCH_REDIS_URL, default TEST_REDIS_URL). Environment: BENCH_DURATION (seconds per scenario,
 * default 30), BENCH_CONNECTIONS (default 100), BENCH_STEP_DURATION, BENCH_TENANTS, BENCH_AUDIT_ROWS, BENCH_PLANTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import pg from 'pg';
import { hashPassword } from '../src/platform/auth/passwords.ts';
import { newId } from '../src/platform/ids.ts';
import { startNginx, type Nginx } from '../test/helpers/nginx.ts';
import {
  ADMIN_PASSWORD, REPO_DIR, RATE_LIMIT_PER_MINUTE, backgroundCpu, call, envInt, freePort, isRunning, processCpuMs, processRunQueueMs, systemBusyMs, machine, runBench, sentinelEnv, startChild, startSentinel,
  pacedLoad, sleep, stopAll, stopChild, waitUntilHealthy, writeReadmeSection, type Child, type IdOnly, type PacedRequest, type TokenPair,
} from './lib.ts';

const DURATION_S = envInt('BENCH_DURATION', 30, 1, 3600);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 100, 1, 10_000);
const TENANTS = envInt('BENCH_TENANTS', 1_000, 1, 100_000);
const AUDIT_ROWS = envInt('BENCH_AUDIT_ROWS', 1_000_000, 0, 100_000_000);
const PLANTS = envInt('BENCH_PLANTS', 10, 0, 1_000);
const WARMUP_S = 5;
/**
 * Warm-up ends once a slice serves this share of its reads from the response caches (each node has
 * its own, and must have seen each tenant's pages once), as nodes that have run for minutes do; at
 * most WARMUP_MAX_S.
 */
const WARM_CACHE_SHARE = 95;
const WARMUP_MAX_S = 90;
/** Seconds of each step of the search for the highest rate carried within the p95 target. */
const STEP_S = envInt('BENCH_STEP_DURATION', 10, 1, 600);
/** Steps of that search (a bisection between nothing and the closed loop's rate). */
const SEARCH_STEPS = 5;
const SETTLE_MS = 5_000;
const ALERTS_PER_TENANT = 100;
const OPEN_PER_TENANT = 10;
const DETECTIONS_PER_PLANT = 5_000;
const TARGET = { rps: 2_000, p95Ms: 100 };
const SECRET = 'cluster-bench-shares-this-secret-key-0123456789';
const PASSWORD = 'Bench-User-Pass-7';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
/** TEST_REDIS_URL's database 11 unless told otherwise: the suites' own sign-ins from 127.0.0.1 are counted elsewhere. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? (process.env.TEST_REDIS_URL === undefined ? undefined : Object.assign(new URL(process.env.TEST_REDIS_URL), { pathname: '/11' }).toString());

/** 80 % reads, 20 % writes; each entry is one tenth of the traffic. */
const MIX: { method: 'GET' | 'POST'; path: string }[] = [
  ...Array.from({ length: 4 }, () => ({ method: 'GET' as const, path: '/api/v1/alerts/active?limit=50' })),
  ...Array.from({ length: 2 }, () => ({ method: 'GET' as const, path: '/api/v1/systems/status' })),
  ...Array.from({ length: 2 }, () => ({ method: 'GET' as const, path: '/api/v1/alerts?limit=20' })),
  ...Array.from({ length: 2 }, () => ({ method: 'POST' as const, path: '/api/v1/tickets' })),
];

/** The plant database files of a data directory (none until a tenant has a production line). */
const plantDatabases = (dataDir: string) => (readdirSync(dataDir).includes('tenants') ? readdirSync(path.join(dataDir, 'tenants')).length : 0);

// ---------------------------------------------------------------------------------------------
// Scale-out

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A Sentinel node: its process and the address nginx (and the bench, for /metrics) reaches it at. */
interface Node {
  child: Child;
  address: string;
}

async function startNode(databaseUrl: string, node: number, nodesDir: string): Promise<Node> {
  const dataDir = path.join(nodesDir, `node${node}`);
  mkdirSync(dataDir);
  const port = await freePort();
  const child = startChild(`sentinel node ${node}`, ['bin/sentinel.js', 'serve'], sentinelEnv(dataDir, port, {
    DATABASE_URL: databaseUrl, REDIS_URL, SENTINEL_JOBS: 'pg-boss', SENTINEL_SECRET_KEY: SECRET,
    SENTINEL_TRUST_PROXY: '127.0.0.1', SENTINEL_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
  }));
  await waitUntilHealthy(child, `http://127.0.0.1:${port}/health`, 120_000);
  return { child, address: `127.0.0.1:${port}` };
}

/** Runs `work` for 0…count-1, `parallel` at a time. */
async function inParallel(count: number, parallel: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await work(next++);
  }));
}

/** How many tenants are seeded at once: enough to keep three nodes busy, few enough for the sign-in throttle (30 open attempts per address). */
const SEED_PARALLEL = 16;

/**
 * Tenants and their integrations through the API; each tenant's OPERATOR inserted straight into
 * PostgreSQL with one Argon2id hash computed by Sentinel's own hasher (hashing 1,000 times through
 * the API measures nothing the bench is about), then signed in through the API (every token a real
 * session, every password check a real Argon2id verification); systems and alerts straight into
 * PostgreSQL.
 */
async function seedTenants(base: string, databaseUrl: string): Promise<string[]> {
  const admin = await call<TokenPair>(base, 'POST', '/api/v1/auth/login', 200, { body: { username: 'admin', password: ADMIN_PASSWORD } });
  const passwordHash = await hashPassword(PASSWORD);
  const tokens: string[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max: SEED_PARALLEL });
  try {
    await inParallel(TENANTS, SEED_PARALLEL, async (i) => {
      const tenant = await call<IdOnly>(base, 'POST', '/api/v1/tenants', 201, { token: admin.access_token, body: { name: `Bench Tenant ${i}` } });
      const integration = await call<IdOnly>(base, 'POST', `/api/v1/integrations?tenant_id=${tenant.id}`, 201, {
        token: admin.access_token, body: { name: 'Bench Grafana', type: 'grafana', enabled: false, config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_bench' },
      });
      await insertTenantData(pool, tenant.id, integration.id, `bench.${i}`, passwordHash);
      tokens.push((await call<TokenPair>(base, 'POST', '/api/v1/auth/login', 200, { body: { username: `bench.${i}`, password: PASSWORD } })).access_token);
    });
  } finally {
    await pool.end();
  }
  return tokens;
}

/** The tenant's OPERATOR, its system and its alerts, in one transaction. */
async function insertTenantData(pool: pg.Pool, tenantId: string, integrationId: string, username: string, passwordHash: string): Promise<void> {
  const client = await pool.connect();
  try {
    const now = Date.now();
    await client.query('BEGIN');
    await client.query(`INSERT INTO users (id, tenant_id, username, email, role, permissions, password_hash, is_active, created_at, updated_at)
      VALUES ($1, $2, $3, NULL, 'OPERATOR', '[]', $4, 1, $5, $5)`, [newId(now), tenantId, username, passwordHash, now]);
    const systemId = newId(now);
    await client.query(`INSERT INTO systems (id, tenant_id, integration_id, name, type, status, status_summary, uptime_seconds, response_time_avg_ms, last_seen, created_at, updated_at)
      VALUES ($1, $2, $3, 'Bench system', 'grafana', 'online', NULL, 3600, 12, $4, $4, $4)`, [systemId, tenantId, integrationId, now]);
    const rows: unknown[] = [];
    for (let a = 0; a < ALERTS_PER_TENANT; a++) {
      const at = now - (ALERTS_PER_TENANT - a) * 60_000;
      const open = a >= ALERTS_PER_TENANT - OPEN_PER_TENANT;
      rows.push(newId(at), tenantId, integrationId, systemId, `bench-${a}`, `Alert ${a}`, ['critical', 'high', 'medium', 'low'][a % 4], open ? 'active' : 'resolved', at, open ? null : at + 60_000);
    }
    const values = Array.from({ length: ALERTS_PER_TENANT }, (_, r) => {
      const p = (k: number) => `$${r * 10 + k}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, 'Synthetic alert for the benchmark', ${p(7)}, NULL, 'bench', 'host-1', ${p(8)}, ${p(9)}, ${p(9)}, 1, NULL, NULL, ${p(10)}, NULL, NULL, ${p(9)}, ${p(9)})`;
    });
    await client.query(`INSERT INTO alerts (id, tenant_id, integration_id, system_id, external_id, title, description, severity, vendor_severity, source, asset, status,
      first_seen, last_seen, occurrences, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, created_at, updated_at) VALUES ${values.join(', ')}`, rows);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** What each part of the machine spent over the run, in % of one core. */
  usage: Usage;
}

/** % of one core over the measured window; undefined where /proc could not tell. */
interface Usage {
  /** CPU time of the Sentinel nodes together. */
  nodes: number | undefined;
  /** Time the nodes were ready to run but waited for a CPU another process held. */
  nodesWaiting: number | undefined;
  /** CPU time of the PostgreSQL backends serving the bench's database. */
  postgres: number | undefined;
  /** CPU time of this process: autocannon and its bookkeeping. */
  loadGenerator: number;
  /** Everything, including what else ran on the machine. */
  machine: number | undefined;
  /** Share of the cacheable reads the nodes answered from their response caches, in %. */
  cacheHits: number | undefined;
}

const cpu = (share: number | undefined) => (share === undefined ? 'n/a' : `${share} %`);

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

/** Adds up `read` over processes; undefined as soon as one cannot be read. */
function sumOver(pids: (number | undefined)[], read: (pid: number | undefined) => number | undefined): number | undefined {
  return pids.reduce<number | undefined>((sum, pid) => {
    const value = read(pid);
    return sum === undefined || value === undefined ? undefined : sum + value;
  }, 0);
}

/** The PostgreSQL backends connected to the bench's database, by pid, with their CPU time so far (ms). */
async function postgresCpuMs(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  const cpuByPid = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) cpuByPid.set(pid, ms);
  }
  return cpuByPid;
}

/** The nodes' response cache lookups so far (`sentinel_response_cache_lookups_total`), summed. */
async function cacheLookups(nodes: Node[]): Promise<{ hit: number; miss: number }> {
  const totals = { hit: 0, miss: 0 };
  for (const node of nodes) {
    const text = await (await fetch(`http://${node.address}/metrics`)).text();
    for (const result of ['hit', 'miss'] as const) {
      totals[result] += Number(new RegExp(`sentinel_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    }
  }
  return totals;
}

/** CPU, waiting, PostgreSQL and response cache counters now; the difference of two snapshots is a Usage. */
async function snapshot(nodes: Node[], admin: pg.Client, database: string) {
  const pids = nodes.map((node) => node.child.process.pid);
  return {
    at: performance.now(), nodes: sumOver(pids, processCpuMs), nodesWaiting: sumOver(pids, processRunQueueMs),
    postgres: await postgresCpuMs(admin, database), self: process.cpuUsage(), machine: systemBusyMs(), cache: await cacheLookups(nodes),
  };
}

function usageBetween(before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>): Usage {
  const elapsed = after.at - before.at;
  const share = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((ms / elapsed) * 100));
  const delta = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? undefined : to - from);
  // A backend that connected during the run counts from zero; one that left takes its share with it.
  let postgres = 0;
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
  const self = process.cpuUsage(before.self);
  const hits = after.cache.hit - before.cache.hit;
  const lookups = hits + after.cache.miss - before.cache.miss;
  return {
    nodes: share(delta(before.nodes, after.nodes)), nodesWaiting: share(delta(before.nodesWaiting, after.nodesWaiting)),
    postgres: share(postgres), loadGenerator: share((self.user + self.system) / 1000)!, machine: share(delta(before.machine, after.machine)),
    cacheHits: lookups === 0 ? undefined : Math.round((hits / lookups) * 100),
  };
}

/** The n-th request of the mix, as a random tenant's user. */
function mixRequest(n: number, tokens: string[]): PacedRequest {
  const { method, path: route } = MIX[n % MIX.length]!;
  const authorization = `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]!}`;
  return method === 'POST'
    ? { method, path: route, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ title: `Bench ticket ${n}`, priority: 'low' }) }
    : { method, path: route, headers: { authorization } };
}

type Load = Omit<LoadResult, 'name' | 'usage'>;

/** As many requests as CONNECTIONS keep-alive connections get answered, each sending its next one on the answer (autocannon). */
async function closedLoop(nginx: Nginx, tokens: string[], seconds: number): Promise<Load> {
  let n = 0;
  const latencies: number[] = [];
  const run = autocannon({
    url: nginx.url,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    requests: [{
      setupRequest: (request) => {
        const next = mixRequest(n++, tokens);
        return { ...request, ...next, headers: { ...request.headers, ...next.headers } };
      },
    }],
  });
  run.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await run;
  latencies.sort((a, b) => a - b);
  return {
    rps: Math.round(result.requests.average), p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99),
    requests: result.requests.total, non2xx: result.non2xx, errors: result.errors,
  };
}

/** `rate` requests a second offered whatever the answers' pace, over CONNECTIONS clients; latency from each request's scheduled time. */
async function openLoop(nginx: Nginx, tokens: string[], seconds: number, rate: number): Promise<Load> {
  const end = performance.now() + seconds * 1000;
  const load = await pacedLoad(nginx.url, { clients: CONNECTIONS, rate }, () => performance.now() >= end, (n) => mixRequest(n, tokens));
  return { rps: load.rps, p50: load.p50, p95: load.p95, p99: load.p99, requests: load.count, non2xx: load.errors - load.failed, errors: load.failed };
}

/** Carried within the target: served as offered (3 % slack for the first and last second) with p95 under TARGET.p95Ms. */
const withinTarget = (result: Load, offered: number) => result.p95 < TARGET.p95Ms && result.rps >= offered * 0.97;

interface Search {
  /** The step at the highest rate carried within the target; undefined when none was. */
  best: LoadResult | undefined;
  /** Every step, in order, with the rate it offered. */
  steps: { offered: number; result: LoadResult }[];
}

/**
 * The highest offered rate (open loop) carried within the target: a bisection between 0 and the
 * closed loop's rate, SEARCH_STEPS steps of STEP_S seconds (a failed step is run at most twice).
 */
async function highestRateWithinTarget(label: string, ceiling: number, step: (rate: number) => Promise<LoadResult>): Promise<Search> {
  let carried = 0;
  let failed = ceiling;
  const search: Search = { best: undefined, steps: [] };
  // What the closed loop left behind (autovacuum after its inserts, queues draining) settles first.
  await sleep(SETTLE_MS);
  for (let i = 0; i < SEARCH_STEPS; i++) {
    const offered = Math.max(1, Math.round((carried + failed) / 2));
    let result = await step(offered);
    search.steps.push({ offered, result });
    // A failed step is tried once more: one noisy step would otherwise halve the answer.
    if (!withinTarget(result, offered)) {
      result = await step(offered);
      search.steps.push({ offered, result });
    }
    if (withinTarget(result, offered)) {
      carried = offered;
      search.best = { ...result, name: `${label}, ${offered.toLocaleString('en-US')} req/s offered (the highest carried with p95 < ${TARGET.p95Ms} ms)` };
    } else {
      failed = offered;
    }
  }
  return search;
}

/** One line of a search's steps for the README. */
const searchSteps = (label: string, search: Search) => `${label}: ${search.steps.map(({ offered, result }) => `${offered.toLocaleString('en-US')} offered → ${result.rps.toLocaleString('en-US')} served, p95 ${result.p95} ms ${withinTarget(result, offered) ? '✓' : '✗'}`).join('; ')}.`;

/** Runs `drive` and reports its latencies with what the nodes, PostgreSQL and the machine spent meanwhile. */
async function measured(name: string, nodes: Node[], admin: pg.Client, database: string, drive: () => Promise<Load>): Promise<LoadResult> {
  const before = await snapshot(nodes, admin, database);
  const load = await drive();
  const usage = usageBetween(before, await snapshot(nodes, admin, database));
  console.log(`${name}: ${load.rps} req/s, p95 ${load.p95} ms; CPU in % of one core: nodes ${cpu(usage.nodes)} (waiting for a CPU ${cpu(usage.nodesWaiting)}), PostgreSQL ${cpu(usage.postgres)}, load generator ${cpu(usage.loadGenerator)}, machine ${cpu(usage.machine)}; response cache hits ${cpu(usage.cacheHits)}`);
  return { name, ...load, usage };
}

/** What the three nodes and PostgreSQL spend with no traffic at all (background jobs, pg-boss): the floor under every figure. */
async function idleUsage(nodes: Node[], admin: pg.Client, database: string): Promise<Usage> {
  const before = await snapshot(nodes, admin, database);
  await sleep(WARMUP_S * 1000);
  const usage = usageBetween(before, await snapshot(nodes, admin, database));
  console.log(`idle: CPU in % of one core: nodes ${cpu(usage.nodes)}, PostgreSQL ${cpu(usage.postgres)}, machine ${cpu(usage.machine)}`);
  return usage;
}

/** How long a warm-up ran and the cache share its last slice reached. */
const warmed = (warmUp: { seconds: number; share: number | undefined } | undefined) => (warmUp === undefined ? 'n/a' : `${warmUp.seconds} s, last slice ${cpu(warmUp.share)}`);

/** CPU milliseconds per request from a share of one core at `rps`. */
const perRequest = (share: number | undefined, rps: number) => (share === undefined || rps === 0 ? 'n/a' : ((share * 10) / rps).toFixed(2));

async function scaleOut(): Promise<{ lines: string[]; failed: boolean }> {
  if (DATABASE_URL === undefined || REDIS_URL === undefined) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) and BENCH_REDIS_URL (or TEST_REDIS_URL)');
  const name = `sentinel_bench_${process.pid}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const nginxes: Nginx[] = [];
  const nodesDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-bench-nodes-'));
  try {
    const first = await startNode(databaseUrl, 1, nodesDir);
    const nodes = [first, ...await Promise.all([2, 3].map((node) => startNode(databaseUrl, node, nodesDir)))];
    const three = await startNginx(nodes.map((node) => node.address), { workers: 2 });
    nginxes.push(three);
    const seedStarted = performance.now();
    const tokens = await seedTenants(three.url, databaseUrl);
    const seedSeconds = Math.round((performance.now() - seedStarted) / 1000);
    console.log(`Seeded ${TENANTS.toLocaleString('en-US')} tenants in ${seedSeconds} s`);

    let idle: Usage | undefined;
    let threeWarmUp: { seconds: number; share: number | undefined } | undefined;
    let oneWarmUp: typeof threeWarmUp;
    const { threeClosed, threeOpen, oneClosed, oneOpen } = await withAdminClient(async (admin) => {
      const closed = (label: string, nginx: Nginx, serving: Node[], seconds: number) => measured(label, serving, admin, name, () => closedLoop(nginx, tokens, seconds));
      const search = async (label: string, nginx: Nginx, serving: Node[], closedLoopRate: number) => highestRateWithinTarget(label, closedLoopRate,
        (rate) => measured(`${label}, ${rate} req/s offered`, serving, admin, name, () => openLoop(nginx, tokens, STEP_S, rate)));
      idle = await idleUsage(nodes, admin, name);
      const warmUp = async (nginx: Nginx, serving: Node[]) => {
        let seconds = 0;
        let share: number | undefined;
        do {
          share = (await closed(`warm-up (${seconds} s so far)`, nginx, serving, WARMUP_S)).usage.cacheHits;
          seconds += WARMUP_S;
        } while (share !== undefined && share < WARM_CACHE_SHARE && seconds < WARMUP_MAX_S);
        return { seconds, share };
      };
      threeWarmUp = await warmUp(three, nodes);
      const threeClosed = await closed('three nodes behind nginx', three, nodes, DURATION_S);
      const threeOpen = await search('three nodes', three, nodes, threeClosed.rps);
      for (const node of nodes.slice(1)) await stopChild(node.child);
      if (!isRunning(first.child)) throw new Error(`node 1 exited: ${first.child.output()}`);
      const one = await startNginx([first.address], { workers: 2 });
      nginxes.push(one);
      oneWarmUp = await warmUp(one, [first]);
      const oneClosed = await closed('one node behind nginx', one, [first], DURATION_S);
      const oneOpen = await search('one node', one, [first], oneClosed.rps);
      return { threeClosed, threeOpen, oneClosed, oneOpen };
    });
    await stopChild(first.child);

    const results = [threeClosed, threeOpen.best, oneClosed, oneOpen.best].filter((result) => result !== undefined);
    const everyRun = [threeClosed, oneClosed, ...threeOpen.steps.map((step) => step.result), ...oneOpen.steps.map((step) => step.result)];
    const carried = (search: Search) => (search.best === undefined ? 'none of the rates tried' : `${search.best.rps.toLocaleString('en-US')} req/s (p95 ${search.best.p95} ms)`);
    const met = (threeClosed.rps >= TARGET.rps && threeClosed.p95 < TARGET.p95Ms) || (threeOpen.best?.rps ?? 0) >= TARGET.rps;
    const lines = [
      `${TENANTS.toLocaleString('en-US')} tenants (each: one OPERATOR signed in, one system, ${ALERTS_PER_TENANT} alerts of which ${OPEN_PER_TENANT} open), seeded in ${seedSeconds} s. ${CONNECTIONS} connections, ${DURATION_S} s per scenario after a closed-loop warm-up in ${WARMUP_S} s slices until one serves ≥ ${WARM_CACHE_SHARE} % of its reads from the response caches (at most ${WARMUP_MAX_S} s: steady state, as nodes that have run for minutes; three nodes: ${warmed(threeWarmUp)}, one node: ${warmed(oneWarmUp)}); closed loop (each connection sends its next request on the answer: the most the nodes serve) or open loop (a rate offered on a fixed schedule, latency counted from each request's scheduled time; the highest rate carried with p95 < ${TARGET.p95Ms} ms found in ${SEARCH_STEPS} steps of ${STEP_S} s, a failed step run at most twice); 80 % reads (\`GET /api/v1/alerts/active?limit=50\` 40 %, \`/systems/status\` 20 %, \`/alerts?limit=20\` 20 %), 20 % writes (\`POST /api/v1/tickets\`), every request as a random tenant's user.`,
      '',
      '| scenario | req/s | p50 ms | p95 ms | p99 ms | requests | non-2xx | errors | nodes CPU | nodes waiting for a CPU | PostgreSQL CPU | load generator CPU | machine CPU | nodes + PostgreSQL CPU ms per request | reads from the response cache |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map((r) => {
        const u = r.usage;
        return `| ${r.name} | ${r.rps.toLocaleString('en-US')} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.requests.toLocaleString('en-US')} | ${r.non2xx} | ${r.errors} | ${cpu(u.nodes)} | ${cpu(u.nodesWaiting)} | ${cpu(u.postgres)} | ${cpu(u.loadGenerator)} | ${cpu(u.machine)} | ${perRequest(u.nodes, r.rps)} + ${perRequest(u.postgres, r.rps)} | ${cpu(u.cacheHits)} |`;
      }),
      '',
      `With no traffic, over ${WARMUP_S} s before the warm-up, the three nodes used ${cpu(idle?.nodes)} of one core and PostgreSQL ${cpu(idle?.postgres)} (background jobs, pg-boss), the machine ${cpu(idle?.machine)}.`,
      '',
      'CPU columns: time over the measured window in % of one core (the machine has 2 cores: 200 % in all). Nodes: the Sentinel processes together; waiting for a CPU: the time they were ready to run while other processes held both cores (/proc/PID/schedstat); PostgreSQL: the backends of the bench\'s database (pg-boss included); load generator: this process (autocannon, or undici\'s paced clients); machine: everything, including nginx, Redis and whatever else ran. Reads from the response cache: the share of the cacheable reads (all reads of this mix) that the nodes answered from memory (`sentinel_response_cache_lookups_total`); each node has its own cache.',
      '',
      `Target on three nodes: ≥ ${TARGET.rps.toLocaleString('en-US')} req/s with p95 < ${TARGET.p95Ms} ms: **${met ? 'met' : 'not met'}** (closed loop ${threeClosed.rps.toLocaleString('en-US')} req/s, p95 ${threeClosed.p95} ms). Highest rate carried with p95 < ${TARGET.p95Ms} ms: ${carried(threeOpen)} on three nodes, ${carried(oneOpen)} on one.`,
      '',
      `Open-loop steps (✓: served as offered with p95 < ${TARGET.p95Ms} ms). ${searchSteps('Three nodes', threeOpen)} ${searchSteps('One node', oneOpen)}`,
    ];
    return { lines, failed: everyRun.some((r) => r.non2xx > 0 || r.errors > 0) };
  } finally {
    for (const nginx of nginxes) await nginx.stop();
    await stopAll();
    rmSync(nodesDir, { recursive: true, force: true });
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

// ---------------------------------------------------------------------------------------------
// Backup and restore

function sentinelCli(dataDir: string, ...args: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, ['bin/sentinel.js', ...args], {
    cwd: REPO_DIR, env: sentinelEnv(dataDir, 0), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024,
  });
  return { ms: Math.round(performance.now() - started), stdout };
}

function insertAuditRows(file: string, rows: number): void {
  const db = new DatabaseSync(file);
  try {
    const insert = db.prepare(`INSERT INTO audit_logs (id, tenant_id, actor_id, actor_username, action, resource_type, resource_id, outcome, ip, user_agent, request_id, detail, created_at, updated_at)
      VALUES (?, NULL, NULL, 'bench', 'ticket.update', 'ticket', ?, 'success', '192.0.2.10', 'bench', NULL, '{"changes":{"status":"resolved"}}', ?, ?)`);
    const first = Date.now() - rows * 1_000;
    db.exec('BEGIN');
    for (let i = 0; i < rows; i++) {
      const at = first + i * 1_000;
      insert.run(newId(at), newId(at), at, at);
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

function count(file: string, table: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

async function backupRestore(): Promise<string[]> {
  const sentinel = await startSentinel();
  const admin = await call<TokenPair>(sentinel.base, 'POST', '/api/v1/auth/login', 200, { body: { username: 'admin', password: ADMIN_PASSWORD } });
  for (let plant = 0; plant < PLANTS; plant++) {
    const tenant = await call<IdOnly>(sentinel.base, 'POST', '/api/v1/tenants', 201, { token: admin.access_token, body: { name: `Plant ${plant}` } });
    const q = `?tenant_id=${tenant.id}`;
    const line = (await call<{ line_id: number }>(sentinel.base, 'POST', `/api/v1/production/lines${q}`, 201, { token: admin.access_token, body: { line_name: 'Line', line_code: 'main' } })).line_id;
    const area = (await call<{ area_id: number }>(sentinel.base, 'POST', `/api/v1/production/areas${q}`, 201, { token: admin.access_token, body: { line_id: line, area_name: 'Out', area_type: 'output' } })).area_id;
    for (let batch = 0; batch < DETECTIONS_PER_PLANT / 1_000; batch++) {
      const detections = Array.from({ length: 1_000 }, (_, i) => ({ detected_at: Date.now() - 86_400_000 + (batch * 1_000 + i) * 1_000, area_id: area }));
      await call(sentinel.base, 'POST', `/api/v1/production/lines/${line}/detections${q}`, 201, { token: admin.access_token, body: { batch_id: `b${batch}`, detections } });
    }
  }
  await stopChild(sentinel.child);
  const platformFile = path.join(sentinel.dataDir, 'sentinel.db');
  const seedStarted = performance.now();
  insertAuditRows(platformFile, AUDIT_ROWS);
  console.log(`Inserted ${AUDIT_ROWS.toLocaleString('en-US')} audit entries in ${Math.round(performance.now() - seedStarted)} ms`);
  const auditRows = count(platformFile, 'audit_logs');
  const plantFiles = plantDatabases(sentinel.dataDir);

  const created = sentinelCli(sentinel.dataDir, 'backup', 'create');
  const archive = created.stdout.split('\n')[0]!.trim();
  const restoreDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-bench-restore-'));
  try {
    const restored = sentinelCli(restoreDir, 'backup', 'restore', archive);
    const restoredRows = count(path.join(restoreDir, 'sentinel.db'), 'audit_logs');
    const restoredPlants = plantDatabases(restoreDir);
    if (restoredRows !== auditRows || restoredPlants !== plantFiles) throw new Error(`restore incomplete: ${restoredRows}/${auditRows} audit rows, ${restoredPlants}/${plantFiles} plant databases`);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    return [
      `Embedded SQLite platform database with ${auditRows.toLocaleString('en-US')} audit entries (${mib(statSync(platformFile).size)} MiB) and ${plantFiles} plant databases of ${DETECTIONS_PER_PLANT.toLocaleString('en-US')} detections each; archive ${mib(statSync(archive).size)} MiB.`,
      '',
      '| step | seconds |',
      '| --- | ---: |',
      `| \`sentinel backup create\` | ${(created.ms / 1000).toFixed(1)} |`,
      `| \`sentinel backup restore FILE\` (into an empty data directory; every audit row and plant database checked after) | ${(restored.ms / 1000).toFixed(1)} |`,
    ];
  } finally {
    rmSync(restoreDir, { recursive: true, force: true });
    rmSync(sentinel.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const busy = await backgroundCpu(1_000);
  const scale = await scaleOut();
  console.log(scale.lines.join('\n'));
  const backup = await backupRestore();
  console.log(backup.join('\n'));
  if (scale.failed) {
    console.error('Not writing bench/README.md: some requests failed.');
    return 1;
  }
  const m = machine();
  const section = [
    `Measured ${new Date().toISOString().slice(0, 16)}Z by \`npm run bench:cluster\`. Machine: ${m.nproc} CPUs, ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}; busy before the run: ${busy === undefined ? 'n/a' : `${Math.round(busy)} % of one core`}. Everything (PostgreSQL, Redis, nginx, the nodes and the load generator) on this one machine.`,
    '',
    '**Scale-out**',
    '',
    ...scale.lines,
    '',
    '**Backup and restore**',
    '',
    ...backup,
  ].join('\n');
  writeReadmeSection('cluster', section);
  return 0;
}

await runBench('cluster bench', main);
