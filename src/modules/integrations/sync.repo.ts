import type { Kysely } from 'kysely';
import { newId } from '../../platform/ids.ts';
import type { AlertRow, PlatformDatabase, SystemRow, VulnerabilityRow } from '../../platform/db/schema.ts';
import type { NormalizedAlert, NormalizedAsset, NormalizedVulnerability } from './providers/types.ts';

/**
 * Rows per statement/transaction. SQLite calls run on the event loop, so a sync writes in small
 * chunks and yields between them: API requests are served in the gaps instead of waiting for a
 * whole sync's writes.
 */
const CHUNK = 50;

/** Splits items into chunks, handing the event loop back before each one after the first. */
async function* chunks<T>(items: T[], size = CHUNK): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) {
    // A timer (not setImmediate) so that the loop's poll phase runs too: waiting requests go first.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    yield items.slice(i, i + size);
  }
}

const OPEN_ALERT_STATUSES = ['active', 'acknowledged'];
const OPEN_VULNERABILITY_STATUSES = ['open', 'patching'];

/** The alerts a merge changed, for live events. */
export interface AlertChanges {
  created: Pick<AlertRow, 'id' | 'severity' | 'title'>[];
  updated: Pick<AlertRow, 'id' | 'severity' | 'title'>[];
  resolved: Pick<AlertRow, 'id' | 'severity' | 'title'>[];
}

/** Writes what a sync found: the integration's system, its assets, alerts and vulnerabilities. */
export function createSyncRepo(db: Kysely<PlatformDatabase>) {
  return {
    async ensureSystem(tenantId: string, integrationId: string, name: string, type: string, now: number): Promise<SystemRow> {
      const existing = await db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.name !== name) await db.updateTable('systems').set({ name, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', existing.id).execute();
        return { ...existing, name };
      }
      const row: SystemRow = {
        id: newId(now), tenant_id: tenantId, integration_id: integrationId, name, type, status: 'online', status_summary: null,
        uptime_seconds: null, response_time_avg_ms: null, last_seen: null, created_at: now, updated_at: now,
      };
      // Two syncs racing for a new integration: the unique (tenant, integration) keeps one row.
      await db.insertInto('systems').values(row).onConflict((oc) => oc.columns(['tenant_id', 'integration_id']).doNothing()).execute();
      return (await db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirstOrThrow());
    },

    async updateSystem(tenantId: string, systemId: string, report: { status: string; summary: string; uptime: number | null; responseTimeAvg: number | null; reachable: boolean }, now: number): Promise<void> {
      await db
        .updateTable('systems')
        .set({
          status: report.status,
          status_summary: report.summary.slice(0, 500),
          ...(report.reachable ? { uptime_seconds: report.uptime, response_time_avg_ms: report.responseTimeAvg, last_seen: now } : {}),
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', systemId)
        .execute();
    },

    /** Assets become exactly what the vendor reported: new ones added, changed ones updated, gone ones removed. */
    async replaceAssets(tenantId: string, systemId: string, assets: NormalizedAsset[], now: number): Promise<void> {
      const existing = new Map(
        (await db.selectFrom('assets').select(['id', 'external_id']).where('tenant_id', '=', tenantId).where('system_id', '=', systemId).execute()).map((a) => [a.external_id, a.id]),
      );
      const seen = new Set<string>();
      const inserts = [];
      const updates = [];
      for (const asset of assets) {
        if (seen.has(asset.external_id)) continue;
        seen.add(asset.external_id);
        const values = { name: asset.name.slice(0, 300), kind: asset.kind, status: asset.status, detail: asset.detail ? JSON.stringify(asset.detail) : null, last_seen: now, updated_at: now };
        const id = existing.get(asset.external_id);
        if (id === undefined) inserts.push({ id: newId(now), tenant_id: tenantId, system_id: systemId, external_id: asset.external_id, created_at: now, ...values });
        else updates.push({ id, values });
      }
      const gone = [...existing].filter(([externalId]) => !seen.has(externalId)).map(([, id]) => id);
      for await (const batch of chunks(inserts)) await db.insertInto('assets').values(batch).execute();
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, values } of batch) await trx.updateTable('assets').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
        });
      }
      for await (const batch of chunks(gone)) await db.deleteFrom('assets').where('tenant_id', '=', tenantId).where('id', 'in', batch).execute();
    },

    /**
     * Alerts: new ones are created active; ones seen again get last_seen and (when the vendor's time
     * moved on) one more occurrence, and reopen if they had been resolved; with `resolveMissing`,
     * open ones the vendor no longer reports are resolved by the sync.
     */
    async mergeAlerts(tenantId: string, integrationId: string, systemId: string, alerts: NormalizedAlert[], now: number, resolveMissing: boolean): Promise<AlertChanges> {
      const byExternal = new Map<string, NormalizedAlert>();
      for (const alert of alerts) byExternal.set(alert.external_id, alert);
      const existing = new Map<string, AlertRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const open = resolveMissing
        ? await db.selectFrom('alerts').select(['id', 'external_id', 'severity', 'title']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('status', 'in', OPEN_ALERT_STATUSES).execute()
        : [];

      const inserts: AlertRow[] = [];
      const updates: { id: string; values: Partial<AlertRow> & Pick<AlertRow, 'severity' | 'title'> }[] = [];
      for (const alert of byExternal.values()) {
        const row = existing.get(alert.external_id);
        const fields = {
          title: alert.title.slice(0, 500), description: alert.description.slice(0, 10_000), severity: alert.severity, vendor_severity: alert.vendor_severity.slice(0, 64),
          source: alert.source.slice(0, 200), asset: alert.asset?.slice(0, 300) ?? null,
        };
        if (row === undefined) {
          inserts.push({
            id: newId(now), tenant_id: tenantId, integration_id: integrationId, system_id: systemId, external_id: alert.external_id, ...fields,
            status: 'active', first_seen: Math.min(alert.time, now), last_seen: Math.min(alert.time, now) || now, occurrences: 1,
            acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolved_by: null, resolution_note: null, created_at: now, updated_at: now,
          });
          continue;
        }
        const vendorTime = Math.min(alert.time, now);
        const newOccurrence = vendorTime > row.last_seen;
        const reopen = row.status === 'resolved';
        if (!newOccurrence && !reopen && row.severity === fields.severity && row.title === fields.title) continue;
        updates.push({
          id: row.id,
          values: {
            ...fields,
            last_seen: Math.max(row.last_seen, vendorTime),
            occurrences: row.occurrences + (newOccurrence || reopen ? 1 : 0),
            ...(reopen ? { status: 'active', resolved_at: null, resolved_by: null, resolution_note: null, acknowledged_at: null, acknowledged_by: null } : {}),
            updated_at: now,
          },
        });
      }
      const toResolve = open.filter((row) => !byExternal.has(row.external_id));
      for await (const batch of chunks(inserts)) await db.insertInto('alerts').values(batch).execute();
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, values } of batch) await trx.updateTable('alerts').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
        });
      }
      for await (const batch of chunks(toResolve.map((r) => r.id))) {
        await db
          .updateTable('alerts')
          .set({ status: 'resolved', resolved_at: now, resolved_by: null, resolution_note: 'Cleared at the source', updated_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', batch)
          .execute();
      }
      const ref = (r: Pick<AlertRow, 'id' | 'severity' | 'title'>) => ({ id: r.id, severity: r.severity, title: r.title });
      return { created: inserts.map(ref), updated: updates.map((u) => ref({ id: u.id, ...u.values })), resolved: toResolve.map(ref) };
    },

    /** Vulnerabilities: same merge; one the feed stops reporting for its asset becomes resolved. */
    async mergeVulnerabilities(tenantId: string, integrationId: string, systemId: string, findings: NormalizedVulnerability[], now: number): Promise<{ created: string[]; reopened: string[]; resolved: string[] }> {
      const byExternal = new Map<string, NormalizedVulnerability>();
      for (const finding of findings) byExternal.set(finding.external_id, finding);
      const existing = new Map<string, VulnerabilityRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('vulnerabilities').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const open = await db.selectFrom('vulnerabilities').select(['id', 'external_id']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('status', 'in', OPEN_VULNERABILITY_STATUSES).execute();
      const inserts: VulnerabilityRow[] = [];
      const updates: { id: string; values: Partial<VulnerabilityRow> }[] = [];
      for (const finding of byExternal.values()) {
        const fields = {
          cve: finding.cve.slice(0, 64), title: finding.title.slice(0, 500), severity: finding.severity, cvss_score: finding.cvss_score,
          asset: finding.asset.slice(0, 300), package: finding.package?.slice(0, 300) ?? null, version: finding.version?.slice(0, 200) ?? null,
          fixed_version: finding.fixed_version?.slice(0, 200) ?? null,
        };
        const row = existing.get(finding.external_id);
        if (row === undefined) {
          inserts.push({
            id: newId(now), tenant_id: tenantId, integration_id: integrationId, system_id: systemId, external_id: finding.external_id, ...fields,
            status: 'open', first_seen: Math.min(finding.detected_at || now, now), last_seen: now, resolved_at: null, created_at: now, updated_at: now,
          });
        } else {
          updates.push({ id: row.id, values: { ...fields, last_seen: now, ...(row.status === 'resolved' ? { status: 'open', resolved_at: null } : {}), updated_at: now } });
        }
      }
      const toResolve = open.filter((row) => !byExternal.has(row.external_id)).map((row) => row.id);
      for await (const batch of chunks(inserts)) await db.insertInto('vulnerabilities').values(batch).execute();
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, values } of batch) await trx.updateTable('vulnerabilities').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
        });
      }
      for await (const batch of chunks(toResolve)) {
        await db.updateTable('vulnerabilities').set({ status: 'resolved', resolved_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', 'in', batch).execute();
        // The feed no longer reports it: a patch in progress has done its job.
        await db.updateTable('patch_jobs').set({ status: 'completed', completed_at: now, updated_at: now })
          .where('tenant_id', '=', tenantId).where('vulnerability_id', 'in', batch).where('status', '=', 'pending').execute();
      }
      return { created: inserts.map((r) => r.id), reopened: updates.filter((u) => u.values.status === 'open').map((u) => u.id), resolved: toResolve };
    },

    async recordJobRun(run: { tenantId: string | null; job: string; subjectId: string | null; status: string; startedAt: number; finishedAt: number; detail: Record<string, unknown> }): Promise<void> {
      await db
        .insertInto('job_runs')
        .values({
          id: newId(run.startedAt), tenant_id: run.tenantId, job: run.job, subject_id: run.subjectId, status: run.status, started_at: run.startedAt,
          finished_at: run.finishedAt, duration_ms: run.finishedAt - run.startedAt, detail: JSON.stringify(run.detail), created_at: run.finishedAt, updated_at: run.finishedAt,
        })
        .execute();
    },

    async updateIntegrationSyncState(tenantId: string, integrationId: string, state: { status: string; error: string | null; consecutiveFailures: number; nextSyncAt: number; at: number }): Promise<void> {
      await db
        .updateTable('integrations')
        .set({
          last_sync_at: state.at,
          last_sync_status: state.status,
          last_error: state.error?.slice(0, 1000) ?? null,
          consecutive_failures: state.consecutiveFailures,
          next_sync_at: state.nextSyncAt,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', integrationId)
        .execute();
    },
  };
}

export type SyncRepo = ReturnType<typeof createSyncRepo>;
