/**
 * Alert rules benchmark (`npm run bench:rules`), embedded default (SQLite), one `sentinel serve`
 * process with its defaults (rules evaluated every 10 s, notifications polled every 2 s).
 *
 * 10,000 telemetry series (100 groups × 100 hosts) get a point each every 10 s from an API key
 * (10 batches of 1,000), and 100 rules watch them (one per group: `max` over 30 s `> 90`; the feed
 * stays below 90). Measured:
 * 1. API latency: `GET /api/v1/alerts/active?limit=50` at a steady rate (latency from each request's
 *    scheduled time) while the feed runs, first without rules, then with the 100 rules.
 * 2. Rule-to-notification latency: meanwhile, every few seconds one more group gets a point of 99;
 *    from just before that ingest is sent to the moment the signed webhook about the rule's alert
 *    reaches a receiver on loopback (a webhook channel of the tenant, quiet time 0).
 * 3. That every rule kept being evaluated every interval (from the rules' `last_evaluated_at`).
 *
 * Environment: BENCH_RATE (reads per second, default 200), BENCH_CLIENTS (concurrent readers,
 * default 10), BENCH_DURATION (seconds measured with the rules, default 60).
 */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver.ts';
import { backgroundCpu, call, machine, processCpuMs, readLoad, runBench, sleep, startSentinel, writeReadmeSection, type Latencies } from './lib.ts';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const RULES_MS = Number(process.env.BENCH_DURATION ?? 60) * 1000;
const BASELINE_MS = 20_000;
const GROUPS = 100;
const HOSTS = 100;
const BATCH = 1_000;
const FEED_EVERY_MS = 10_000;
const EVAL_SECONDS = 10;
/** One more group is pushed over its threshold this often while the rules are measured. */
const TRIGGER_EVERY_MS = 2_500;
/** How long a triggered rule's webhook may take before the run counts it as lost. */
const DELIVERY_TIMEOUT_MS = 60_000;
const TARGET_API_P99_MS = 25;
const TARGET_NOTIFY_P99_MS = 15_000;
const READ_ROUTE = '/api/v1/alerts/active?limit=50';
const METRIC = 'cpu.usage';

const ruleName = (group: number) => `cpu of group ${group} above 90`;
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function main(): Promise<number> {
  const host = machine();
  const busy = await backgroundCpu(1_000);
  const receiver = await startWebhookReceiver();
  const sentinel = await startSentinel({ SENTINEL_RULES_EVAL_SECONDS: String(EVAL_SECONDS) });
  const { base, token } = sentinel;
  const key = (await call<{ key: string }>(base, 'POST', '/api/v1/api-keys', 201, { token, body: { name: 'bench agent', scopes: ['telemetry:write'] } })).key;
  const ingest = async (points: unknown[]) => {
    const response = await fetch(`${base}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ points }) });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`telemetry ingest: ${response.status} ${text}`);
  };

  // The feed: every series gets a point below every threshold each FEED_EVERY_MS.
  let feeding = true;
  let tick = 0;
  const feedOnce = async () => {
    const timestamp = Date.now();
    for (let first = 0; first < GROUPS * HOSTS; first += BATCH) {
      const points = Array.from({ length: BATCH }, (_, i) => {
        const n = first + i;
        return { metric: METRIC, value: (n * 7 + tick * 13) % 80, labels: { group: `g${Math.floor(n / HOSTS)}`, host: `h${n % HOSTS}` }, timestamp };
      });
      await ingest(points);
    }
    tick++;
  };
  console.log(`Creating ${(GROUPS * HOSTS).toLocaleString('en-US')} series …`);
  await feedOnce();
  const feed = (async () => {
    while (feeding) {
      const next = Date.now() + FEED_EVERY_MS;
      await feedOnce();
      while (feeding && Date.now() < next) await sleep(Math.min(200, next - Date.now()));
    }
  })();

  const readUrl = `${base}${READ_ROUTE}`;
  const load = { clients: CLIENTS, rate: RATE };
  console.log(`Baseline: ${RATE} reads/s of ${READ_ROUTE} for ${BASELINE_MS / 1000} s, feed running, no rules …`);
  let cpuBefore = processCpuMs(sentinel.child.process.pid);
  const baselineEnd = Date.now() + BASELINE_MS;
  const baseline = await readLoad(readUrl, token, load, () => Date.now() >= baselineEnd);
  const baselineCpu = cpuPercent(cpuBefore, processCpuMs(sentinel.child.process.pid), BASELINE_MS);

  await call(base, 'POST', '/api/v1/notification-channels', 201, {
    token, body: { name: 'bench receiver', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: 'bench-webhook-secret-0123456789' }, min_severity: 'high', quiet_minutes: 0 },
  });
  for (let group = 0; group < GROUPS; group++) {
    await call(base, 'POST', '/api/v1/alert-rules', 201, {
      token, body: { name: ruleName(group), kind: 'telemetry', severity: 'high', enabled: true, metric: METRIC, labels: { group: `g${group}` }, aggregation: 'max', window_seconds: 30, operator: '>', threshold: 90, for_seconds: 0 },
    });
  }

  console.log(`With ${GROUPS} rules: the same reads for ${RULES_MS / 1000} s, one group pushed over its threshold every ${TRIGGER_EVERY_MS / 1000} s …`);
  const db = new DatabaseSync(path.join(sentinel.dataDir, 'sentinel.db'), { readOnly: true });
  const evaluations = new Set<number>();
  const triggered = new Map<string, number>();
  cpuBefore = processCpuMs(sentinel.child.process.pid);
  const rulesEnd = Date.now() + RULES_MS;
  const watcher = (async () => {
    for (let group = 0; Date.now() < rulesEnd; group++) {
      const row = db.prepare('SELECT count(*) AS n, min(last_evaluated_at) AS oldest, max(last_evaluated_at) AS newest FROM alert_rules').get() as { n: number; oldest: number | null; newest: number | null };
      if (row.oldest !== null && row.oldest === row.newest) evaluations.add(row.newest!);
      if (group < GROUPS) {
        triggered.set(ruleName(group), Date.now());
        await ingest([{ metric: METRIC, value: 99, labels: { group: `g${group}`, host: 'h0' } }]);
      }
      await sleep(TRIGGER_EVERY_MS);
    }
  })();
  const withRules = await readLoad(readUrl, token, load, () => Date.now() >= rulesEnd);
  await watcher;
  const rulesCpu = cpuPercent(cpuBefore, processCpuMs(sentinel.child.process.pid), RULES_MS);
  const rulesEvaluated = (db.prepare('SELECT count(*) AS n FROM alert_rules WHERE last_evaluated_at IS NOT NULL').get() as { n: number }).n;
  db.close();

  // Every triggered rule's alert must reach the receiver.
  const delivered = new Map<string, number>();
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (const request of receiver.received) {
      const body = request.body as { type?: string; alert?: { title?: string } } | undefined;
      if (body?.type === 'alert.opened' && body.alert?.title !== undefined && triggered.has(body.alert.title) && !delivered.has(body.alert.title)) delivered.set(body.alert.title, request.at);
    }
    if (delivered.size === triggered.size) break;
    await sleep(200);
  }
  feeding = false;
  await feed;
  await receiver.close();

  const latencies = [...delivered].map(([name, at]) => at - triggered.get(name)!).sort((a, b) => a - b);
  const sortedEvaluations = [...evaluations].sort((a, b) => a - b);
  const gaps = sortedEvaluations.slice(1).map((at, i) => at - sortedEvaluations[i]!);
  const notify = latencies.length === 0 ? undefined : { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1)! };
  const seconds = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');

  const row = (name: string, l: Latencies, cpu: string) => `| ${name} | ${l.count} | ${l.rps} | ${l.p50} | ${l.p99} | ${l.max} | ${l.errors} | ${cpu} |`;
  const table = [
    '| scenario | requests | req/s | p50 ms | p99 ms | max ms | errors | server CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('reads, feed running, no rules', baseline, baselineCpu),
    row(`reads, feed running, ${GROUPS} rules every ${EVAL_SECONDS} s`, withRules, rulesCpu),
  ].join('\n');
  const verdicts = [
    `| API p99 with the rules running | ≤ ${TARGET_API_P99_MS} ms | ${withRules.p99} ms | ${met(withRules.p99 <= TARGET_API_P99_MS)} |`,
    `| rule-to-notification latency p99 (${latencies.length} of ${triggered.size} delivered; p50 ${seconds(notify?.p50)} s, max ${seconds(notify?.max)} s) | ≤ ${TARGET_NOTIFY_P99_MS / 1000} s | ${seconds(notify?.p99)} s | ${met(notify !== undefined && latencies.length === triggered.size && notify.p99 <= TARGET_NOTIFY_P99_MS)} |`,
    `| every rule evaluated every ${EVAL_SECONDS} s (${rulesEvaluated} of ${GROUPS} rules evaluated; ${sortedEvaluations.length} rounds seen, longest gap) | ≤ ${EVAL_SECONDS + 1} s | ${seconds(gaps.length === 0 ? undefined : Math.max(...gaps))} s | ${met(rulesEvaluated === GROUPS && gaps.length > 0 && Math.max(...gaps) <= (EVAL_SECONDS + 1) * 1000)} |`,
  ].join('\n');
  const section = `## Alert rules

\`npm run bench:rules\` (\`BENCH_RATE\`, \`BENCH_CLIENTS\`, \`BENCH_DURATION\`): one \`sentinel serve\` process on
the embedded default with its default schedules (rules every ${EVAL_SECONDS} s, notifications polled every 2 s).
${(GROUPS * HOSTS).toLocaleString('en-US')} series (${GROUPS} groups × ${HOSTS} hosts) get a point each every ${FEED_EVERY_MS / 1000} s (batches of 1,000 from an
API key); ${GROUPS} rules, one per group (\`max\` over 30 s \`> 90\`, the feed stays below 90).
\`GET ${READ_ROUTE}\` is read ${RATE} times a second by ${CLIENTS} clients (latency from each request's
scheduled time), first with the feed alone, then for ${RULES_MS / 1000} s with the rules; meanwhile one group gets a
point of 99 every ${TRIGGER_EVERY_MS / 1000} s, and the time from just before that ingest to the signed webhook about the
rule's alert reaching a receiver on loopback is the rule-to-notification latency.

Measured ${new Date().toISOString().slice(0, 16)}Z on ${host.nproc} × ${host.cpuModel}, Node ${host.node}; other processes were using ${busy?.toFixed(0) ?? '?'} % of a core before the start.
A machine busy before the start gives figures on the high side; server CPU is the
Sentinel process's CPU time (both threads) over the phase, in % of one core.

${table}

| target | target | result | |
| --- | ---: | ---: | --- |
${verdicts}`;
  console.log(`\n${table}\n\n${verdicts}`);
  if (baseline.errors > 0 || withRules.errors > 0) {
    console.error('Not writing bench/README.md: failed requests.');
    return 1;
  }
  writeReadmeSection('rules', section);
  return 0;
}

function cpuPercent(before: number | undefined, after: number | undefined, ms: number): string {
  return before === undefined || after === undefined ? 'n/a' : `${Math.round(((after - before) / ms) * 100)} %`;
}

await runBench('rules bench', main);
