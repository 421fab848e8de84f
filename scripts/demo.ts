/**
 * `npm run demo`: Sentinel with one integration of every type, against local vendor simulators whose
 * data changes over time, and a plant of three production lines with its history and a live device
 * feed. Everything runs on loopback; stop it with Ctrl+C.
 *
 * Environment: PORT (default 8000), DEMO_DATA_DIR (default ./data/demo, wiped at start),
 * DEMO_HISTORY_DAYS (days of production history, default 90).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGrafanaSimulator } from '../test/simulators/grafana.ts';
import { makeAlert, startWazuhSimulator, type WazuhSimulator } from '../test/simulators/wazuh.ts';
import { resolveNotable, splunkTime, startSplunkSimulator } from '../test/simulators/splunk.ts';
import { merakiAlert, startMerakiSimulator } from '../test/simulators/meraki.ts';
import { startPaloAltoSimulator } from '../test/simulators/paloalto.ts';
import { prometheusUnavailable, startPrometheus } from '../test/helpers/prometheus-server.ts';
import { type DemoPlant, httpSink, startDemoPlant } from './plant-simulator.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(process.env.PORT ?? 8000);
const DATA_DIR = path.resolve(process.env.DEMO_DATA_DIR ?? path.join(ROOT, 'data', 'demo'));
const BASE = `http://127.0.0.1:${PORT}`;
const PLATFORM_ADMIN = { username: 'admin', password: 'Demo-Platform-2026' };
const TENANT_ADMIN = { username: 'demo.admin', password: 'Demo-Admin-2026' };
/** Plays the patch agent Sentinel does not have yet (its own user, so its sign-ins never end a person's session). */
const PATCH_AGENT = { username: 'demo.patch-agent', password: 'Demo-Patch-Agent-2026' };
const CHANGE_EVERY_MS = 20_000;
const POLL_SECONDS = 15;
const HISTORY_DAYS = Number(process.env.DEMO_HISTORY_DAYS ?? 90);
const TIME_ZONE = 'Europe/Madrid';

async function call<T>(method: string, url: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${BASE}${url}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * What a patch agent would do: a finding whose patch job is in progress gets fixed on its host, so
 * Wazuh stops reporting it; the next sync resolves it and marks the job succeeded (confirmed by the
 * feed). Start a patch, move its job to in_progress, and watch the finding disappear.
 */
async function applyPatchesInProgress(wazuh: WazuhSimulator, token: string): Promise<void> {
  const patching = await call<{ items: { id: string; asset: string; cve: string; package: string | null }[] }>('GET', '/api/v1/vulnerabilities?status=patching&limit=200', undefined, token);
  for (const finding of patching.items) {
    const detail = await call<{ patch_jobs: { status: string }[] }>('GET', `/api/v1/vulnerabilities/${finding.id}`, undefined, token);
    if (!detail.patch_jobs.some((job) => job.status === 'in_progress')) continue;
    wazuh.data.vulnerabilities = wazuh.data.vulnerabilities.filter((doc) => {
      const d = doc as { agent?: { name?: string }; vulnerability?: { id?: string }; package?: { name?: string } };
      return !(d.agent?.name === finding.asset && d.vulnerability?.id === finding.cve && (d.package?.name ?? null) === finding.package);
    });
  }
}

async function waitForSentinel(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error('Sentinel exited during start-up');
    try {
      if ((await fetch(`${BASE}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('Sentinel did not start within 30 s');
}

async function main(): Promise<void> {
  rmSync(DATA_DIR, { recursive: true, force: true });
  console.log('Starting vendor simulators …');
  const grafana = await startGrafanaSimulator();
  const wazuh = await startWazuhSimulator();
  const splunk = await startSplunkSimulator();
  const meraki = await startMerakiSimulator({ deviceCount: 60 });
  const paloalto = await startPaloAltoSimulator({ jobPollsBeforeFin: 1 });
  const noPrometheus = prometheusUnavailable();
  const prometheus = noPrometheus === undefined ? await startPrometheus() : undefined;
  if (noPrometheus !== undefined) console.log(`(Prometheus integration skipped: ${noPrometheus})`);

  const sentinel = spawn(process.execPath, [path.join(ROOT, 'bin', 'sentinel.js'), 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, PORT: String(PORT), SENTINEL_DATA_DIR: DATA_DIR, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      SENTINEL_ADMIN_USERNAME: PLATFORM_ADMIN.username, SENTINEL_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
      SENTINEL_RATE_LIMIT_PER_MINUTE: process.env.SENTINEL_RATE_LIMIT_PER_MINUTE ?? '1000',
    },
  });
  let plant: DemoPlant | undefined = undefined;
  const stop = async () => {
    await plant?.stop();
    sentinel.kill('SIGTERM');
    await Promise.allSettled([grafana.close(), wazuh.close(), splunk.close(), meraki.close(), paloalto.close(), prometheus?.stop()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await waitForSentinel(sentinel);

  const { access_token: platform } = await call<{ access_token: string }>('POST', '/api/v1/auth/login', PLATFORM_ADMIN);
  const tenant = await call<{ id: string }>('POST', '/api/v1/tenants', { name: 'Demo Corp', slug: 'demo', config: { timezone: TIME_ZONE, language: 'es' } }, platform);
  await call('POST', '/api/v1/users', { ...TENANT_ADMIN, email: 'demo.admin@example.com', role: 'ADMIN', tenant_id: tenant.id }, platform);
  const { access_token: token } = await call<{ access_token: string }>('POST', '/api/v1/auth/login', TENANT_ADMIN);
  await call('POST', '/api/v1/users', { ...PATCH_AGENT, role: 'OPERATOR', tenant_id: tenant.id }, platform);
  let agentToken = '';
  const patchAgent = async () => {
    try {
      await applyPatchesInProgress(wazuh, agentToken);
    } catch {
      // First run, or its access token expired: sign in again (its own sessions only).
      agentToken = (await call<{ access_token: string }>('POST', '/api/v1/auth/login', PATCH_AGENT)).access_token;
      await applyPatchesInProgress(wazuh, agentToken);
    }
  };

  const poll = { poll_interval_seconds: POLL_SECONDS };
  const integrations = [
    { name: 'Grafana', type: 'grafana', config: { url: grafana.url, ...poll }, secret: grafana.token },
    { name: 'Wazuh', type: 'wazuh', config: { url: wazuh.url, username: wazuh.credentials.username, indexer_url: wazuh.indexerUrl, indexer_username: wazuh.credentials.indexer_username, ...poll }, secret: { password: wazuh.credentials.password, indexer_password: wazuh.credentials.indexer_password } },
    { name: 'Splunk ES', type: 'splunk', config: { url: splunk.url, ...poll }, secret: splunk.token },
    { name: 'Meraki', type: 'meraki', config: { url: meraki.apiUrl, organization_id: meraki.organizationId, ...poll }, secret: meraki.apiKey },
    { name: 'Palo Alto Firewall', type: 'paloalto', config: { url: paloalto.url, ...poll }, secret: paloalto.credentials },
    ...(prometheus ? [{ name: 'Prometheus', type: 'prometheus', config: { url: prometheus.url, ...poll } }] : []),
  ];
  for (const integration of integrations) {
    const created = await call<{ id: string }>('POST', '/api/v1/integrations', integration, token);
    const outcome = await call<{ status: string; alerts: number; error?: string }>('POST', `/api/v1/integrations/${created.id}/sync`, undefined, token);
    console.log(`  ${integration.name.padEnd(20)} first sync: ${outcome.status}${outcome.error ? ` (${outcome.error})` : `, ${outcome.alerts} alerts`}`);
  }

  // The plant's history goes straight into its embedded database through the production service,
  // which this process runs too (SQLite lets both processes write the file); its devices then post
  // through the API with a key limited to detections of the plant's lines.
  console.log(`Creating the plant and ${HISTORY_DAYS} days of production history …`);
  let lastReport = 0;
  plant = await startDemoPlant({
    dataDir: DATA_DIR, tenantId: tenant.id, timeZone: TIME_ZONE, historyDays: HISTORY_DAYS,
    progress: (sent) => {
      if (sent - lastReport >= 250_000) console.log(`  ${(lastReport = sent).toLocaleString('en-US')} detections …`);
    },
    devices: async (lines) => {
      const key = await call<{ key: string }>('POST', '/api/v1/api-keys', { name: 'Plant devices', scopes: ['production:write'], line_ids: lines.map((line) => line.line_id) }, token);
      return httpSink(BASE, key.key);
    },
  });
  console.log(`  ${plant.lines.map((line) => `${line.line_name} (line ${line.line_id})`).join(', ')}: ${plant.historyDetections.toLocaleString('en-US')} detections; ${plant.stoppedLine.line_name} is stopped`);
  const oeeFrom = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);

  // The vendors' data moves: new alerts and threats, devices going up and down, notables closed.
  let step = 0;
  setInterval(() => {
    step++;
    const now = Date.now();
    paloalto.addThreat({ severity: (['high', 'critical', 'medium'] as const)[step % 3]!, threatid: `Demo threat #${step}` });
    wazuh.data.alerts.push(makeAlert({ at: now, level: 7 + (step % 8), ruleId: '5712', description: `sshd: brute force attempt #${step}`, groups: ['syslog', 'sshd'], agent: { id: '001', name: wazuh.data.agents[1]?.name ?? 'web-01' } }));
    const device = meraki.data.devices[step % meraki.data.devices.length]!;
    device.status = device.status === 'online' ? 'offline' : 'online';
    if (step % 2 === 0) meraki.data.alerts.push(merakiAlert({ severity: 'warning', device, title: `Demo connectivity issue #${step}` }));
    const open = splunk.data.notables.find((n) => n.status_end === 'false');
    if (open && step % 3 === 0) resolveNotable(splunk.data, open.event_id as string);
    else if (open) splunk.data.notables.push({ ...open, event_id: `DEMO-${step}@@notable@@${now}`, _time: splunkTime(now), rule_title: `Demo notable #${step}` });
    const firing = grafana.data.alerts[step % grafana.data.alerts.length]!;
    firing.startsAt = new Date(now).toISOString();
  }, CHANGE_EVERY_MS).unref();
  setInterval(() => void patchAgent().catch((error: unknown) => console.error(`patch agent: ${String(error)}`)), 5_000).unref();

  console.log(`
Sentinel demo is running at ${BASE}  (API docs: ${BASE}/docs)

  Tenant admin:     ${TENANT_ADMIN.username} / ${TENANT_ADMIN.password}   (tenant "Demo Corp")
  Platform admin:   ${PLATFORM_ADMIN.username} / ${PLATFORM_ADMIN.password}

  Try:  TOKEN=$(curl -s -X POST ${BASE}/api/v1/auth/login -H 'content-type: application/json' \\
          -d '{"username":"${TENANT_ADMIN.username}","password":"${TENANT_ADMIN.password}"}' | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
        curl -s ${BASE}/api/v1/integrations -H "authorization: Bearer $TOKEN"
        curl -s "${BASE}/api/v1/production/oee?line_id=${plant.lines[0]!.line_id}&from=${oeeFrom}T00:00:00Z&to=$(date -u +%Y-%m-%dT%H:%M:00Z)&group_by=shift" -H "authorization: Bearer $TOKEN"

A patch job moved to in_progress (PATCH /api/v1/vulnerabilities/{id}/patch-jobs/{job_id} {"status":"in_progress"})
fixes the finding on the simulated host within 5 s; the next Wazuh sync resolves it and the job succeeds.

Integrations sync every ${POLL_SECONDS} s; the simulated vendors change every ${CHANGE_EVERY_MS / 1000} s; the plant's devices
report every 5 s (lines ${plant.lines.map((line) => line.line_id).join(', ')}; ${plant.stoppedLine.line_name} stands still). Ctrl+C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
