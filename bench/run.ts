/**
 * Loopback HTTP benchmark (`npm run bench`).
 *
 * Measures three targets with autocannon, one after the other, each served by its own child
 * process so the load generator (this process) and the server never share an event loop:
 *   1. ceiling  — a bare node:http server answering {"ok":true};
 *   2. Sentinel GET /api/v1/auth/me with a bearer token;
 *   3. Sentinel GET /api/v1/tickets?limit=50 for a tenant holding 10,000 tickets.
 * Prints a table and writes it into bench/README.md between the results markers.
 *
 * Environment: BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 64),
 * BENCH_WARMUP (seconds, default 2).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import { newId } from '../src/platform/ids.ts';
import { ADMIN_PASSWORD, REPO_DIR, backgroundCpu, envInt, call, freePort, machine, processCpuMs, rssMiB, systemBusyMs, writeReadmeSection, startChild, startSentinel, stopAll, stopChild, waitUntilHealthy, type Child, type MeView, type TicketPageView, type TokenPair } from './lib.ts';

const DURATION_S = envInt('BENCH_DURATION', 10, 1, 3600);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 64, 1, 10_000);
const WARMUP_S = envInt('BENCH_WARMUP', 2, 0, 600);
const PIPELINING = 1;
const TICKET_COUNT = 10_000;
const PAGE_SIZE = 50;


const TARGETS = {
  authMeRps: 8_000,
  ticketsRps: 5_000,
  p99Ms: 25,
  authMeP99Ms: 15,
};

// ---------------------------------------------------------------------------------------------
// Targets

const CEILING_SOURCE = `
const http = require('node:http');
const body = Buffer.from('{"ok":true}');
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

async function startCeiling(): Promise<{ child: Child; base: string }> {
  const port = await freePort();
  const child = startChild('ceiling server', ['-e', CEILING_SOURCE], { PATH: process.env.PATH, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(child, `${base}/`, 10_000);
  return { child, base };
}

const STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
const SUBJECTS = ['Disk usage above threshold', 'Certificate expires soon', 'Failed logins from one address', 'Line 3 conveyor stopped', 'Backup job did not finish', 'Outdated OpenSSL package', 'Sensor reading out of range', 'VPN tunnel flapping'];

function seedTickets(dataDir: string, tenantId: string, createdBy: string, count: number): number {
  const db = new DatabaseSync(path.join(dataDir, 'sentinel.db'));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const insert = db.prepare(`INSERT INTO tickets
      (id, tenant_id, title, description, status, priority, assignee_id, alert_id, vulnerability_id, created_by, created_at, updated_at, resolved_at)
      VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?)`);
    // One ticket a minute up to now (about a week), so the ids (UUIDv7) sort in creation order.
    const first = Date.now() - count * 60_000;
    db.exec('BEGIN IMMEDIATE');
    try {
      for (let i = 0; i < count; i++) {
        const createdAt = first + i * 60_000;
        const updatedAt = createdAt + (i % 7) * 1_000;
        const status = STATUSES[i % STATUSES.length]!;
        const subject = SUBJECTS[i % SUBJECTS.length]!;
        insert.run(
          newId(createdAt), tenantId, `${subject} #${i + 1}`,
          `Seeded by the benchmark. ${subject.toLowerCase()} was reported on host-${(i % 40) + 1}; check the runbook, note the findings here and close the ticket once resolved.`,
          status, PRIORITIES[(i >> 2) % PRIORITIES.length]!, createdBy, createdAt, updatedAt,
          status === 'resolved' || status === 'closed' ? updatedAt : null,
        );
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    const row = db.prepare('SELECT COUNT(*) AS n FROM tickets WHERE tenant_id = ?').get(tenantId) as { n: number } | undefined;
    return row?.n ?? 0;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Measurement {
  name: string;
  path: string;
  rps: number;
  p50: number;
  p99: number;
  avgLatency: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  mbPerSec: number;
  /** % of one core over the measured window. */
  serverCpu: number | undefined;
  loadgenCpu: number;
  /** Everything else the machine did meanwhile (other processes, kernel), % of one core. */
  otherCpu: number | undefined;
  /** The server's resident memory right after the measured window, MiB. */
  serverRss: number | undefined;
}

function statusCounts(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, stats]) => [code, stats.count]));
}

async function measure(name: string, server: Child, url: string, headers: Record<string, string>): Promise<Measurement> {
  const options: autocannon.Options = { url, headers, connections: CONNECTIONS, pipelining: PIPELINING, timeout: 10 };
  if (WARMUP_S > 0) {
    process.stdout.write(`  ${name}: warm-up ${WARMUP_S} s … `);
    const warm = await autocannon({ ...options, duration: WARMUP_S, title: `${name} warm-up` });
    if (warm.non2xx > 0 || warm.errors > 0) {
      throw new Error(`${name} warm-up: ${warm.non2xx} non-2xx responses, ${warm.errors} errors; status codes ${JSON.stringify(statusCounts(warm))}\n${server.output()}`);
    }
  } else {
    process.stdout.write(`  ${name}: `);
  }
  process.stdout.write(`measuring ${DURATION_S} s … `);
  const cpuBefore = processCpuMs(server.process.pid);
  const systemBefore = systemBusyMs();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ ...options, duration: DURATION_S, title: name });
  const elapsedMs = performance.now() - started;
  const selfUsed = process.cpuUsage(selfBefore);
  const cpuAfter = processCpuMs(server.process.pid);
  const systemAfter = systemBusyMs();
  const serverCpu = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) / elapsedMs) * 100 : undefined;
  const loadgenCpu = ((selfUsed.user + selfUsed.system) / 1000 / elapsedMs) * 100;
  const systemCpu = systemBefore !== undefined && systemAfter !== undefined ? ((systemAfter - systemBefore) / elapsedMs) * 100 : undefined;
  const measurement: Measurement = {
    name,
    path: new URL(url).pathname + new URL(url).search,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    avgLatency: result.latency.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: statusCounts(result),
    mbPerSec: result.throughput.average / 1_048_576,
    serverCpu,
    loadgenCpu,
    otherCpu: systemCpu !== undefined && serverCpu !== undefined ? Math.max(0, systemCpu - serverCpu - loadgenCpu) : undefined,
    serverRss: rssMiB(server.process.pid),
  };
  console.log(`${Math.round(measurement.rps).toLocaleString('en-US')} req/s`);
  return measurement;
}

// ---------------------------------------------------------------------------------------------
// Report

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number | undefined) => (n === undefined ? 'n/a' : `${Math.round(n)} %`);

interface Verdict { label: string; measured: string; target: string; met: boolean }

function verdicts(authMe: Measurement, tickets: Measurement): Verdict[] {
  return [
    { label: '/auth/me throughput', measured: `${int(authMe.rps)} req/s`, target: `≥ ${int(TARGETS.authMeRps)} req/s`, met: authMe.rps >= TARGETS.authMeRps },
    { label: '/auth/me p99', measured: `${authMe.p99} ms`, target: `≤ ${TARGETS.authMeP99Ms} ms`, met: authMe.p99 <= TARGETS.authMeP99Ms },
    { label: '/tickets?limit=50 throughput', measured: `${int(tickets.rps)} req/s`, target: `≥ ${int(TARGETS.ticketsRps)} req/s`, met: tickets.rps >= TARGETS.ticketsRps },
    { label: '/tickets?limit=50 p99', measured: `${tickets.p99} ms`, target: `≤ ${TARGETS.p99Ms} ms`, met: tickets.p99 <= TARGETS.p99Ms },
  ];
}

function markdownTable(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (rightAligned.has(i) ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

function consoleTable(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const RESULT_HEADER = ['Scenario', 'req/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'non-2xx', 'errors', 'server CPU', 'load-gen CPU', 'other CPU', 'server RSS MiB'];
const RESULT_RIGHT = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

function resultRows(results: Measurement[], ceilingRps: number): string[][] {
  return results.map((m) => [
    `${m.name} (\`GET ${m.path}\`)`, int(m.rps), String(m.p50), String(m.p99), `${((m.rps / ceilingRps) * 100).toFixed(1)} %`,
    String(m.non2xx), String(m.errors), pct(m.serverCpu), pct(m.loadgenCpu), pct(m.otherCpu), m.serverRss === undefined ? 'n/a' : String(Math.round(m.serverRss)),
  ]);
}

/** The commit being measured, and whether the server's code differs from it. */
function codeVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'bin', 'package.json', 'package-lock.json') !== '';
    return dirty ? `commit ${head} with uncommitted changes to the server code` : `commit ${head}`;
  } catch {
    return 'an unknown commit';
  }
}

function resultsMarkdown(results: Measurement[], ceilingRps: number, checks: Verdict[], seedMs: number, background: number | undefined, version: string): string {
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return [
    `Measured ${date} by \`npm run bench\` on ${version} — ${DURATION_S} s per scenario after a ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, pipelining ${PIPELINING}.`,
    `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}. ` +
      `Machine busy before the run: ${pct(background)} of one core. ${TICKET_COUNT.toLocaleString('en-US')} tickets seeded in ${seedMs} ms.`,
    '',
    markdownTable(RESULT_HEADER, resultRows(results, ceilingRps), RESULT_RIGHT),
    '',
    'CPU columns: CPU time used over the measured window, in % of one core (the machine has ' +
      `${m.nproc} cores, i.e. ${m.nproc * 100} % in all); server = the child process being measured, load-gen = this autocannon process, ` +
      'other = the rest of the machine (other processes, kernel work not charged to either). ' +
      'Server RSS: the measured process\'s resident memory right after its scenario (the Sentinel scenarios run one after another in one process).',
    '',
    markdownTable(['Target (one Sentinel process, embedded SQLite)', 'Measured', 'Target', 'Met?'],
      checks.map((c) => [c.label, c.measured, c.target, c.met ? 'yes' : '**no**']), new Set()),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const m = machine();
  const version = codeVersion();
  console.log(`Sentinel loopback benchmark — ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, ${version}`);
  console.log(`${DURATION_S} s per scenario, ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, pipelining ${PIPELINING}`);
  const background = await backgroundCpu(1_000);
  console.log(`Machine busy before the run: ${pct(background)} of one core${background !== undefined && background > 20 ? ' — WARNING: other work is running, the figures will be lower' : ''}\n`);
  const results: Measurement[] = [];

  // 1. Ceiling: measured alone, then stopped so it takes no CPU from the Sentinel runs.
  console.log('Ceiling (bare node:http):');
  const ceiling = await startCeiling();
  try {
    results.push(await measure('ceiling', ceiling.child, `${ceiling.base}/`, {}));
  } finally {
    await stopChild(ceiling.child);
  }

  // 2 + 3. Sentinel.
  console.log('\nSentinel: starting, provisioning a tenant and its admin …');
  const sentinel = await startSentinel();
  let seedMs: number;
  try {
    const seedStart = performance.now();
    const seeded = seedTickets(sentinel.dataDir, sentinel.tenantId, (await call<MeView>(sentinel.base, 'GET', '/api/v1/auth/me', 200, { token: sentinel.token })).id, TICKET_COUNT);
    seedMs = Math.round(performance.now() - seedStart);
    if (seeded !== TICKET_COUNT) throw new Error(`expected ${TICKET_COUNT} tickets in the bench tenant, found ${seeded}`);
    console.log(`  seeded ${seeded.toLocaleString('en-US')} tickets in ${seedMs} ms`);
    const page = await call<TicketPageView>(sentinel.base, 'GET', `/api/v1/tickets?limit=${PAGE_SIZE}`, 200, { token: sentinel.token });
    if (page.items.length !== PAGE_SIZE || page.next_cursor === null || page.items.some((t) => t.tenant_id !== sentinel.tenantId)) {
      throw new Error(`GET /api/v1/tickets?limit=${PAGE_SIZE} answered ${page.items.length} items, next_cursor ${page.next_cursor}`);
    }
    console.log(`  GET /api/v1/tickets?limit=${PAGE_SIZE}: ${page.items.length} items and a next_cursor\n`);

    const auth = { authorization: `Bearer ${sentinel.token}` };
    results.push(await measure('auth/me', sentinel.child, `${sentinel.base}/api/v1/auth/me`, auth));
    results.push(await measure('tickets list', sentinel.child, `${sentinel.base}/api/v1/tickets?limit=${PAGE_SIZE}`, auth));
    // For reference, no target: the response cache never serves a SUPER_ADMIN naming the tenant, so
    // this is the full query, mapping and serialisation on every request.
    const admin = await call<TokenPair>(sentinel.base, 'POST', '/api/v1/auth/login', 200, { body: { username: 'admin', password: ADMIN_PASSWORD } });
    results.push(await measure('tickets list, uncached', sentinel.child, `${sentinel.base}/api/v1/tickets?limit=${PAGE_SIZE}&tenant_id=${sentinel.tenantId}`, { authorization: `Bearer ${admin.access_token}` }));
  } finally {
    await stopChild(sentinel.child);
    rmSync(sentinel.dataDir, { recursive: true, force: true });
  }

  const [ceilingResult, authMe, tickets] = results as [Measurement, Measurement, Measurement];
  console.log(`\n${consoleTable(RESULT_HEADER, resultRows(results, ceilingResult.rps).map((r) => [r[0]!.replace(/`/g, ''), ...r.slice(1)]), RESULT_RIGHT)}`);
  console.log('(CPU: % of one core over the measured window; server = measured child process, load-gen = autocannon, other = rest of the machine)\n');

  const failed = results.filter((r) => r.non2xx > 0 || r.errors > 0);
  if (failed.length > 0) {
    for (const r of failed) console.error(`FAILED ${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts); status codes ${JSON.stringify(r.statusCodes)}`);
    console.error('Not writing bench/README.md: the figures include failed requests.');
    return 1;
  }

  const checks = verdicts(authMe, tickets);
  console.log(consoleTable(['Target', 'Measured', 'Target', 'Met?'], checks.map((c) => [c.label, c.measured, c.target, c.met ? 'yes' : 'NO']), new Set()));
  writeReadmeSection('results', resultsMarkdown(results, ceilingResult.rps, checks, seedMs, background, version));
  console.log('\nWrote the results into bench/README.md.');
  return 0;
}

// The bench always ends by itself: a watchdog well past the expected run time.
const expectedS = 4 * (WARMUP_S + DURATION_S) + 120;
setTimeout(() => {
  console.error(`bench: still running after ${expectedS * 2} s, giving up`);
  void stopAll().finally(() => process.exit(1));
}, expectedS * 2_000).unref();

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error('\nbench failed:', error instanceof Error ? error.message : error);
} finally {
  await stopAll();
}
process.exit(exitCode);
