import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { newId } from '../src/platform/ids.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** Security data written straight into the platform database, as a sync would. */
export function seedSecurity(dataDir: string, tenantId: string, integrationIds: string[]): void {
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
