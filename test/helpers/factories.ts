import type { Insertable } from 'kysely';
import { newId } from '../../src/platform/ids.ts';
import type { AlertsTable } from '../../src/modules/alerts/alerts.tables.ts';
import type { AssetsTable, SystemsTable } from '../../src/modules/systems/systems.tables.ts';
import type { VulnerabilitiesTable } from '../../src/modules/vulnerabilities/vulnerabilities.tables.ts';
import type { TestServer } from './harness.ts';

/*
 * Rows for tests. Tickets and integrations go through the API; systems, assets, alerts and
 * vulnerabilities only ever come from a vendor sync, so they are inserted into the database.
 */

function created<T>(what: string, response: { status: number; text: string; body: T }): T {
  if (response.status !== 201) throw new Error(`${what} create failed: ${response.status} ${response.text}`);
  return response.body;
}

/** A ticket created through the API by the token's user (`query` e.g. `?tenant_id=` for SUPER_ADMIN). */
export async function makeTicket(server: TestServer, token: string, fields: Record<string, unknown> = {}, query = ''): Promise<{ id: string; tenant_id: string } & Record<string, any>> {
  return created('ticket', await server.api.post(`/api/v1/tickets${query}`, { title: 'A ticket', ...fields }, token));
}

/** An integration created through the API; by default a disabled Grafana one that never reaches a vendor. */
export async function makeIntegration(server: TestServer, token: string, fields: Record<string, unknown> = {}): Promise<{ id: string; tenant_id: string } & Record<string, any>> {
  const body = { name: `Integration ${newId()}`, type: 'grafana', config: { url: 'http://127.0.0.1:9/' }, secret: 'glsa_x', enabled: false, ...fields };
  return created('integration', await server.api.post('/api/v1/integrations', body, token));
}

/** A system as a sync writes it, under its own (disabled) integration created by the tenant's ADMIN. */
export async function makeSystem(server: TestServer, tenant: { id: string; admin: { token: string } }, fields: Partial<SystemsTable> & { name: string }): Promise<{ id: string; integrationId: string }> {
  const integration = await makeIntegration(server, tenant.admin.token, { name: fields.name });
  const now = Date.now();
  const id = newId(now);
  await server.db.kysely.insertInto('systems').values({
    id, tenant_id: tenant.id, integration_id: integration.id, type: 'grafana', status: 'online', status_summary: null,
    uptime_seconds: null, response_time_avg_ms: null, last_seen: now, created_at: now, updated_at: now,
    vendor_status: fields.status ?? 'online', status_set_by: 'vendor', ...fields,
  }).execute();
  return { id, integrationId: integration.id };
}

export async function makeAsset(server: TestServer, tenantId: string, systemId: string, fields: Partial<AssetsTable> & { name: string }): Promise<string> {
  const now = Date.now();
  const id = newId(now);
  await server.db.kysely.insertInto('assets').values({
    id, tenant_id: tenantId, system_id: systemId, external_id: newId(), kind: 'agent', status: 'online', detail: null,
    last_seen: now, created_at: now, updated_at: now, ...fields,
  }).execute();
  return id;
}

/** An active alert first seen at `fields.first_seen` (default now); its id sorts by that time. */
export async function makeAlert(server: TestServer, tenantId: string, fields: Partial<Insertable<AlertsTable>> = {}): Promise<string> {
  const at = fields.first_seen ?? Date.now();
  const id = newId(at);
  await server.db.kysely.insertInto('alerts').values({
    id, tenant_id: tenantId, integration_id: null, system_id: null, external_id: newId(), title: 'An alert', description: '', severity: 'medium',
    vendor_severity: null, source: 'test', asset: null, status: 'active', first_seen: at, last_seen: at, occurrences: 1,
    acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolved_by: null, resolution_note: null, opened_at: at,
    created_at: at, updated_at: at, ...fields,
  }).execute();
  return id;
}

/** An open vulnerability finding. */
export async function makeVulnerability(server: TestServer, tenantId: string, fields: Partial<VulnerabilitiesTable> = {}): Promise<string> {
  const now = Date.now();
  const id = newId(now);
  await server.db.kysely.insertInto('vulnerabilities').values({
    id, tenant_id: tenantId, integration_id: null, system_id: null, external_id: newId(), cve: 'CVE-2024-0001', title: 'A finding', severity: 'high',
    cvss_score: null, asset: 'host', package: null, version: null, fixed_version: null, status: 'open', first_seen: now, last_seen: now,
    resolved_at: null, created_at: now, updated_at: now, ...fields,
  }).execute();
  return id;
}
