import type { Kysely } from 'kysely';
import { chunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { SystemRow } from './systems.tables.ts';
import { newId } from '../../platform/ids.ts';
import type { AssetStatus, SystemStatus } from '../security-domain/vocabulary.ts';
import { asSystemStatus, createSystemStatusReads, decideStatus, type StatusSetBy } from './system-status.ts';

/** An asset as a feed reports it. */
export interface NormalizedAsset {
  /** Stable id at the source (agent id, device serial, target URL …). */
  external_id: string;
  name: string;
  /** agent, device, host, target, firewall, datasource … */
  kind: string;
  status: AssetStatus;
  detail?: Record<string, unknown>;
}

/** What one look at a system found: its own health, and whether it answered at all. */
export interface SystemObservation {
  /** The vendor's health (`alert` when it could not be reached). */
  status: SystemStatus;
  summary: string;
  /** The vendor's own process uptime, seconds, when it says. */
  uptimeSeconds: number | null;
  /** Mean latency of Sentinel's calls to the vendor API in this sync, ms. */
  apiLatencyMs: number | null;
  /** false when it could not be reached: uptime, latency and last_seen keep their values. */
  reachable: boolean;
}

/** A system whose status a refresh changed, for `system.status_changed`. */
export interface SystemStatusChange {
  id: string;
  status: SystemStatus;
  previous: SystemStatus;
  set_by: StatusSetBy;
}

/** Asset detail keys as the API spells fields: vendor camelCase (`lastReportedAt`) becomes `last_reported_at`, nested too. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [
    key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').replace(/[\s-]+/g, '_').toLowerCase(),
    snakeCaseKeys(item),
  ]));
}

/**
 * The systems write API for feeds (the integration sync): the system an integration stands for,
 * its status, and its assets.
 */
export function createSystemsMerge(db: Kysely<PlatformDatabase>) {
  const reads = createSystemStatusReads(db);
  return {
    /** The integration's system, created on its first sync; renamed with the integration. */
    async ensureForIntegration(tenantId: string, integrationId: string, name: string, type: string, now: number): Promise<SystemRow> {
      const existing = await db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.name !== name) await db.updateTable('systems').set({ name, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', existing.id).execute();
        return { ...existing, name };
      }
      const row: SystemRow = {
        id: newId(now), tenant_id: tenantId, integration_id: integrationId, name, type, status: 'online', vendor_status: null, status_set_by: null, status_summary: null,
        uptime_seconds: null, response_time_avg_ms: null, last_seen: null, created_at: now, updated_at: now,
      };
      // Two syncs racing for a new integration: the unique (tenant, integration) keeps one row.
      await db.insertInto('systems').values(row).onConflict((oc) => oc.columns(['tenant_id', 'integration_id']).doNothing()).execute();
      return (await db.selectFrom('systems').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirstOrThrow());
    },

    /**
     * Records the vendor's health and metrics, and one availability sample: up when it was reached
     * and its health is not `alert`. The system's status follows at `refreshStatus`.
     */
    async recordStatus(tenantId: string, systemId: string, observed: SystemObservation, now: number): Promise<void> {
      await db
        .updateTable('systems')
        .set({
          vendor_status: observed.status,
          status_summary: observed.summary.slice(0, 500),
          ...(observed.reachable ? { uptime_seconds: observed.uptimeSeconds, response_time_avg_ms: observed.apiLatencyMs, last_seen: now } : {}),
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', systemId)
        .execute();
      const up = observed.reachable && observed.status !== 'alert' ? 1 : 0;
      // A new period ends where the one before it does (both at its first sample): the later start, then the later id, breaks the tie.
      const latest = await db.selectFrom('system_availability').select(['id', 'up', 'ended_at']).where('tenant_id', '=', tenantId).where('system_id', '=', systemId)
        .orderBy('ended_at', 'desc').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
      const at = Math.max(now, latest?.ended_at ?? now);
      // The previous state held until this sample; a change starts a new period here.
      if (latest !== undefined) await db.updateTable('system_availability').set({ ended_at: at }).where('tenant_id', '=', tenantId).where('id', '=', latest.id).execute();
      if (latest === undefined || latest.up !== up) {
        await db.insertInto('system_availability').values({ id: newId(now), tenant_id: tenantId, system_id: systemId, up, started_at: at, ended_at: at }).execute();
      }
    },

    /**
     * Sets each system's status to the worse of its vendor's health and what its open alerts call
     * for (the tenant's rules), after anything that may change either; returns the changes.
     */
    async refreshStatus(tenantId: string, systemIds: string[] | undefined, now: number): Promise<SystemStatusChange[]> {
      let query = db.selectFrom('systems').select(['id', 'status', 'vendor_status', 'status_set_by']).where('tenant_id', '=', tenantId);
      if (systemIds !== undefined) {
        if (systemIds.length === 0) return [];
        query = query.where('id', 'in', systemIds);
      }
      const rows = await query.execute();
      const [settings, counts] = await Promise.all([reads.settings(tenantId), reads.openAlertCounts(tenantId, rows.map((r) => r.id))]);
      const changes: SystemStatusChange[] = [];
      for (const row of rows) {
        const decision = decideStatus(asSystemStatus(row.vendor_status ?? row.status), counts.get(row.id)!, settings);
        if (decision.status === row.status && decision.set_by === row.status_set_by) continue;
        await db.updateTable('systems').set({ status: decision.status, status_set_by: decision.set_by, vendor_status: row.vendor_status ?? row.status, updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', row.id).execute();
        if (decision.status !== row.status) changes.push({ id: row.id, status: decision.status, previous: asSystemStatus(row.status), set_by: decision.set_by });
      }
      return changes;
    },

    /** Assets become exactly what the feed reported: new ones added, changed ones updated, gone ones removed. */
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
        const values = { name: asset.name.slice(0, 300), kind: asset.kind, status: asset.status, detail: asset.detail ? JSON.stringify(snakeCaseKeys(asset.detail)) : null, last_seen: now, updated_at: now };
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
  };
}

export type SystemsMerge = ReturnType<typeof createSystemsMerge>;
