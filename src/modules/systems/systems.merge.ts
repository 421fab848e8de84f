import type { Kysely } from 'kysely';
import { chunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { SystemRow } from './systems.tables.ts';
import { newId } from '../../platform/ids.ts';
import type { AssetStatus, SystemStatus } from '../security-domain/vocabulary.ts';

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

/** What one look at a system found: its status, and whether it answered at all. */
export interface SystemObservation {
  status: SystemStatus;
  summary: string;
  uptime: number | null;
  responseTimeAvg: number | null;
  /** false when it could not be reached: uptime, response time and last_seen keep their values. */
  reachable: boolean;
}

/**
 * The systems write API for feeds (the integration sync): the system an integration stands for,
 * its status, and its assets.
 */
export function createSystemsMerge(db: Kysely<PlatformDatabase>) {
  return {
    /** The integration's system, created on its first sync; renamed with the integration. */
    async ensureForIntegration(tenantId: string, integrationId: string, name: string, type: string, now: number): Promise<SystemRow> {
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

    async recordStatus(tenantId: string, systemId: string, observed: SystemObservation, now: number): Promise<void> {
      await db
        .updateTable('systems')
        .set({
          status: observed.status,
          status_summary: observed.summary.slice(0, 500),
          ...(observed.reachable ? { uptime_seconds: observed.uptime, response_time_avg_ms: observed.responseTimeAvg, last_seen: now } : {}),
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', systemId)
        .execute();
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
  };
}

export type SystemsMerge = ReturnType<typeof createSystemsMerge>;
