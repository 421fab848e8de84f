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
  /**
   * When this occurrence started at the source, epoch ms; null when the source does not say (then
   * only a clear and a new firing is a new occurrence, as the time cannot move on).
   */
  time: number | null;
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

type AlertRef = Pick<AlertRow, 'id' | 'severity' | 'title' | 'status' | 'system_id' | 'last_seen'>;

/** An alert a new occurrence reopened: what it was, and why it is open again. */
export interface ReopenedAlert extends AlertRef {
  previous_status: string;
  /** `time_moved_on`: the vendor reports a later occurrence; `fired_again`: it had cleared at the source and is reported again. */
  reason: 'time_moved_on' | 'fired_again';
}

/** The alerts a merge changed, for live events and the audit log. */
export interface AlertChanges {
  created: AlertRef[];
  updated: AlertRef[];
  reopened: ReopenedAlert[];
  resolved: AlertRef[];
}

export const CLEARED_AT_SOURCE_NOTE = 'Cleared at the source';

/** The alerts write API for feeds (the integration sync today, telemetry rules later). */
export function createAlertsMerge(db: Kysely<PlatformDatabase>) {
  return {
    /**
     * New alerts are created active. One seen again gets last_seen and its changed fields; it has a
     * new occurrence when the source's time moved on, or when it had cleared at the source and is
     * reported again, and only a new occurrence reopens an acknowledged or resolved alert: a
     * resolution sticks while the vendor keeps listing the same occurrence. With `resolveMissing`,
     * ones the feed no longer reports have cleared at the source: open ones are resolved
     * automatically (`resolved_automatically`), resolved ones are only marked cleared.
     */
    /** External ids of the alerts a person resolved that the vendor still reports: what a write-back closes there. */
    async resolvedByPeopleStillReported(tenantId: string, integrationId: string, limit: number): Promise<string[]> {
      const rows = await db.selectFrom('alerts').select('external_id').where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId)
        .where('status', '=', 'resolved').where('resolved_automatically', '=', 0).where('source_active', '=', 1).limit(limit).execute();
      return rows.map((r) => r.external_id);
    },

    /**
     * `onReopened` runs in the transaction of each chunk of updates with the alerts it reopened, so
     * that what records them (the audit entries) commits with them or not at all.
     */
    async mergeFromFeed(tenantId: string, feed: AlertFeed, alerts: NormalizedAlert[], now: number, onReopened?: (reopened: ReopenedAlert[]) => Promise<void>): Promise<AlertChanges> {
      const { integrationId, systemId } = feed;
      const byExternal = new Map<string, NormalizedAlert>();
      for (const alert of alerts) byExternal.set(alert.external_id, alert);
      const existing = new Map<string, AlertRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const stillReported = feed.resolveMissing
        ? await db.selectFrom('alerts').select(['id', 'external_id', 'severity', 'title', 'status', 'system_id', 'last_seen']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('source_active', '=', 1).execute()
        : [];

      const inserts: AlertRow[] = [];
      // `status` is what the alert will show; it is written only by a reopening, and only over the
      // status it was read with (`reopens`): a person's acknowledgement or resolution made while
      // the merge runs is never overwritten with the status read before it.
      const updates: { id: string; status: string; reopens?: string; values: Partial<AlertRow> & Pick<AlertRow, 'severity' | 'title' | 'last_seen'> }[] = [];
      const reopened: ReopenedAlert[] = [];
      for (const alert of byExternal.values()) {
        const row = existing.get(alert.external_id);
        const fields = {
          title: alert.title.slice(0, 500), description: alert.description.slice(0, 10_000), severity: alert.severity, vendor_severity: alert.vendor_severity.slice(0, 64),
          source: alert.source.slice(0, 200), asset: alert.asset?.slice(0, 300) ?? null,
        };
        const sourceTime = alert.time === null ? null : Math.min(alert.time, now);
        if (row === undefined) {
          const seen = sourceTime ?? now;
          inserts.push({
            id: newId(now), tenant_id: tenantId, integration_id: integrationId, system_id: systemId, external_id: alert.external_id, ...fields,
            status: 'active', first_seen: seen, last_seen: seen, occurrences: 1, opened_at: seen, source_active: 1, resolved_automatically: 0,
            acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolved_by: null, resolution_note: null, created_at: now, updated_at: now,
          });
          continue;
        }
        const timeMovedOn = sourceTime !== null && sourceTime > row.last_seen;
        const firedAgain = feed.resolveMissing && row.source_active === 0;
        const newOccurrence = timeMovedOn || firedAgain;
        const reopen = newOccurrence && row.status !== 'active';
        if (!newOccurrence && row.severity === fields.severity && row.title === fields.title) continue;
        const status = reopen ? 'active' : row.status;
        updates.push({
          id: row.id,
          status,
          ...(reopen ? { reopens: row.status } : {}),
          values: {
            ...fields,
            last_seen: Math.max(row.last_seen, sourceTime ?? row.last_seen),
            occurrences: row.occurrences + (newOccurrence ? 1 : 0),
            source_active: 1,
            ...(reopen
              ? { status, opened_at: timeMovedOn ? sourceTime : now, resolved_at: null, resolved_by: null, resolution_note: null, resolved_automatically: 0, acknowledged_at: null, acknowledged_by: null }
              : {}),
            updated_at: now,
          },
        });
        if (reopen) {
          reopened.push({
            id: row.id, severity: fields.severity, title: fields.title, status, system_id: row.system_id, last_seen: Math.max(row.last_seen, sourceTime ?? row.last_seen),
            previous_status: row.status, reason: timeMovedOn ? 'time_moved_on' : 'fired_again',
          });
        }
      }
      const cleared = stillReported.filter((row) => !byExternal.has(row.external_id));
      const toResolve = cleared.filter((row) => isOpenAlert(row.status));
      for await (const batch of chunks(inserts)) await db.insertInto('alerts').values(batch).execute();
      const reopenedById = new Map(reopened.map((alert) => [alert.id, alert]));
      /** Reopenings a person's change overtook (the status moved on since it was read): not made. */
      const overtaken = new Set<string>();
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, reopens, values } of batch) {
            let update = trx.updateTable('alerts').set(values).where('tenant_id', '=', tenantId).where('id', '=', id);
            if (reopens !== undefined) update = update.where('status', '=', reopens);
            const { numUpdatedRows } = await update.executeTakeFirst();
            if (reopens !== undefined && numUpdatedRows === 0n) overtaken.add(id);
          }
          const reopenedHere = batch.flatMap(({ id }) => (overtaken.has(id) ? [] : reopenedById.get(id) ?? []));
          if (onReopened !== undefined && reopenedHere.length > 0) await onReopened(reopenedHere);
        });
      }
      for await (const batch of chunks(toResolve.map((r) => r.id))) {
        await db
          .updateTable('alerts')
          .set({ status: 'resolved', resolved_at: now, resolved_by: null, resolution_note: CLEARED_AT_SOURCE_NOTE, resolved_automatically: 1, updated_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', batch)
          // Still open: a person's resolution made meanwhile keeps its author and note.
          .where('status', 'in', OPEN_ALERT_STATUSES)
          .execute();
      }
      // Cleared, whatever its status: if the vendor reports it again, that is a new occurrence.
      for await (const batch of chunks(cleared.map((r) => r.id))) {
        await db.updateTable('alerts').set({ source_active: 0 }).where('tenant_id', '=', tenantId).where('id', 'in', batch).execute();
      }
      const ref = (r: AlertRef): AlertRef => ({ id: r.id, severity: r.severity, title: r.title, status: r.status, system_id: r.system_id, last_seen: r.last_seen });
      const reopenedIds = new Set(reopened.map((r) => r.id));
      return {
        created: inserts.map(ref),
        updated: updates.filter((u) => !reopenedIds.has(u.id)).map((u) => ref({ id: u.id, system_id: systemId, ...u.values, status: u.status })),
        reopened: reopened.filter((alert) => !overtaken.has(alert.id)),
        resolved: toResolve.map((r) => ref({ ...r, status: 'resolved' })),
      };
    },
  };
}

export type AlertsMerge = ReturnType<typeof createAlertsMerge>;
