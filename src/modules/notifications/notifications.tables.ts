import type { Selectable } from 'kysely';

/** The notifications module's tables (conventions in src/platform/db/schema.ts). */
export interface NotificationChannelsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** email, webhook, slack or teams. */
  type: string;
  /** JSON of the type's non-secret settings (recipients, URL of a generic webhook …). */
  config: string;
  /** The secret store's reference to the type's secret settings (webhook secret, Slack/Teams URL, SMTP URL), or null. */
  secret_ref: string | null;
  /** JSON array of the secret settings that are set (their names only). */
  secret_fields: string;
  min_severity: string;
  /** JSON array of alert sources or integration types this channel is limited to; null = every source. */
  sources: string | null;
  /** A re-opened alert is announced again only this long after the last message about it. */
  quiet_minutes: number;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** Per channel and alert, what the channel was last told, so each change is announced once. */
export interface NotificationAlertStateTable {
  channel_id: string;
  alert_id: string;
  tenant_id: string;
  /** open or resolved. */
  notified_status: string;
  notified_at: number;
}

/**
 * The outbox and the delivery log in one: a row is written in the same transaction as the change
 * it announces and is sent (and retried) by the background job, so nothing is lost on a restart.
 */
export interface NotificationDeliveriesTable {
  id: string;
  tenant_id: string;
  /** null for messages to users (daily reports). */
  channel_id: string | null;
  channel_type: string;
  /** alert.opened, alert.reopened, alert.resolved, channel.test, report.daily. */
  event: string;
  alert_id: string | null;
  /** JSON: the message as rendered when it was queued. */
  payload: string;
  /** pending, sending, delivered or failed (for good). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  /** While `sending`, another worker may take the row over after this instant. */
  locked_until: number | null;
  last_error: string | null;
  response_status: number | null;
  created_at: number;
  delivered_at: number | null;
  updated_at: number;
}

/** Where the scan of changed alerts has got to (one row). */
export interface NotificationScanTable {
  id: string;
  cursor: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    notification_channels: NotificationChannelsTable;
    notification_alert_state: NotificationAlertStateTable;
    notification_deliveries: NotificationDeliveriesTable;
    notification_scan: NotificationScanTable;
  }
}

export type NotificationChannelRow = Selectable<NotificationChannelsTable>;
export type NotificationDeliveryRow = Selectable<NotificationDeliveriesTable>;
