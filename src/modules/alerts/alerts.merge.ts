import type { Kysely } from 'kysely';
import { chunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { AlertRow } from './alerts.tables.ts';
import { newId } from '../../platform/ids.ts';
import { isOpenAlert, OPEN_ALERT_STATUSES, type Severity } from '../security-domain/vocabulary.ts';

/** An alert as a feed reports it. */
export interface NormalizedAlert {
  /** Stable id at the source: the same alert seen twice has the same external_id. */
  external_id: string;
  title: string;
  description: string;
  severity: Severity;
  /** The source's own severity value, as received (for the audit trail and the UI). */
  vendor_severity: string;
  /** What raised it: rule, search, device, agent … (the `source` shown with the alert). */
  source: string;
  /** When the source saw it, epoch ms. */
  time: number;
  /** The asset it concerns, when known (agent name, device serial, host). */
  asset: string | null;
}

/** Where a feed's alerts belong: merged per (tenant, integration), shown under its system. */
export interface AlertFeed {
  integrationId: string;
  systemId: string;
  /**
   * true when the feed reports every alert open at the source, so an open one it no longer
   * reports has cleared and is resolved; false for a feed of events (absence means nothing).
   */
  resolveMissing: boolean;
}

type AlertRef = Pick<AlertRow, 'id' | 'severity' | 'title'>;

/** The alerts a merge changed, for live events. */
export interface AlertChanges {
  created: AlertRef[];
  updated: AlertRef[];
  resolved: AlertRef[];
}

/** The alerts write API for feeds (the integration sync today, telemetry rules later). */
export function createAlertsMerge(db: Kysely<PlatformDatabase>) {
  return {
    /**
     * New alerts are created active; ones seen again get last_seen and (when the source's time
     * moved on) one more occurrence, and reopen if they had been resolved; with `resolveMissing`,
     * open ones the feed no longer reports are resolved.
     */
    async mergeFromFeed(tenantId: string, feed: AlertFeed, alerts: NormalizedAlert[], now: number): Promise<AlertChanges> {
      const { integrationId, systemId } = feed;
      const byExternal = new Map<string, NormalizedAlert>();
      for (const alert of alerts) byExternal.set(alert.external_id, alert);
      const existing = new Map<string, AlertRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const open = feed.resolveMissing
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
        const sourceTime = Math.min(alert.time, now);
        const newOccurrence = sourceTime > row.last_seen;
        const reopen = !isOpenAlert(row.status);
        if (!newOccurrence && !reopen && row.severity === fields.severity && row.title === fields.title) continue;
        updates.push({
          id: row.id,
          values: {
            ...fields,
            last_seen: Math.max(row.last_seen, sourceTime),
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
      const ref = (r: AlertRef) => ({ id: r.id, severity: r.severity, title: r.title });
      return { created: inserts.map(ref), updated: updates.map((u) => ref({ id: u.id, ...u.values })), resolved: toResolve.map(ref) };
    },
  };
}

export type AlertsMerge = ReturnType<typeof createAlertsMerge>;
