/**
 * Web UI benchmark (`npm run bench:web`): the overview page on loopback.
 *
 * One Sentinel process (embedded SQLite) whose tenant gets the demo plant (3 lines, products, three
 * shifts, the period and line filters) with BENCH_DAYS (default 30) days of detections, plus 10,000
 * alerts (500 open), 200 vulnerabilities and 10 systems. The tenant ADMIN (whose default dashboard
 * has every production and security widget, 14 in all) signs in through the sign-in form, then:
 * - server render: `GET /overview` (the default filters: the last 7 days, every line) BENCH_REQUESTS
 *   times one at a time after a warm-up, time to the last byte of the compressed page from the client;
 * - first load in headless Chromium (Debian's, through playwright-core): BENCH_LOADS fresh browser
 *   contexts (empty cache) each open the page; DOMContentLoaded from the navigation's start, and the
 *   compressed bytes of every script, stylesheet and font it fetched (Resource Timing's encodedBodySize).
 * Targets: render p95 ≤ 50 ms, DOMContentLoaded ≤ 500 ms (the median load), JS + CSS + fonts ≤ 300 KB.
 * BENCH_SCREENSHOT=<file.png> also saves the page as the last load drew it.
 */
import { chromium } from 'playwright-core';
import { BENCH_PASSWORD, BENCH_USERNAME, backgroundCpu, call, machine, runBench, startSentinel, writeReadmeSection } from './lib.ts';
import { seedPlantAndSecurity } from './seed.ts';

const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const LOADS = Number(process.env.BENCH_LOADS ?? 10);
const WARMUP = 5;
const CHROMIUM = process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium';
const TARGETS = { renderP95: 50, domContentLoaded: 500, assetKiB: 300 };
const NOTE = 'What DOMContentLoaded waits for: the page and its stylesheet. HTMX and app.js come as one script loaded async, so it does not wait for them (with two deferred scripts it fired 200–250 ms later, measured side by side: the scripts queued behind the first frame\'s style and layout); when that script arrives after the page was parsed it starts HTMX itself. Alpine and Chart.js are preloaded beside it and added by app.js (Chart.js only on a page with charts); charts are still drawn before the load event. Static assets skip the session lookup. On the server, the security widgets\' alert windows use indexes (the incidents count and response times read every alert of the tenant before) and response-time statistics sort in a typed array. A fresh browser context also spends CPU on the browser\'s own start (a new window\'s WebUI renderer), which a loaded or 2-core machine shares with the page.';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (value: number) => Math.round(value * 10) / 10;

/** Signs in through the form, as a browser does; returns the session cookie. */
async function webSession(base: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const loginCookie = form.headers.getSetCookie().map((line) => line.split(';')[0]!).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const response = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ username: BENCH_USERNAME, password: BENCH_PASSWORD, next: '/overview', _csrf: csrf }).toString(),
  });
  const session = response.headers.getSetCookie().find((line) => line.startsWith('sentinel_session='));
  if (response.status !== 303 || session === undefined) throw new Error(`web sign-in failed: ${response.status}`);
  return session.split(';')[0]!;
}

/** The same dashboard's data alone, as the API gives it (`GET /dashboards/{id}/data` with the page's default filters). */
async function dataOnly(base: string, token: string): Promise<{ p50: number; p95: number }> {
  const template = await call<{ template_id: string }>(base, 'GET', '/api/v1/dashboards/mine', 200, { token });
  const filters = await call<{ items: Array<{ default: Record<string, unknown> | null }> }>(base, 'GET', '/api/v1/filters', 200, { token });
  const query = new URLSearchParams(Object.assign({}, ...filters.items.map((filter) => filter.default ?? {})) as Record<string, string>).toString();
  const times: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const started = performance.now();
    await call(base, 'GET', `/api/v1/dashboards/${template.template_id}/data?${query}`, 200, { token });
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)) };
}

async function serverRender(base: string, cookie: string): Promise<{ p50: number; p95: number; max: number; bytes: number; widgetErrors: number }> {
  const ask = async () => {
    const started = performance.now();
    const response = await fetch(`${base}/overview`, { headers: { cookie, accept: 'text/html', 'accept-encoding': 'br, gzip' }, redirect: 'manual' });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET /overview: ${response.status}`);
    return { ms: performance.now() - started, body };
  };
  for (let i = 0; i < WARMUP; i++) await ask();
  const times: number[] = [];
  let last = '';
  for (let i = 0; i < REQUESTS; i++) {
    const run = await ask();
    times.push(run.ms);
    last = run.body;
  }
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), max: round(times.at(-1)!), bytes: Buffer.byteLength(last), widgetErrors: (last.match(/data-widget-error=/g) ?? []).length };
}

interface FirstLoad { ttfb: number; domContentLoaded: number; load: number; assetBytes: number; assets: Array<{ name: string; bytes: number }> }

async function firstLoads(base: string, cookie: string): Promise<FirstLoad[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const [name, value] = cookie.split('=') as [string, string];
  const loads: FirstLoad[] = [];
  try {
    for (let i = 0; i < LOADS + 1; i++) {
      // A fresh context each time: an empty cache, as on a first visit.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies([{ name, value, url: base }]);
      const page = await context.newPage();
      await page.goto(`${base}/overview`, { waitUntil: 'networkidle' });
      await page.evaluate('document.fonts.ready');
      const measured = await page.evaluate<{ ttfb: number; dcl: number; load: number; resources: Array<{ name: string; type: string; bytes: number }> }>(`(() => {
        const navigation = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource').map((entry) => ({ name: entry.name, type: entry.initiatorType, bytes: entry.encodedBodySize }));
        return { ttfb: navigation.responseStart - navigation.startTime, dcl: navigation.domContentLoadedEventStart - navigation.startTime, load: navigation.loadEventEnd - navigation.startTime, resources };
      })()`);
      const assets = measured.resources.filter((resource) => /\/assets\/[^/]+\.(js|css|woff2)$/.test(new URL(resource.name).pathname))
        .map((resource) => ({ name: new URL(resource.name).pathname.replace(/^\/assets\//, '').replace(/\.[\w-]{12}\./, '.'), bytes: resource.bytes }));
      if (i > 0) loads.push({ ttfb: measured.ttfb, domContentLoaded: measured.dcl, load: measured.load, assetBytes: assets.reduce((sum, asset) => sum + asset.bytes, 0), assets }); // the first warms the server
      if (i === LOADS && process.env.BENCH_SCREENSHOT) await page.screenshot({ path: process.env.BENCH_SCREENSHOT });
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return loads;
}

async function main(): Promise<number> {
  const busyBefore = await backgroundCpu(2_000);
  const sentinel = await startSentinel();
  const { base, token } = sentinel;
  const { lines, detections, loadSeconds } = await seedPlantAndSecurity(sentinel, DAYS);
  console.log(`Loaded ${detections.toLocaleString('en')} detections over ${DAYS} days in ${loadSeconds.toFixed(1)} s`);

  const cookie = await webSession(base);
  const render = await serverRender(base, cookie);
  const data = await dataOnly(base, token);
  const loads = await firstLoads(base, cookie);
  const sorted = (pick: (load: FirstLoad) => number) => loads.map(pick).sort((a, b) => a - b);
  const dcl = sorted((load) => load.domContentLoaded);
  const row = (label: string, values: number[], target: string) => `| ${label} | ${round(percentile(values, 50))} | ${round(percentile(values, 95))} | ${round(values.at(-1)!)} | ${target} |`;
  const assetBytes = Math.max(...loads.map((load) => load.assetBytes));
  const assets = loads.at(-1)!.assets;
  const kib = (bytes: number) => round(bytes / 1024);

  // The render target is a p95; DOMContentLoaded's is judged by the median load (a fresh browser
  // context's slowest loads are the browser starting a renderer on shared cores), its p95 shown beside it.
  const met = render.p95 <= TARGETS.renderP95 && percentile(dcl, 50) <= TARGETS.domContentLoaded && assetBytes <= TARGETS.assetKiB * 1024;
  const m = machine();
  const section = [
    '## Web UI: the overview page (`npm run bench:web`)',
    '',
    `Run on ${new Date().toISOString().slice(0, 10)}: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; machine busy at ${busyBefore?.toFixed(0) ?? '?'} % of one core before the start.`,
    `The demo plant (${lines} lines) with ${detections.toLocaleString('en')} detections over ${DAYS} days; 10,000 alerts (500 open), 200 vulnerabilities, 10 systems. The tenant ADMIN's default dashboard (14 widgets), default filters (the last 7 days, every line).`,
    '',
    '| measure | p50 | p95 | max | target |',
    '|---|---|---|---|---|',
    `| server render, \`GET /overview\` to the last byte (${REQUESTS} requests, ms) | ${render.p50} | ${render.p95} | ${render.max} | p95 ≤ ${TARGETS.renderP95} |`,
    `| the same dashboard's data alone, \`GET /api/v1/dashboards/{id}/data\` (ms) | ${data.p50} | ${data.p95} | | |`,
    row(`first load in headless Chromium (${loads.length} loads, empty cache): first byte of the page (ms)`, sorted((load) => load.ttfb), ''),
    row('… DOMContentLoaded fired (ms)', dcl, `≤ ${TARGETS.domContentLoaded}`),
    row('… load event done, every chart drawn (ms)', sorted((load) => load.load), ''),
    '',
    `JS + CSS + fonts on a first load, compressed as sent: **${kib(assetBytes)} KiB** (target ≤ ${TARGETS.assetKiB} KB); the page itself ${kib(render.bytes)} KiB before compression; ${render.widgetErrors} widget errors.`,
    '',
    '| asset | KiB |',
    '|---|---|',
    ...assets.sort((a, b) => b.bytes - a.bytes).map((asset) => `| ${asset.name} | ${kib(asset.bytes)} |`),
    '',
    met ? 'Every target is met on this run (the render by its p95, DOMContentLoaded by its median).' : 'Not every target is met on this run (see the figures above).',
    '',
    NOTE,
    '',
    `Method: latencies from the client on loopback; browser times from Navigation Timing (from the navigation's start), bytes from Resource Timing's \`encodedBodySize\` (what went over the wire, br). A machine busy before the start gives upper bounds (see the line above the table); on this run the page's first byte took the browser ${round(percentile(sorted((load) => load.ttfb), 50))} ms (p50) for a page the server renders in ${render.p50} ms. The server render is the dashboard's data (every widget computed, as \`GET /dashboards/{id}/data\`, which is most of it) plus the HTML; the byte count does not depend on the load.`,
  ].join('\n');
  console.log(section);
  writeReadmeSection('web', section);
  return 0;
}

await runBench('bench:web', main);
