import type { Principal } from '../../platform/auth/principal.ts';
import type { RequestAuditEntry } from '../../platform/audit-sink.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { say, type Language } from '../../platform/languages.ts';
import { decodeTimeCursor, timeCursorOf, toPage } from '../../platform/http/pagination.ts';
import { toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import type { AlertDetailRow, AlertFilter, AlertsRepo } from './alerts.repo.ts';
import type { AlertTicketInput, AlertView, BulkInput, BulkResultView, ListAlertsInput, SkipReason } from './alerts.schemas.ts';
import { MAX_BULK } from './alerts.schemas.ts';
import { nameIn, OPEN_ALERT_STATUSES, type AlertStatus, type Severity } from '../security-domain/vocabulary.ts';

const TICKET_PRIORITY: Record<Severity, 'critical' | 'high' | 'medium' | 'low'> = { critical: 'critical', high: 'high', medium: 'medium', low: 'low', info: 'low' };

export function alertView(row: AlertDetailRow): AlertView {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity as Severity,
    vendor_severity: row.vendor_severity,
    source: row.source,
    asset: row.asset,
    system_id: row.system_id,
    system_name: row.system_name,
    integration_id: row.integration_id,
    status: row.status as AlertStatus,
    first_seen: toIso(row.first_seen),
    last_seen: toIso(row.last_seen),
    occurrences: row.occurrences,
    acknowledged_at: toIsoOrNull(row.acknowledged_at),
    acknowledged_by: row.acknowledged_by,
    acknowledged_by_username: row.acknowledged_by_username,
    resolved_at: toIsoOrNull(row.resolved_at),
    resolved_by: row.resolved_by,
    resolved_by_username: row.resolved_by_username,
    resolution_note: row.resolution_note,
    ticket_id: row.ticket_id,
    updated_at: toIso(row.updated_at),
  };
}

/** What a live client hears about an alert: the same field names as the alert itself. */
type AlertEventFields = Pick<AlertDetailRow, 'id' | 'title' | 'severity' | 'status' | 'system_id' | 'last_seen'>;

export function alertEvent(type: 'alert.created' | 'alert.updated' | 'alert.resolved', tenantId: string, alert: AlertEventFields): LiveEvent {
  return { type, tenant_id: tenantId, id: alert.id, title: alert.title, severity: alert.severity, status: alert.status, system_id: alert.system_id, last_seen: toIso(alert.last_seen) };
}

type Filterable = Pick<ListAlertsInput, 'severity' | 'source' | 'system_id' | 'q' | 'since' | 'from' | 'to'>;

function filterOf(input: Filterable, statuses: readonly string[] | undefined): AlertFilter {
  const fromMs = input.from === undefined ? undefined : Date.parse(input.from);
  const toMs = input.to === undefined ? undefined : Date.parse(input.to);
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw badRequest(say('from must not be after to', 'from no debe ser posterior a to'), [{ field: 'from', message: 'is after to', code: 'not_after', params: { other: 'to' } }]);
  return {
    ...(statuses !== undefined ? { statuses } : {}),
    ...(input.severity !== undefined ? { severities: input.severity } : {}),
    ...(input.source !== undefined ? { source: input.source } : {}),
    ...(input.system_id !== undefined ? { systemIds: input.system_id } : {}),
    ...(input.q !== undefined ? { q: input.q } : {}),
    ...(input.since !== undefined ? { changedAfterMs: Date.parse(input.since) } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
  };
}

/** The resolution note, under its name or its deprecated one (not both, unless they agree). */
function noteOf(body: { resolution_note?: string | undefined; note?: string | undefined }): string | undefined {
  if (body.note !== undefined && body.resolution_note !== undefined && body.note !== body.resolution_note) {
    throw badRequest(say('Send the note once, as resolution_note', 'Envíe la nota una sola vez, como resolution_note'), [{ field: 'note', message: 'is the deprecated name of resolution_note; send only resolution_note', code: 'deprecated', params: { replacement: 'resolution_note' } }]);
  }
  return body.resolution_note ?? body.note;
}

const pageCursor = (row: AlertDetailRow) => timeCursorOf(row.last_seen, row.id);

/** Which alerts each triage action applies to, and what it makes of them. */
const ACTIONS = {
  acknowledge: {
    from: ['active'] as readonly AlertStatus[],
    to: 'acknowledged' as const,
    changes: (now: number, by: string | null) => ({ status: 'acknowledged', acknowledged_at: now, acknowledged_by: by, updated_at: now }),
    event: 'alert.updated' as const,
  },
  resolve: {
    from: OPEN_ALERT_STATUSES,
    to: 'resolved' as const,
    changes: (now: number, by: string | null, note: string | undefined) => ({ status: 'resolved', resolved_at: now, resolved_by: by, resolution_note: note ?? null, updated_at: now }),
    event: 'alert.resolved' as const,
  },
};
type Action = keyof typeof ACTIONS;

const skipDetail = (status: string) => say(`The alert is already ${status}`, `La alerta ya está ${nameIn('es', status)}`);

/** A resolution can change its system's status (open alerts count towards it): the systems module brings it up to date. */
type RefreshSystemStatus = (tenantId: string, systemIds: string[]) => Promise<void>;

export function createAlertsService(repo: AlertsRepo, tickets: TicketsService, publish: (event: LiveEvent) => void, refreshSystemStatus: RefreshSystemStatus) {
  async function get(tenantId: string, id: string): Promise<AlertDetailRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Alert not found', 'No se ha encontrado la alerta'));
    return row;
  }

  /** The acting user, when it is a user of the tenant (a SUPER_ADMIN is named in the audit log). */
  const actor = (principal: Principal) => (principal.tenantId === null ? null : principal.userId);

  async function listPage(tenantId: string, input: ListAlertsInput, statuses: readonly string[] | undefined) {
    const limit = input.limit ?? 50;
    const rows = await repo.list(tenantId, filterOf(input, statuses), decodeTimeCursor(input.cursor), limit);
    return toPage(rows, limit, alertView, pageCursor);
  }

  /**
   * Puts `ids` through `action` where it applies (each changed one gets its live event); the
   * others are returned with their status, or without one when the tenant has no such alert.
   */
  async function apply(tenantId: string, principal: Principal, action: Action, ids: readonly string[], note: string | undefined) {
    const rule = ACTIONS[action];
    const changed = await repo.transition(tenantId, ids, rule.from, rule.changes(Date.now(), actor(principal), note));
    for (const alert of changed) publish(alertEvent(rule.event, tenantId, alert));
    if (action === 'resolve') await refreshSystemStatus(tenantId, [...new Set(changed.flatMap((alert) => (alert.system_id === null ? [] : [alert.system_id])))]);
    const changedIds = new Set(changed.map((alert) => alert.id));
    const rest = ids.filter((id) => !changedIds.has(id));
    const statuses = new Map(rest.length === 0 ? [] : (await repo.statuses(tenantId, rest)).map((row) => [row.id, row.status]));
    return { changedIds, unchanged: rest.map((id) => ({ id, status: statuses.get(id) })) };
  }

  /** A single alert's action: the alert afterwards, 404 or 409. */
  async function applyOne(tenantId: string, principal: Principal, action: Action, id: string, note: string | undefined) {
    const { unchanged } = await apply(tenantId, principal, action, [id], note);
    const status = unchanged[0]?.status;
    if (unchanged.length > 0) throw status === undefined ? notFound(say('Alert not found', 'No se ha encontrado la alerta')) : conflict(skipDetail(status));
    return alertView(await get(tenantId, id));
  }

  return {
    get: async (tenantId: string, id: string) => alertView(await get(tenantId, id)),

    listActive: (tenantId: string, input: ListAlertsInput) => listPage(tenantId, input, input.status ?? OPEN_ALERT_STATUSES),

    list: (tenantId: string, input: ListAlertsInput) => listPage(tenantId, input, input.status),

    acknowledge: (tenantId: string, principal: Principal, id: string) => applyOne(tenantId, principal, 'acknowledge', id, undefined),

    resolve: (tenantId: string, principal: Principal, id: string, body: { resolution_note?: string; note?: string }) => applyOne(tenantId, principal, 'resolve', id, noteOf(body)),

    /**
     * Acknowledges or resolves many alerts: the listed ones, or those matching a filter that the
     * action applies to (at most MAX_BULK, newest first). Each is changed, with its own audit entry
     * and live event, or reported as skipped with the reason.
     */
    async bulk(tenantId: string, principal: Principal, input: BulkInput, audit: (entries: RequestAuditEntry[]) => Promise<void>, language: Language = 'en'): Promise<BulkResultView> {
      if ((input.ids === undefined) === (input.filter === undefined)) {
        throw badRequest(say('Send either ids or filter', 'Envíe o bien ids o bien filter'), [{ field: input.ids === undefined ? 'body' : 'filter', message: 'exactly one of ids and filter is required', code: 'exactly_one', params: { fields: 'ids, filter' } }]);
      }
      const note = noteOf(input);
      const rule = ACTIONS[input.action];
      let candidates: readonly string[];
      let hasMore = false;
      if (input.ids !== undefined) {
        candidates = input.ids;
      } else {
        // Only alerts the action can change: sending the same request again goes on with the rest.
        const statuses = (input.filter!.status ?? rule.from).filter((status) => rule.from.includes(status));
        const matched = statuses.length === 0 ? [] : await repo.matchingIds(tenantId, filterOf(input.filter!, statuses), MAX_BULK + 1);
        hasMore = matched.length > MAX_BULK;
        candidates = matched.slice(0, MAX_BULK);
      }
      const { changedIds, unchanged } = candidates.length === 0 ? { changedIds: new Set<string>(), unchanged: [] } : await apply(tenantId, principal, input.action, candidates, note);
      const changed = candidates.filter((id) => changedIds.has(id)).map((id) => ({ id, status: rule.to }));
      const detail = { bulk: true, ...(note !== undefined ? { note } : {}) };
      await audit(changed.map(({ id }) => ({ action: `alert.${input.action}`, outcome: 'success', tenantId, resourceType: 'alert', resourceId: id, detail })));
      const skipped = unchanged.map(({ id, status }) => status === undefined
        ? { id, reason: 'not_found' as const, detail: say('No such alert in this tenant', 'Este cliente no tiene esa alerta')[language] }
        : { id, reason: `already_${status}` as SkipReason, detail: skipDetail(status)[language] });
      return { action: input.action, changed, skipped, has_more: hasMore };
    },

    /**
     * The alert's ticket: its open one if it has one (`created: false`), else a new one linked to
     * it. Requests for the same alert run one after the other, so two never open two tickets.
     */
    async openTicket(tenantId: string, principal: Principal, id: string, input: AlertTicketInput) {
      if (!(await repo.lock(tenantId, id))) throw notFound(say('Alert not found', 'No se ha encontrado la alerta'));
      const existing = await tickets.openTicketOfAlert(tenantId, id);
      if (existing !== undefined) return { ticket: existing, created: false };
      const alert = await get(tenantId, id);
      const description = [alert.description, `Source: ${alert.source}`, alert.system_name ? `System: ${alert.system_name}` : undefined, alert.asset ? `Asset: ${alert.asset}` : undefined, `Alert: ${alert.id}`]
        .filter(Boolean).join('\n\n');
      const ticket = await tickets.create(tenantId, principal, {
        title: input.title ?? `[${alert.severity}] ${alert.title}`.slice(0, 200),
        description: input.description ?? description.slice(0, 20_000),
        priority: input.priority ?? TICKET_PRIORITY[alert.severity as Severity],
        ...(input.assignee_id !== undefined ? { assignee_id: input.assignee_id } : {}),
        alert_id: alert.id,
      });
      // Clients polling with `since` learn of its new ticket_id.
      await repo.touch(tenantId, id, Date.now());
      return { ticket, created: true };
    },
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
