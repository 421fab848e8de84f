import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

/** Debian's package `prometheus` installs the server here. */
export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

/** Why the real-server tests cannot run, or undefined when they can. */
export function prometheusUnavailable(): string | undefined {
  return existsSync(PROMETHEUS_BINARY) ? undefined : `${PROMETHEUS_BINARY} is missing: install the Debian package "prometheus" (apt-get install -y prometheus) to run the real-server tests`;
}

export interface PrometheusServer {
  url: string;
  port: number;
  /** The closed loopback port the "broken" job scrapes. */
  brokenPort: number;
  /** What the server wrote to stderr (its log), for failing-test messages. */
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** Polls `probe` every 200 ms until it returns true; throws with `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const died = exited();
    if (died !== undefined) throw new Error(`prometheus exited while waiting for ${what}: ${died}`);
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function config(port: number, brokenPort: number, rulesFile: string): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 500ms',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(rulesFile)}`,
    'scrape_configs:',
    '  - job_name: prometheus',
    '    static_configs:',
    `      - targets: ["127.0.0.1:${port}"]`,
    '  - job_name: broken',
    '    static_configs:',
    `      - targets: ["127.0.0.1:${brokenPort}"]`,
    '',
  ].join('\n');
}

const RULES = [
  'groups:',
  '  - name: sentinel-test',
  '    interval: 1s',
  '    rules:',
  '      - alert: AlwaysFiring',
  '        expr: vector(1)',
  '        for: 0s',
  '        labels:',
  '          severity: critical',
  '          team: ops',
  '        annotations:',
  '          summary: The test alert is always firing',
  '          description: vector(1) is always 1',
  '      - alert: NeverFiresYet',
  '        expr: vector(1)',
  '        for: 1h',
  '        labels:',
  '          severity: warning',
  '        annotations:',
  '          summary: Pending for an hour before it fires',
  '',
].join('\n');

/**
 * Starts the real Prometheus on a free loopback port with a throw-away TSDB: it scrapes itself
 * (job "prometheus") and a closed port (job "broken") every second, and evaluates a rule file with
 * an always-firing alert (AlwaysFiring, severity critical) and a pending one (NeverFiresYet).
 * Resolves once the server is ready, both targets have been scraped and the alert fires.
 */
export async function startPrometheus(): Promise<PrometheusServer> {
  const unavailable = prometheusUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-prometheus-'));
  const port = await freePort();
  const brokenPort = await freePort();
  const rulesFile = path.join(dir, 'rules.yml');
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(rulesFile, RULES);
  writeFileSync(configFile, config(port, brokenPort, rulesFile));

  const child: ChildProcess = spawn(PROMETHEUS_BINARY, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
    // No remote write, no service discovery beyond the static targets: nothing leaves the machine.
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exit = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}; log: ${stderr.slice(-2000)}`;
    resolve();
  }));
  child.once('error', (error) => {
    exit = `cannot start: ${error.message}`;
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exit === undefined) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 10_000);
      })]);
      clearTimeout(timer);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const exitedNow = () => exit;
    await waitFor('/-/ready', 30_000, async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, exitedNow);
    await waitFor('both targets to be scraped', 30_000, async () => {
      const body = await getJson(`${url}/api/v1/targets?state=active`);
      const targets: any[] = body.data.activeTargets;
      return targets.length === 2 && targets.every((t) => t.health === 'up' || t.health === 'down');
    }, exitedNow);
    await waitFor('the AlwaysFiring alert', 30_000, async () => {
      const body = await getJson(`${url}/api/v1/alerts`);
      return body.data.alerts.some((a: any) => a.labels.alertname === 'AlwaysFiring' && a.state === 'firing');
    }, exitedNow);
    // At least two samples of `up` per target, so that a range query has points to return.
    await waitFor('two samples of up', 30_000, async () => {
      const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1m])')}`);
      const result: any[] = body.data.result;
      return result.length === 2 && result.every((r) => Number(r.value[1]) >= 2);
    }, exitedNow);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, brokenPort, log: () => stderr, stop };
}
