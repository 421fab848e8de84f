/**
 * The data the dashboard and web benchmarks run over: the demo plant with days of detections,
 * and a tenant's security findings.
 */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DEFAULT_BEHAVIOUR, LineFeed, backfill, createPlant, openPlantServices, serviceSink } from '../scripts/plant-simulator.ts';
import { newId } from '../src/platform/ids.ts';
import { call, type SentinelSetup } from './lib.ts';

const HOUR = 3_600_000;

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** Security data written straight into the platform database, as a sync would. */
function seedSecurity(dataDir: string, tenantId: string, integrationIds: string[]): void {
  const db = new DatabaseSync(path.join(dataDir, 'sentinel.db'));
  db.exec('PRAGMA busy_timeout = 5000');
  const now = Date.now();
  db.exec('BEGIN');
  const systems = Array.from({ length: 10 }, () => newId(now));
  const insertSystem = db.prepare(`INSERT INTO systems (id, tenant_id, integration_id, name, type, status, status_summary, uptime_seconds, response_time_avg_ms, last_seen, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'grafana', ?, NULL, 3600, 12, ?, ?, ?)`);
  systems.forEach((id, i) => insertSystem.run(id, tenantId, integrationIds[i]!, `System ${i}`, ['online', 'warning', 'alert'][i % 3]!, now, now, now));
  const insertAlert = db.prepare(`INSERT INTO alerts (id, tenant_id, integration_id, system_id, external_id, title, description, severity, vendor_severity, source, asset, status,
    first_seen, last_seen, occurrences, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, created_at, updated_at)
    VALUES (?, ?, NULL, ?, ?, ?, '', ?, NULL, 'bench', 'host-1', ?, ?, ?, 1, ?, NULL, ?, NULL, NULL, ?, ?)`);
  for (let i = 0; i < 10_000; i++) {
    const at = now - (10_000 - i) * 4 * 60_000;
    const open = i >= 9_500;
    insertAlert.run(newId(at), tenantId, systems[i % 10]!, `bench-${i}`, `Alert ${i}`, SEVERITIES[i % 5]!, open ? 'active' : 'resolved', at, at, open ? null : at + 300_000, open ? null : at + 900_000, at, at);
  }
  const insertVulnerability = db.prepare(`INSERT INTO vulnerabilities (id, tenant_id, integration_id, system_id, external_id, cve, title, severity, cvss_score, asset, package, version, fixed_version, status,
    first_seen, last_seen, resolved_at, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, 'CVE-2026-0001', 'A finding', ?, ?, 'host', NULL, NULL, NULL, 'open', ?, ?, NULL, ?, ?)`);
  for (let i = 0; i < 200; i++) insertVulnerability.run(newId(now), tenantId, systems[i % 10]!, `vuln-${i}`, SEVERITIES[i % 5]!, (i % 100) / 10, now, now, now, now);
  db.exec('COMMIT');
  db.close();
}

export interface SeededTenant {
  lines: number;
  detections: number;
  /** When the detections end (the load's start). */
  now: number;
  loadSeconds: number;
}

/**
 * The demo plant (3 lines, their products and three shifts) with `days` days of detections loaded
 * through the production service and its downtime settled, then 10 (disabled) Grafana integrations
 * whose systems carry 10,000 alerts (500 open) and 200 open vulnerabilities.
 */
export async function seedPlantAndSecurity(sentinel: Pick<SentinelSetup, 'base' | 'token' | 'tenantId' | 'dataDir'>, days: number): Promise<SeededTenant> {
  const { base, token, tenantId, dataDir } = sentinel;
  const started = performance.now();
  const plant = openPlantServices(dataDir, 'UTC');
  const lines = await createPlant(plant.structure, tenantId);
  const now = Date.now();
  const feeds = lines.map((line, index) => new LineFeed(line, DEFAULT_BEHAVIOUR, now - days * 24 * HOUR, 1000 + index));
  const detections = await backfill(feeds, now, serviceSink(plant.production, tenantId), { batchSize: 10_000 });
  while ((await plant.production.settleDowntime(tenantId)).occurrences >= 500);
  await plant.close();
  const integrationIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const integration = await call<{ id: string }>(base, 'POST', '/api/v1/integrations', 201, {
      token, body: { name: `Bench Grafana ${i}`, type: 'grafana', enabled: false, config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_bench' },
    });
    integrationIds.push(integration.id);
  }
  seedSecurity(dataDir, tenantId, integrationIds);
  return { lines: lines.length, detections, now, loadSeconds: (performance.now() - started) / 1000 };
}
