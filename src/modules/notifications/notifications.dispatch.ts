/**
 * From alert changes to messages, durably. The scan reads the alerts changed since its cursor (so
 * it sees every writer: the integration sync, the alert rules, people resolving by hand, on any
 * node) and, per matching channel, compares the alert with what the channel was last told. A change
 * to announce moves that state and queues the message in the outbox in one transaction; the state
 * moves only from what this worker read, so several workers announce each change once. The sender
 * takes due messages from the outbox, retries with back-off, and records every attempt.
 */
import { newId } from '../../platform/ids.ts';
import type { SecretStore } from '../../platform/secrets/types.ts';
import { isOpenAlert, SEVERITIES } from '../security-domain/vocabulary.ts';
import { alertPayload, testPayload, type AlertSnapshot, type Payload } from './messages.ts';
import type { NotificationsRepo } from './notifications.repo.ts';
import type { ChannelType, DeliveryEvent } from './notifications.schemas.ts';
import type { NotificationChannelRow, NotificationDeliveryRow } from './notifications.tables.ts';
import { DeliveryError, type Destination, type Senders } from './senders.ts';

/** The scan re-reads this much before its cursor: a writer's transaction may commit after a later one. */
const SCAN_OVERLAP_MS = 60_000;
const SCAN_PAGE = 500;
/** Alerts considered in one transaction: short enough not to hold SQLite's write lock for long. */
const SCAN_BATCH = 100;
const SEND_BATCH = 50;
const SEND_CONCURRENCY = 8;
/** How long a worker may hold a message it is sending before another may take it over. */
const SEND_LEASE_MS = 2 * 60_000;
/** Retries wait 30 s, 1 min, 2 min … (± 10 %), at most an hour; after the last attempt the message has failed. */
/** The delivery log keeps settled messages this long. */
export const DELIVERY_LOG_DAYS = 90;
export const RETRY = { baseMs: 30_000, maxMs: 60 * 60_000, maxAttempts: 8 };

export function retryDelayMs(attempt: number, random = Math.random()): number {
  return Math.round(Math.min(RETRY.baseMs * 2 ** (attempt - 1), RETRY.maxMs) * (0.9 + 0.2 * random));
}

function severityRank(severity: string): number {
  const rank = (SEVERITIES as readonly string[]).indexOf(severity);
  return rank === -1 ? SEVERITIES.length : rank;
}

/** Whether a channel wants to hear about an alert opening: severe enough, and from one of its sources. */
function matches(channel: NotificationChannelRow, alert: AlertSnapshot): boolean {
  if (severityRank(alert.severity) > severityRank(channel.min_severity)) return false;
  if (channel.sources === null) return true;
  const wanted = (JSON.parse(channel.sources) as string[]).map((source) => source.toLowerCase());
  return wanted.includes(alert.source.toLowerCase()) || (alert.integration_type !== null && wanted.includes(alert.integration_type.toLowerCase()));
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

export function createNotificationsDispatch(deps: { repo: NotificationsRepo; secrets: SecretStore; senders: Senders }) {
  const { repo, secrets, senders } = deps;
  /** The change time and status of each alert this worker has fully considered: the overlap re-reads them, and they are skipped. */
  const considered = new Map<string, { updatedAt: number; status: string }>();

  function newDelivery(tenantId: string, channel: { id: string; type: string } | null, event: DeliveryEvent, alertId: string | null, payload: Payload, now: number): NotificationDeliveryRow {
    return {
      id: newId(now), tenant_id: tenantId, channel_id: channel?.id ?? null, channel_type: channel?.type ?? 'email', event, alert_id: alertId,
      payload: JSON.stringify(payload), status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, last_error: null,
      response_status: null, created_at: now, delivered_at: null, updated_at: now,
    };
  }

  /**
   * Queues what each channel must hear about each alert of a batch, if anything (see the module
   * comment), in the caller's transaction; answers how many messages were queued. First messages
   * (the common case, and all of an alert storm) are written in bulk: the states this worker
   * managed to insert say which messages are its to queue.
   */
  async function announce(alerts: AlertSnapshot[], channelsOf: (tenantId: string) => Promise<NotificationChannelRow[]>, now: number): Promise<number> {
    const states = new Map((await repo.alertStates(alerts.map((alert) => alert.id))).map((state) => [`${state.channel_id}/${state.alert_id}`, state]));
    const firsts: { channel: NotificationChannelRow; alert: AlertSnapshot }[] = [];
    const messages: { channel: NotificationChannelRow; alert: AlertSnapshot; event: DeliveryEvent }[] = [];
    for (const alert of alerts) {
      const open = isOpenAlert(alert.status);
      const to = { notified_status: open ? 'open' : 'resolved', notified_at: now };
      for (const channel of await channelsOf(alert.tenant_id)) {
        const state = states.get(`${channel.id}/${alert.id}`);
        if (state === undefined) {
          if (open && matches(channel, alert)) firsts.push({ channel, alert });
          continue;
        }
        if (state.notified_status === to.notified_status) continue;
        // The resolution of an alert the channel was told about is always news; a re-opening only once the quiet time since the last message is up.
        if (open && (!matches(channel, alert) || now - Number(state.notified_at) < channel.quiet_minutes * 60_000)) continue;
        if (await repo.advanceAlertState(channel.id, alert.id, { notified_status: state.notified_status, notified_at: Number(state.notified_at) }, to)) {
          messages.push({ channel, alert, event: open ? 'alert.reopened' : 'alert.resolved' });
        }
      }
    }
    const won = new Set(await repo.insertAlertStates(firsts.map(({ channel, alert }) => ({ channel_id: channel.id, alert_id: alert.id, tenant_id: alert.tenant_id, notified_status: 'open', notified_at: now }))));
    for (const { channel, alert } of firsts) if (won.has(`${channel.id}/${alert.id}`)) messages.push({ channel, alert, event: 'alert.opened' });
    if (messages.length === 0) return 0;
    // Written in each tenant's language: looked up only when there is something to say.
    const languages = await repo.tenantLanguages([...new Set(messages.map(({ alert }) => alert.tenant_id))]);
    await repo.insertDeliveries(messages.map(({ channel, alert, event }) =>
      newDelivery(alert.tenant_id, channel, event, alert.id, alertPayload(channel.type as ChannelType, event, alert, now, languages.get(alert.tenant_id)), now)));
    return messages.length;
  }

  async function destinationFor(row: NotificationDeliveryRow): Promise<Destination> {
    if (row.channel_id === null) return { type: 'email' };
    const channel = await repo.findChannel(row.tenant_id, row.channel_id);
    if (channel === undefined) throw new DeliveryError('The channel was deleted', true);
    const secret = channel.secret_ref === null ? {} : ((await secrets.get(channel.secret_ref)) as Record<string, string>);
    return { type: channel.type as ChannelType, ...(JSON.parse(channel.config) as Omit<Destination, 'type'>), ...secret };
  }

  /** One attempt at a claimed message; the row is updated with the outcome. */
  async function attempt(row: NotificationDeliveryRow, attemptNo: number, now: number, retries: boolean): Promise<NotificationDeliveryRow> {
    let outcome: Partial<NotificationDeliveryRow>;
    try {
      const status = await senders.send(await destinationFor(row), JSON.parse(row.payload) as Payload, { 'x-sentinel-delivery': row.id, 'x-sentinel-event': row.event });
      outcome = { status: 'delivered', delivered_at: Date.now(), response_status: status, last_error: null };
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(error instanceof Error ? error.message : String(error), false);
      const retry = retries && !failure.permanent && attemptNo < RETRY.maxAttempts;
      outcome = retry
        ? { status: 'pending', next_attempt_at: now + retryDelayMs(attemptNo), last_error: failure.message, response_status: failure.status }
        : { status: 'failed', last_error: failure.message, response_status: failure.status };
    }
    const changes = { ...outcome, locked_until: null, updated_at: Date.now() };
    await repo.finishDelivery(row.id, changes);
    return { ...row, attempts: attemptNo, ...changes };
  }

  return {
    /** Queues the messages the alert changes since the last scan call for; answers how many. */
    async scan(now = Date.now()): Promise<number> {
      const cursor = await repo.scanCursor();
      const channels = new Map<string, Promise<NotificationChannelRow[]>>();
      const channelsOf = (tenantId: string) => {
        let found = channels.get(tenantId);
        if (found === undefined) channels.set(tenantId, (found = repo.enabledChannels(tenantId)));
        return found;
      };
      let queued = 0;
      let seen = cursor;
      let after: { updatedAt: number; id: string } | undefined;
      const since = cursor - SCAN_OVERLAP_MS;
      for (const [id, { updatedAt }] of considered) if (updatedAt < since) considered.delete(id);
      for (;;) {
        const page = await repo.changedAlerts(since, after, SCAN_PAGE);
        const fresh = page.filter((alert) => {
          const before = considered.get(alert.id);
          return before?.updatedAt !== Number(alert.updated_at) || before.status !== alert.status;
        });
        // One transaction (one commit) per batch of alerts rather than per message: an alert storm is queued in seconds.
        for (let i = 0; i < fresh.length; i += SCAN_BATCH) {
          const batch = fresh.slice(i, i + SCAN_BATCH);
          queued += await repo.transaction(() => announce(batch, channelsOf, now));
          for (const alert of batch) considered.set(alert.id, { updatedAt: Number(alert.updated_at), status: alert.status });
        }
        const last = page.at(-1);
        if (last === undefined) break;
        seen = Math.max(seen, Number(last.updated_at));
        after = { updatedAt: Number(last.updated_at), id: last.id };
        if (page.length < SCAN_PAGE) break;
      }
      const held = await repo.alertSnapshots((await repo.heldReopens(now, SCAN_PAGE)).map((row) => row.alert_id));
      if (held.length > 0) queued += await repo.transaction(() => announce(held, channelsOf, now));
      await repo.advanceScanCursor(Math.min(seen, now));
      return queued;
    },

    /** Sends the messages that are due; answers how many were attempted. */
    async deliverDue(now = Date.now()): Promise<number> {
      const due = await repo.dueDeliveries(now, SEND_BATCH);
      let attempted = 0;
      await inParallel(due, SEND_CONCURRENCY, async (row) => {
        if (!(await repo.claimDelivery(row, now, SEND_LEASE_MS))) return;
        attempted++;
        await attempt(row, row.attempts + 1, now, true);
      });
      return attempted;
    },

    /** Forgets delivered and failed messages older than the log keeps them. */
    prune: (now = Date.now()) => repo.pruneDeliveries(now - DELIVERY_LOG_DAYS * 86_400_000),

    /** Sends a channel's test message now (one attempt, no retry) and logs it. */
    async sendTest(channel: NotificationChannelRow): Promise<NotificationDeliveryRow> {
      const now = Date.now();
      const language = (await repo.tenantLanguages([channel.tenant_id])).get(channel.tenant_id);
      const payload = testPayload(channel.type as ChannelType, channel.tenant_id, channel.name, now, language);
      const row = { ...newDelivery(channel.tenant_id, channel, 'channel.test', null, payload, now), status: 'sending', attempts: 1, locked_until: now + SEND_LEASE_MS };
      await repo.insertDelivery(row);
      return attempt(row, 1, now, false);
    },

    /** Queues an e-mail to people (not a channel); joins the caller's transaction. */
    async queueEmail(tenantId: string, event: DeliveryEvent, email: NonNullable<Extract<Payload, { email: unknown }>['email']>, now = Date.now()): Promise<void> {
      await repo.insertDelivery(newDelivery(tenantId, null, event, null, { email }, now));
    },
  };
}

export type NotificationsDispatch = ReturnType<typeof createNotificationsDispatch>;
