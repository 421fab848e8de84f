/**
 * Telemetry ingest benchmark (`npm run bench:telemetry`), embedded default (SQLite, WAL,
 * `synchronous = FULL`), one process.
 *
 * 1. Over HTTP: `sentinel serve` in a child process; clients post batches of 1,000 points with an
 *    API key (`telemetry:write`), each with its own batch_id, over keep-alive connections. 1,000
 *    series (100 hosts × 10 CPUs), one point per series per batch, ten seconds apart. Every batch
 *    must be answered 201; the stored point count is checked at the end.
 * 2. In process: the same batches straight into the telemetry service (no HTTP, no JSON), to
 *    separate the store's cost from the server's.
 *
 * Options: --points N (per phase, default 1,000,000), --clients N (concurrent HTTP clients, default 4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import { MODULE_MIGRATIONS } from '../src/modules/index.ts';
import { createTelemetryRepo } from '../src/modules/telemetry/telemetry.repo.ts';
import { createTelemetryService, type PointInput } from '../src/modules/telemetry/telemetry.service.ts';
import { backgroundCpu, call, machine, processCpuMs, runBench, startSentinel, writeReadmeSection } from './lib.ts';

const { values: options } = parseArgs({ options: { points: { type: 'string', default: '1000000' }, clients: { type: 'string', default: '4' } } });
const POINTS = Number(options.points);
const CLIENTS = Number(options.clients);
const BATCH = 1_000;
const BATCHES = Math.ceil(POINTS / BATCH);
const TARGET = 100_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const perCpu = (figures: Figures) => (figures.cpuMs === undefined ? '?' : fmt((figures.points * 1000) / figures.cpuMs));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Batch `index`: one point for each of the 1,000 series, ten seconds after the previous batch's. */
function batchPoints(index: number, start: number): PointInput[] {
  const timestamp = start + index * 10_000;
  const points: PointInput[] = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) points[i] = { metric: 'cpu.usage', value: (i * 7 + index * 13) % 100, labels: { host: `host-${Math.floor(i / 10)}`, cpu: String(i % 10) }, timestamp };
  return points;
}

interface Figures {
  points: number;
  ms: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU the server (or this process) spent meanwhile, ms: on a shared machine, points per CPU-second say what the code costs. */
  cpuMs?: number;
}

async function overHttp(): Promise<Figures> {
  const sentinel = await startSentinel();
  const key = (await call<{ key: string }>(sentinel.base, 'POST', '/api/v1/api-keys', 201, { token: sentinel.token, body: { name: 'bench agent', scopes: ['telemetry:write'] } })).key;
  const start = Date.now() - BATCHES * 10_000 - 60_000;
  // Bodies are built before the clock starts: the load generator shares the machine.
  const bodies = Array.from({ length: BATCHES }, (_, index) => JSON.stringify({ batch_id: `bench-${index}`, points: batchPoints(index, start) }));
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = processCpuMs(sentinel.child.process.pid);
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let index = next++; index < BATCHES; index = next++) {
      const sent = performance.now();
      const response = await fetch(`${sentinel.base}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: bodies[index] });
      const text = await response.text();
      if (response.status !== 201) throw new Error(`batch ${index}: ${response.status} ${text}`);
      latencies.push(performance.now() - sent);
    }
  }));
  const ms = performance.now() - started;
  const cpuAfter = processCpuMs(sentinel.child.process.pid);
  const stored = await call<{ series: { points: { value: number }[] }[] }>(sentinel.base, 'GET', `/api/v1/telemetry/query?metric=cpu.usage&labels=host%3Dhost-0,cpu%3D0&from=${new Date(start - 3_600_000).toISOString()}&to=${new Date().toISOString()}&step=3600&agg=count`, 200, { token: sentinel.token });
  const counted = stored.series[0]!.points.reduce((sum, point) => sum + point.value, 0);
  if (counted !== BATCHES) throw new Error(`series host-0/cpu 0 holds ${counted} points, expected ${BATCHES}`);
  rmSync(sentinel.dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    points: BATCHES * BATCH, ms, perSecond: (BATCHES * BATCH * 1000) / ms, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    ...(cpuBefore !== undefined && cpuAfter !== undefined ? { cpuMs: cpuAfter - cpuBefore } : {}),
  };
}

async function inProcess(): Promise<Figures> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-bench-telemetry-'));
  const db = openDatabase(loadConfig({ SENTINEL_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  try {
    await migrateToLatest(db, MODULE_MIGRATIONS);
    const now = Date.now();
    await db.kysely.insertInto('tenants').values({ id: 'bench-tenant', name: 'Bench', slug: 'bench', is_active: 1, config: '{"timezone":"UTC","language":"en"}', created_at: now, updated_at: now }).execute();
    const telemetry = createTelemetryService({ repo: createTelemetryRepo(db.kysely, db.dialect), db });
    const start = now - BATCHES * 10_000 - 60_000;
    const batches = Array.from({ length: BATCHES }, (_, index) => ({ batch_id: `bench-${index}`, points: batchPoints(index, start) }));
    const latencies: number[] = [];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const batch of batches) {
      const sent = performance.now();
      await telemetry.ingest('bench-tenant', batch);
      latencies.push(performance.now() - sent);
    }
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    return { points: BATCHES * BATCH, ms, perSecond: (BATCHES * BATCH * 1000) / ms, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const host = machine();
  const load = os.loadavg();
  const busy = await backgroundCpu(2_000);
  const context = `${host.nproc} × ${host.cpuModel}, ${host.memoryGiB} GiB, Node ${host.node}; load average ${load.map((l) => l.toFixed(2)).join(' / ')}, other processes using ${busy?.toFixed(0) ?? '?'} % of a core`;
  console.log(`Machine: ${context}`);
  console.log(`\nOver HTTP: ${fmt(BATCHES * BATCH)} points in batches of ${fmt(BATCH)}, ${CLIENTS} clients …`);
  const http = await overHttp();
  console.log(`  ${fmt(http.perSecond)} points/s; batch p50 ${http.p50.toFixed(1)} ms, p99 ${http.p99.toFixed(1)} ms; ${perCpu(http)} points per server CPU-second`);
  console.log(`\nIn process: the same batches into the telemetry service …`);
  const direct = await inProcess();
  console.log(`  ${fmt(direct.perSecond)} points/s; batch p50 ${direct.p50.toFixed(1)} ms, p99 ${direct.p99.toFixed(1)} ms; ${perCpu(direct)} points per CPU-second`);

  const verdict = (figures: Figures) => (figures.perSecond >= TARGET ? 'met' : '**missed**');
  writeReadmeSection('telemetry', `## Telemetry ingest

\`npm run bench:telemetry\` (\`-- --points N --clients N\`): the embedded default (SQLite, WAL,
\`synchronous = FULL\`), one process. Batches of 1,000 points (1,000 series: 100 hosts × 10 CPUs,
one point each per batch), each with its own \`batch_id\`, stored all or nothing with their minute
and hour rollups (batches that arrive together share one commit, each in its own savepoint, and
their rollups are added up in memory and upserted once per group). Over HTTP: \`sentinel serve\` in a child process, ${CLIENTS} keep-alive
clients posting with an API key (bodies built before the clock starts; the bench checks every
answer is 201 and the stored count afterwards). In process: the same batches straight into the
telemetry service, without HTTP and JSON.

Measured ${new Date().toISOString().slice(0, 10)} on ${context}.
The load generator runs on the same 2 cores as the server, so the wall-clock figures are on the low
side. Points per
CPU-second — points stored divided by the CPU time the server process (both its threads) or the
in-process ingest used meanwhile — say what one core would sustain if it had nothing else to do;
they leave out time spent waiting for the disk's fsync, which CPU time does not count.

| measure | target | result | |
| --- | ---: | ---: | --- |
| ingest over HTTP (${fmt(http.points)} points, ${CLIENTS} clients) | ≥ ${fmt(TARGET)}/s | ${fmt(http.perSecond)}/s | ${verdict(http)} |
| the same per server CPU-second | — | ${perCpu(http)}/s | |
| batch latency over HTTP, p50 / p99 | — | ${http.p50.toFixed(1)} / ${http.p99.toFixed(1)} ms | |
| ingest in process (${fmt(direct.points)} points) | ≥ ${fmt(TARGET)}/s | ${fmt(direct.perSecond)}/s | ${verdict(direct)} |
| the same per CPU-second | — | ${perCpu(direct)}/s | |
| batch time in process, p50 / p99 | — | ${direct.p50.toFixed(1)} / ${direct.p99.toFixed(1)} ms | |`);
  return 0;
}

await runBench('telemetry bench', main);
