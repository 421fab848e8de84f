import type { Kysely, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { isLanguage, type Language } from '../../platform/languages.ts';
import { OPEN_ALERT_STATUSES } from '../security-domain/vocabulary.ts';
import type { AlertSnapshot } from './messages.ts';
import type { NotificationChannelRow, NotificationChannelsTable, NotificationDeliveriesTable, NotificationDeliveryRow } from './notifications.tables.ts';

export interface DeliveryFilter {
  channelId?: string;
  alertId?: string;
  status?: string;
  event?: string;
  beforeId?: string;
  limit: number;
}

/** Rows per multi-row insert: well inside every dialect's limit on bound parameters. */
const INSERT_CHUNK = 500;

/** Tenant-owned queries take the tenant id first; the background scan and sender work across tenants. */
export function createNotificationsRepo(db: Kysely<PlatformDatabase>) {
  const alertSnapshots = () =>
    db
      .selectFrom('alerts')
      .leftJoin('integrations', (join) => join.onRef('integrations.id', '=', 'alerts.integration_id').onRef('integrations.tenant_id', '=', 'alerts.tenant_id'))
      .select([
        'alerts.id', 'alerts.tenant_id', 'alerts.title', 'alerts.description', 'alerts.severity', 'alerts.status', 'alerts.source', 'alerts.asset',
        'integrations.type as integration_type', 'alerts.first_seen', 'alerts.last_seen', 'alerts.occurrences', 'alerts.resolved_at', 'alerts.updated_at',
      ]);

  return {
    transaction: <T>(work: () => Promise<T>) => db.transaction().execute(() => work()),

    findChannel: (tenantId: string, id: string) =>
      db.selectFrom('notification_channels').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    listChannels(tenantId: string, filter: { type?: string; beforeId?: string; limit: number }) {
      let query = db.selectFrom('notification_channels').selectAll().where('tenant_id', '=', tenantId);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    enabledChannels: (tenantId: string) =>
      db.selectFrom('notification_channels').selectAll().where('tenant_id', '=', tenantId).where('enabled', '=', 1).execute(),

    async insertChannel(row: NotificationChannelRow): Promise<void> {
      await db.insertInto('notification_channels').values(row).execute();
    },

    async updateChannel(tenantId: string, id: string, changes: Updateable<NotificationChannelsTable>): Promise<void> {
      await db.updateTable('notification_channels').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    async deleteChannel(tenantId: string, id: string): Promise<void> {
      await db.deleteFrom('notification_channels').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    async insertDelivery(row: NotificationDeliveryRow): Promise<void> {
      await db.insertInto('notification_deliveries').values(row).execute();
    },

    listDeliveries(tenantId: string, filter: DeliveryFilter) {
      let query = db.selectFrom('notification_deliveries').selectAll().where('tenant_id', '=', tenantId);
      if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
      if (filter.alertId !== undefined) query = query.where('alert_id', '=', filter.alertId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.event !== undefined) query = query.where('event', '=', filter.event);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    /** Deliveries due now: pending ones whose time has come, and sending ones whose worker let the lease lapse. */
    dueDeliveries: (now: number, limit: number) =>
      db
        .selectFrom('notification_deliveries')
        .selectAll()
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('status', '=', 'sending'), eb('locked_until', '<', now)]),
        ]))
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute(),

    /** Takes a delivery for this worker; false when another one took it first. */
    async claimDelivery(row: NotificationDeliveryRow, now: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('notification_deliveries')
        .set({ status: 'sending', locked_until: now + leaseMs, attempts: row.attempts + 1, updated_at: now })
        .where('id', '=', row.id)
        .where('status', '=', row.status)
        .where('attempts', '=', row.attempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Deletes settled deliveries created before `before`; answers how many. */
    async pruneDeliveries(before: number): Promise<number> {
      const result = await db.deleteFrom('notification_deliveries').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async finishDelivery(id: string, changes: Updateable<NotificationDeliveriesTable>): Promise<void> {
      await db.updateTable('notification_deliveries').set(changes).where('id', '=', id).where('status', '=', 'sending').execute();
    },

    async scanCursor(): Promise<number> {
      const row = await db.selectFrom('notification_scan').select('cursor').where('id', '=', 'alerts').executeTakeFirst();
      return row === undefined ? 0 : Number(row.cursor);
    },

    async advanceScanCursor(to: number): Promise<void> {
      await db.updateTable('notification_scan').set({ cursor: to }).where('id', '=', 'alerts').where('cursor', '<', to).execute();
    },

    /** Alerts changed at or after `since`, oldest change first, after the (updated_at, id) key of the previous page. */
    changedAlerts: (since: number, after: { updatedAt: number; id: string } | undefined, limit: number): Promise<(AlertSnapshot & { updated_at: number })[]> => {
      // Only tenants with a channel to tell.
      let query = alertSnapshots()
        .where('alerts.updated_at', '>=', since)
        .where('alerts.tenant_id', 'in', db.selectFrom('notification_channels').select('tenant_id').where('enabled', '=', 1));
      if (after !== undefined) {
        query = query.where((eb) => eb.or([eb('alerts.updated_at', '>', after.updatedAt), eb.and([eb('alerts.updated_at', '=', after.updatedAt), eb('alerts.id', '>', after.id)])]));
      }
      return query.orderBy('alerts.updated_at').orderBy('alerts.id').limit(limit).execute();
    },

    /** Open alerts whose re-opening a channel held back, with the channels whose quiet time is up. */
    heldReopens: (now: number, limit: number) =>
      db
        .selectFrom('notification_alert_state as s')
        .innerJoin('notification_channels as c', 'c.id', 's.channel_id')
        .innerJoin('alerts as a', (join) => join.onRef('a.id', '=', 's.alert_id').onRef('a.tenant_id', '=', 's.tenant_id'))
        .select('s.alert_id')
        .where('s.notified_status', '=', 'resolved')
        .where('a.status', 'in', OPEN_ALERT_STATUSES)
        .where((eb) => eb(eb('s.notified_at', '+', eb('c.quiet_minutes', '*', 60_000)), '<=', now))
        .distinct()
        .limit(limit)
        .execute(),

    alertSnapshots: async (alertIds: string[]): Promise<AlertSnapshot[]> =>
      alertIds.length === 0 ? [] : alertSnapshots().where('alerts.id', 'in', alertIds).execute(),

    /** Each tenant's language setting, for the messages people read (English when unset). */
    async tenantLanguages(tenantIds: string[]): Promise<Map<string, Language>> {
      const rows = tenantIds.length === 0 ? [] : await db.selectFrom('tenants').select(['id', 'config']).where('id', 'in', tenantIds).execute();
      return new Map(rows.map((row) => {
        const { language } = JSON.parse(row.config) as { language?: unknown };
        return [row.id, isLanguage(language) ? language : 'en'];
      }));
    },

    alertStates: async (alertIds: string[]) =>
      alertIds.length === 0 ? [] : db.selectFrom('notification_alert_state').selectAll().where('alert_id', 'in', alertIds).execute(),

    /** Records first messages about alerts; answers `<channel_id>/<alert_id>` of those this worker recorded (not another first). */
    async insertAlertStates(rows: { channel_id: string; alert_id: string; tenant_id: string; notified_status: string; notified_at: number }[]): Promise<string[]> {
      // One row per statement: its inserted-row count says whether this worker recorded it (no RETURNING on MySQL).
      const won: string[] = [];
      for (const row of rows) {
        const inserted = await db.insertInto('notification_alert_state').values(row).onConflict((oc) => oc.columns(['channel_id', 'alert_id']).doNothing()).executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows) === 1) won.push(`${row.channel_id}/${row.alert_id}`);
      }
      return won;
    },

    async insertDeliveries(rows: NotificationDeliveryRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db.insertInto('notification_deliveries').values(rows.slice(i, i + INSERT_CHUNK)).execute();
    },

    /** Moves the state on from what this worker read; false when another worker moved it first. */
    async advanceAlertState(channelId: string, alertId: string, from: { notified_status: string; notified_at: number }, to: { notified_status: string; notified_at: number }): Promise<boolean> {
      const result = await db
        .updateTable('notification_alert_state')
        .set(to)
        .where('channel_id', '=', channelId)
        .where('alert_id', '=', alertId)
        .where('notified_status', '=', from.notified_status)
        .where('notified_at', '=', from.notified_at)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type NotificationsRepo = ReturnType<typeof createNotificationsRepo>;
