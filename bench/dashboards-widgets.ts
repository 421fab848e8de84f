/**
 * Dashboards benchmark (`npm run bench:dashboards-widgets`).
 *
 * One Sentinel process (embedded SQLite). Its tenant gets the demo plant (3 lines, their products and
 * three shifts) with BENCH_DAYS (default 30) days of detections loaded through the production
 * service, plus 10,000 alerts (500 open), 200 open vulnerabilities and 10 systems. Then, one request
 * at a time, the platform's default production dashboard (the MANAGER's: 8 widgets over every line,
 * the last 30 days) and security dashboard (the VIEWER's: 6 widgets) are asked for in one request each
 * (`GET /dashboards/{id}/data`), BENCH_REQUESTS times after a warm-up, and the metadata cache's hit
 * rate is read from `/metrics` over the measured requests. Targets: production p95 ≤ 100 ms, security
 * p95 ≤ 50 ms, hit rate ≥ 99 %.
 *
 * Environment: BENCH_DAYS (default 30), BENCH_REQUESTS (per dashboard, default 200).
 */
import { backgroundCpu, call, machine, rssMiB, startSentinel, stopAll, writeReadmeSection } from './lib.ts';
import { seedPlantAndSecurity } from './seed.ts';

const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WARMUP = 10;
const HOUR = 3_600_000;

const NOTE = 'The widgets of one dashboard run on one event loop over synchronous SQLite, so a dashboard costs about the sum of its widgets; each production widget\'s time is the production service\'s (OEE from rollups and downtime), which widgets call rather than re-query, and identical calls within one dashboard (the gauge and the three factor cards ask for the same OEE of the window and of the window before) are made once, and each line\'s OEE report is computed once per request (the plant\'s OEE and the line comparison over the same window share them: 6 line computations per production dashboard instead of 9).';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function cacheLookups(base: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (result: string) => Number(new RegExp(`^sentinel_metadata_cache_lookups_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hit: value('hit'), miss: value('miss') };
}

const verdict = (met: boolean) => (met ? 'met' : '**missed**');

interface DashboardRun { name: string; widgets: number; p50: number; p95: number; p99: number; max: number; failed: number }

async function measure(base: string, token: string, name: string, url: string): Promise<DashboardRun> {
  const ask = async () => {
    const started = performance.now();
    const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.json() as { widgets: { error: unknown }[] };
    if (response.status !== 200) throw new Error(`${name}: ${response.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, widgets: body.widgets.length, failed: body.widgets.filter((widget) => widget.error !== null).length };
  };
  for (let i = 0; i < WARMUP; i++) await ask();
  const times: number[] = [];
  let widgets = 0;
  let failed = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const run = await ask();
    times.push(run.ms);
    widgets = run.widgets;
    failed += run.failed;
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { name, widgets, p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), p99: round(percentile(times, 99)), max: round(times.at(-1)!), failed };
}

async function main(): Promise<void> {
  const busyBefore = await backgroundCpu(2_000);
  const sentinel = await startSentinel();
  const { base, token } = sentinel;
  const { lines, detections, now, loadSeconds } = await seedPlantAndSecurity(sentinel, DAYS);
  console.log(`Loaded ${detections.toLocaleString('en')} detections over ${DAYS} days on ${lines} lines in ${loadSeconds.toFixed(1)} s`);

  const templates = await call<{ items: { template_id: string; role: string; tenant_id: string | null; layout: unknown[] }[] }>(base, 'GET', '/api/v1/dashboards', 200, { token });
  const byRole = (role: string) => templates.items.find((template) => template.role === role && template.tenant_id === null)!;
  const to = new Date(now).toISOString();
  const from = new Date(now - 30 * 24 * HOUR).toISOString();
  const window = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  const production = await measure(base, token, 'production (MANAGER default)', `/api/v1/dashboards/${byRole('MANAGER').template_id}/data?${window}`);
  const lookupsBefore = await cacheLookups(base);
  const security = await measure(base, token, 'security (VIEWER default)', `/api/v1/dashboards/${byRole('VIEWER').template_id}/data`);
  const production2 = await measure(base, token, 'production again', `/api/v1/dashboards/${byRole('MANAGER').template_id}/data?${window}`);
  const lookupsAfter = await cacheLookups(base);
  // Where a production dashboard's time goes: each of its widgets alone, with its layout's params.
  const perWidget: { widget_id: string; p50: number; p95: number }[] = [];
  for (const item of byRole('MANAGER').layout as { widget_id: string; params: Record<string, string> }[]) {
    const fixed = Object.entries(item.params).map(([key, value]) => `&${key}=${encodeURIComponent(value)}`).join('');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await call(base, 'GET', `/api/v1/widgets/${item.widget_id}/data?${window}${fixed}`, 200, { token });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    perWidget.push({ widget_id: item.widget_id, p50: Math.round(percentile(times, 50) * 10) / 10, p95: Math.round(percentile(times, 95) * 10) / 10 });
  }
  const hits = lookupsAfter.hit - lookupsBefore.hit;
  const misses = lookupsAfter.miss - lookupsBefore.miss;
  const hitRate = hits + misses === 0 ? null : (hits / (hits + misses)) * 100;
  const rss = rssMiB(sentinel.child.process.pid);
  await stopAll();

  const m = machine();
  const rows = [production, security, production2].map((run) => `| ${run.name} | ${run.widgets} | ${run.p50} | ${run.p95} | ${run.p99} | ${run.max} | ${run.failed} |`);
  const section = [
    '## Dashboards and widgets (`npm run bench:dashboards-widgets`)',
    '',
    `Run on ${new Date().toISOString().slice(0, 10)}: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; machine busy at ${busyBefore?.toFixed(0) ?? '?'} % of one core before the start.`,
    `The demo plant (${lines} lines, 3 shifts covering the day) with ${detections.toLocaleString('en')} detections over ${DAYS} days, loaded in ${loadSeconds.toFixed(0)} s; 10,000 alerts (500 open), 200 vulnerabilities, 10 systems.`,
    `Each dashboard asked for ${REQUESTS} times one request at a time after ${WARMUP} warm-up requests (\`GET /api/v1/dashboards/{id}/data\`, every widget in one answer); latency in ms from the client.`,
    '',
    '| dashboard | widgets | p50 | p95 | p99 | max | widget errors |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Each widget of the production dashboard alone (`GET /api/v1/widgets/{id}/data`, same window and layout params, 20 requests), ms:',
    '',
    '| widget | p50 | p95 |',
    '|---|---|---|',
    ...perWidget.map((widget) => `| ${widget.widget_id} | ${widget.p50} | ${widget.p95} |`),
    '',
    `Metadata cache over the measured requests: ${hits} hits, ${misses} misses (${hitRate === null ? 'no lookups' : `${hitRate.toFixed(2)} %`}). Server RSS at the end: ${rss?.toFixed(0) ?? '?'} MiB.`,
    '',
    `Targets: production p95 ≤ 100 ms (${verdict(production.p95 <= 100 && production2.p95 <= 100)}), security p95 ≤ 50 ms (${verdict(security.p95 <= 50)}), hit rate ≥ 99 % (${verdict(hitRate !== null && hitRate >= 99)}). A machine busy before the start gives upper bounds.`,
    '',
    NOTE,
  ].join('\n');
  console.log(section);
  writeReadmeSection('dashboards-widgets', section);
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exitCode = 1;
});
