/**
 * Integration sync benchmark (`npm run bench:integrations`).
 *
 * 50 Grafana integrations, each reporting 1,000 firing alerts (a Grafana simulator in a child process),
 * are enabled at once on one Sentinel process (embedded SQLite). Measures how long until every one
 * has synced (target: within one poll interval, 60 s) and the latency of API reads made meanwhile at a
 * steady rate, like dashboards polling (target: p99 ≤ 25 ms), next to the same reads with no sync.
 *
 * Environment: BENCH_INTEGRATIONS (default 50), BENCH_ALERTS (default 1000), BENCH_RATE (reads per
 * second, default 200), BENCH_CLIENTS (concurrent readers, default 10).
 */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { call, isRunning, readLoad, runBench, sleep, startChild, startSentinel, writeReadmeSection } from './lib.ts';

const INTEGRATIONS = Number(process.env.BENCH_INTEGRATIONS ?? 50);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const POLL_INTERVAL_S = 60;
const BASELINE_MS = 8_000;
const TARGET_P99_MS = 25;

/** Starts the Grafana simulator child and reads the line it prints when ready. */
async function startGrafana(): Promise<{ url: string; token: string }> {
  const child = startChild('grafana-simulator', ['bench/grafana-simulator-child.ts'], { ...process.env, BENCH_ALERTS: String(ALERTS) });
  for (let i = 0; i < 300; i++) {
    const line = child.output().split('\n').find((l) => l.startsWith('{"url"'));
    if (line !== undefined) return JSON.parse(line) as { url: string; token: string };
    if (!isRunning(child)) break;
    await sleep(100);
  }
  throw new Error(`the Grafana simulator did not start:\n${child.output()}`);
}

async function main(): Promise<number> {
  const grafana = await startGrafana();
  const sentinel = await startSentinel();
  const ids: string[] = [];
  for (let i = 0; i < INTEGRATIONS; i++) {
    const created = await call<{ id: string }>(sentinel.base, 'POST', '/api/v1/integrations', 201, {
      token: sentinel.token,
      body: { name: `Grafana ${i}`, type: 'grafana', capabilities: ['ALERTING', 'STATUS'], enabled: false, config: { url: grafana.url, poll_interval_seconds: POLL_INTERVAL_S }, secret: grafana.token },
    });
    ids.push(created.id);
  }
  const readUrl = `${sentinel.base}/api/v1/integrations?limit=50`;

  console.log(`Baseline: ${RATE} reads/s from ${CLIENTS} clients of ${readUrl.replace(sentinel.base, '')} for ${BASELINE_MS / 1000} s, no sync running …`);
  const baselineEnd = Date.now() + BASELINE_MS;
  const baseline = await readLoad(readUrl, sentinel.token, { clients: CLIENTS, rate: RATE }, () => Date.now() >= baselineEnd);

  console.log(`Enabling ${INTEGRATIONS} integrations × ${ALERTS} alerts …`);
  const enabledAt = performance.now();
  await Promise.all(ids.map((id) => call(sentinel.base, 'PATCH', `/api/v1/integrations/${id}`, 200, { token: sentinel.token, body: { enabled: true } })));
  let syncedAfterMs: number | undefined;
  const deadline = Date.now() + 3 * POLL_INTERVAL_S * 1000;
  const watcher = (async () => {
    while (syncedAfterMs === undefined && Date.now() < deadline) {
      const page = await call<{ items: { last_sync_status: string | null }[] }>(sentinel.base, 'GET', '/api/v1/integrations?limit=500', 200, { token: sentinel.token });
      if (page.items.every((i) => i.last_sync_status === 'success')) syncedAfterMs = performance.now() - enabledAt;
      else await sleep(100);
    }
  })();
  const during = await readLoad(readUrl, sentinel.token, { clients: CLIENTS, rate: RATE }, () => syncedAfterMs !== undefined || Date.now() >= deadline);
  await watcher;

  const db = new DatabaseSync(path.join(sentinel.dataDir, 'sentinel.db'), { readOnly: true });
  const stored = (db.prepare("SELECT count(*) AS n FROM alerts WHERE status = 'active'").get() as { n: number }).n;
  const runs = (db.prepare("SELECT count(*) AS n, max(duration_ms) AS slowest, avg(duration_ms) AS mean FROM job_runs WHERE status = 'success'").get() as { n: number; slowest: number; mean: number });
  db.close();

  const syncSeconds = syncedAfterMs === undefined ? undefined : Math.round(syncedAfterMs / 100) / 10;
  const rows = [
    ['API reads, no sync running', baseline],
    [`API reads while ${INTEGRATIONS} integrations sync`, during],
  ] as const;
  const table = [
    '| scenario | requests | req/s | p50 ms | p99 ms | max ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(([name, l]) => `| ${name} | ${l.count} | ${l.rps} | ${l.p50} | ${l.p99} | ${l.max} | ${l.errors} |`),
  ].join('\n');
  const verdicts = [
    `- All ${INTEGRATIONS} integrations synced ${ALERTS} alerts each in **${syncSeconds ?? 'more than 180'} s** (target: within one poll interval, ${POLL_INTERVAL_S} s): **${syncSeconds !== undefined && syncSeconds <= POLL_INTERVAL_S ? 'met' : 'NOT met'}**.`,
    `- Active alerts stored: ${stored.toLocaleString('en-US')} (expected ${(INTEGRATIONS * ALERTS).toLocaleString('en-US')}); ${runs.n} successful sync runs, mean ${Math.round(runs.mean)} ms, slowest ${runs.slowest} ms.`,
    `- API p99 while syncing: **${during.p99} ms** (target ≤ ${TARGET_P99_MS} ms): **${during.p99 <= TARGET_P99_MS ? 'met' : 'NOT met'}**; without sync: ${baseline.p99} ms.`,
  ].join('\n');
  const section = `Measured ${new Date().toISOString().slice(0, 16)}Z; ${RATE} reads/s of \`GET /api/v1/integrations?limit=50\` from ${CLIENTS} clients; readers in the bench process, the Grafana simulator and Sentinel in their own.\n\n${table}\n\n${verdicts}`;
  console.log(`\n${table}\n\n${verdicts}`);
  if (stored !== INTEGRATIONS * ALERTS || during.errors > 0 || baseline.errors > 0) {
    console.error('Not writing bench/README.md: alerts missing or failed requests.');
    return 1;
  }
  writeReadmeSection('integrations', section);
  return 0;
}

await runBench('integrations bench', main);
