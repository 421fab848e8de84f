/**
 * Start-up benchmark (`npm run bench:startup`).
 *
 * Times `node bin/sentinel.js serve` from spawn to the first 200 on `/health`, the server bundle
 * (bin/bundle.ts) built beforehand as `npm ci` leaves it:
 *   - cold: a new, empty data directory (database created, migrations run, secret key generated,
 *     the platform administrator's password hashed);
 *   - warm: a restart on the directory the cold start left behind (and once more with the heap flags
 *     on the command line, as `npm start` gives them, so the launcher does not re-execute itself).
 * Each is repeated BENCH_STARTUP_RUNS times (default 5); the median and the slowest are reported.
 * It also reports the server's resident memory once it has been idle for a few seconds (the sync
 * worker started, nothing asked of it), with the default settings and with the memory switches.
 * Prints a table and writes it into bench/README.md between the startup markers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildBundle } from '../bin/bundle.ts';
import { backgroundCpu, freePort, machine, processCpuMs, rssMiB, runBench, sentinelEnv, sleep, startChild, stopChild, writeReadmeSection, type Child } from './lib.ts';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 100) throw new Error('BENCH_STARTUP_RUNS must be a whole number between 1 and 100');
const IDLE_SETTLE_MS = 5_000;
const TARGETS = { coldMs: 1_500, warmMs: 500, idleRssMiB: 150 };
/** The Node options `npm start` gives (`exec node <options> bin/sentinel.js serve`), so the launcher need not re-execute. */
const NPM_START_NODE_ARGS = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } })
  .scripts.start.replace(/^exec node /, '').replace(/ bin\/sentinel\.js serve$/, '').split(' ');

/** One GET /health over a fresh connection; resolves to the status, or 0 when nothing answers. */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}

interface Start { ms: number; cpuMs: number | undefined; child: Child }

/**
 * Spawns the server and polls /health every 5 ms: the time from spawn to the first 200, and the
 * CPU time the server had used by then (all its threads), which other load on the machine
 * inflates much less than the wall-clock time.
 */
async function timeToHealthy(dataDir: string, extra: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = startChild('sentinel', [...nodeArgs, 'bin/sentinel.js', 'serve'], sentinelEnv(dataDir, port, extra));
  const deadline = started + 60_000;
  while (performance.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`sentinel exited before answering (code ${child.process.exitCode}):\n${child.output()}`);
    if ((await probe(port)) === 200) return { ms: performance.now() - started, cpuMs: processCpuMs(child.process.pid), child };
    await sleep(5);
  }
  await stopChild(child);
  throw new Error(`sentinel did not answer /health within 60 s:\n${child.output()}`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;
const cpu = (n: number | undefined) => (n === undefined ? 'n/a' : ms(n));
const cpuMedian = (starts: Start[]) => {
  const values = starts.map((s) => s.cpuMs).filter((v) => v !== undefined);
  return values.length === starts.length ? median(values) : undefined;
};
const pct = (n: number | undefined) => (n === undefined ? 'n/a' : `${Math.round(n)} %`);
const mib = (n: number | undefined) => (n === undefined ? 'n/a' : `${Math.round(n)}`);

interface IdleMemory { label: string; env: NodeJS.ProcessEnv; rss: number | undefined }

async function main(): Promise<number> {
  const m = machine();
  console.log(`Sentinel start-up benchmark — ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}; ${RUNS} runs each`);
  // A stale bundle would be rebuilt inside the first start measured.
  await buildBundle();
  const background = await backgroundCpu(1_000);
  console.log(`Machine busy before the run: ${pct(background)} of one core\n`);
  const cold: Start[] = [];
  const warm: Start[] = [];
  const warmWithFlags: Start[] = [];
  for (let run = 0; run < RUNS; run++) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-startup-'));
    try {
      const first = await timeToHealthy(dataDir);
      cold.push(first);
      await stopChild(first.child);
      const second = await timeToHealthy(dataDir);
      warm.push(second);
      await stopChild(second.child);
      const third = await timeToHealthy(dataDir, {}, NPM_START_NODE_ARGS);
      warmWithFlags.push(third);
      await stopChild(third.child);
      console.log(`  run ${run + 1}: cold ${ms(first.ms)} ms (CPU ${cpu(first.cpuMs)} ms), warm ${ms(second.ms)} ms (CPU ${cpu(second.cpuMs)} ms), warm with npm start's flags ${ms(third.ms)} ms (CPU ${cpu(third.cpuMs)} ms)`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  // Idle memory: a warm start, then a few seconds without requests (the sync worker is up by then).
  const memory: IdleMemory[] = [
    { label: 'defaults', env: {}, rss: undefined },
    { label: '`SENTINEL_SYNC=off`', env: { SENTINEL_SYNC: 'off' }, rss: undefined },
    { label: '`NODE_OPTIONS=--max-semi-space-size=4`', env: { NODE_OPTIONS: '--max-semi-space-size=4' }, rss: undefined },
    { label: 'both', env: { SENTINEL_SYNC: 'off', NODE_OPTIONS: '--max-semi-space-size=4' }, rss: undefined },
  ];
  console.log('');
  for (const entry of memory) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-startup-'));
    try {
      await stopChild((await timeToHealthy(dataDir, entry.env)).child);
      const { child } = await timeToHealthy(dataDir, entry.env);
      await sleep(IDLE_SETTLE_MS);
      entry.rss = rssMiB(child.process.pid);
      await stopChild(child);
      console.log(`  idle RSS, ${entry.label.replace(/`/g, '')}: ${mib(entry.rss)} MiB`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const coldMedian = median(cold.map((s) => s.ms));
  const warmMedian = median(warm.map((s) => s.ms));
  const coldMax = Math.max(...cold.map((s) => s.ms));
  const warmMax = Math.max(...warm.map((s) => s.ms));
  const flagsMedian = median(warmWithFlags.map((s) => s.ms));
  const idle = memory[0]!.rss;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const verdict = (met: boolean) => (met ? 'yes' : '**no**');
  const section = [
    `Measured ${date} by \`npm run bench:startup\`; ${RUNS} runs each, time from spawning \`node bin/sentinel.js serve\` to the first 200 on \`/health\` (polled every 5 ms).`,
    `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}. Machine busy before the run: ${pct(background)} of one core.`,
    '',
    '| start | median ms | max ms | all runs ms | server CPU ms (median) | target | met? |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- |',
    `| cold (new data directory: database, migrations, secret key, administrator, and V8 compiling the bundle for its compile cache) | ${ms(coldMedian)} | ${ms(coldMax)} | ${cold.map((s) => ms(s.ms)).join(', ')} | ${cpu(cpuMedian(cold))} | ≤ ${ms(TARGETS.coldMs)} | ${verdict(coldMedian <= TARGETS.coldMs)} |`,
    `| warm (restart on that directory) | ${ms(warmMedian)} | ${ms(warmMax)} | ${warm.map((s) => ms(s.ms)).join(', ')} | ${cpu(cpuMedian(warm))} | ≤ ${ms(TARGETS.warmMs)} | ${verdict(warmMedian <= TARGETS.warmMs)} |`,
    `| warm, with the heap flags on the command line as \`npm start\` gives them (\`node ${NPM_START_NODE_ARGS.join(' ')} bin/sentinel.js serve\`: no re-execution) | ${ms(flagsMedian)} | ${ms(Math.max(...warmWithFlags.map((s) => s.ms)))} | ${warmWithFlags.map((s) => ms(s.ms)).join(', ')} | ${cpu(cpuMedian(warmWithFlags))} | ≤ ${ms(TARGETS.warmMs)} | ${verdict(flagsMedian <= TARGETS.warmMs)} |`,
    '',
    '| idle server, after a warm start and 5 s without requests | RSS MiB | target |',
    '| --- | ---: | ---: |',
    ...memory.map((entry, i) => `| ${entry.label} | ${mib(entry.rss)} | ${i === 0 ? `≤ ${TARGETS.idleRssMiB}` : ''} |`),
  ].join('\n');
  console.log(`\ncold: median ${ms(coldMedian)} ms, max ${ms(coldMax)} ms, CPU ${cpu(cpuMedian(cold))} ms (target ≤ ${TARGETS.coldMs})`);
  console.log(`warm: median ${ms(warmMedian)} ms, max ${ms(warmMax)} ms, CPU ${cpu(cpuMedian(warm))} ms (target ≤ ${TARGETS.warmMs})`);
  console.log(`warm with npm start's flags: median ${ms(flagsMedian)} ms, CPU ${cpu(cpuMedian(warmWithFlags))} ms`);
  console.log(`idle RSS: ${mib(idle)} MiB (target ≤ ${TARGETS.idleRssMiB})`);
  writeReadmeSection('startup', section);
  return 0;
}

await runBench('startup bench', main);
