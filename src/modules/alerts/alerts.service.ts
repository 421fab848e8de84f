import type { Principal } from '../../platform/auth/principal.ts';
import type { AlertRow } from './alerts.tables.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import type { AlertsRepo, AlertFilter } from './alerts.repo.ts';
import type { AlertView, ListAlertsInput } from './alerts.schemas.ts';
import { OPEN_ALERT_STATUSES, type Severity } from '../security-domain/vocabulary.ts';

const TICKET_PRIORITY: Record<Severity, 'critical' | 'high' | 'medium' | 'low'> = { critical: 'critical', high: 'high', medium: 'medium', low: 'low', info: 'low' };

export function alertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity as Severity,
    vendor_severity: row.vendor_severity,
    source: row.source,
    asset: row.asset,
    system_id: row.system_id,
    integration_id: row.integration_id,
    status: row.status as AlertView['status'],
    first_seen: toIso(row.first_seen),
    last_seen: toIso(row.last_seen),
    occurrences: row.occurrences,
    acknowledged_at: toIsoOrNull(row.acknowledged_at),
    acknowledged_by: row.acknowledged_by,
    resolved_at: toIsoOrNull(row.resolved_at),
    resolved_by: row.resolved_by,
    resolution_note: row.resolution_note,
    updated_at: toIso(row.updated_at),
  };
}

function filterOf(input: ListAlertsInput, statuses: readonly string[] | undefined): AlertFilter {
  const fromMs = input.from === undefined ? undefined : Date.parse(input.from);
  const toMs = input.to === undefined ? undefined : Date.parse(input.to);
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw badRequest('from must not be after to', [{ field: 'from', message: 'is after to' }]);
  return {
    limit: input.limit ?? 50,
    ...(statuses !== undefined ? { statuses } : {}),
    ...(input.severity !== undefined ? { severity: input.severity } : {}),
    ...(input.source !== undefined ? { source: input.source } : {}),
    ...(input.system_id !== undefined ? { systemId: input.system_id } : {}),
    ...(input.since !== undefined ? { changedAfterMs: Date.parse(input.since) } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
  };
}

export function createAlertsService(repo: AlertsRepo, tickets: TicketsService, publish: (event: LiveEvent) => void) {
  async function get(tenantId: string, id: string): Promise<AlertRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound('Alert');
    return row;
  }

  /** The acting user, when it is a user of the tenant (a SUPER_ADMIN is named in the audit log). */
  const actor = (principal: Principal) => (principal.tenantId === null ? null : principal.userId);

  return {
    get: async (tenantId: string, id: string) => alertView(await get(tenantId, id)),

    async listActive(tenantId: string, input: ListAlertsInput) {
      const filter = filterOf(input, OPEN_ALERT_STATUSES);
      return toPage(await repo.list(tenantId, filter), filter.limit, alertView);
    },

    async list(tenantId: string, input: ListAlertsInput) {
      const filter = filterOf(input, input.status === undefined ? undefined : [input.status]);
      return toPage(await repo.list(tenantId, filter), filter.limit, alertView);
    },

    async acknowledge(tenantId: string, principal: Principal, id: string) {
      const current = await get(tenantId, id);
      const now = Date.now();
      if (!(await repo.transition(tenantId, id, ['active'], { status: 'acknowledged', acknowledged_at: now, acknowledged_by: actor(principal), updated_at: now }))) {
        throw conflict(`The alert is already ${current.status === 'active' ? 'changing' : current.status}`);
      }
      publish({ type: 'alert.updated', tenant_id: tenantId, id, severity: current.severity, title: current.title, status: 'acknowledged' });
      return alertView(await get(tenantId, id));
    },

    async resolve(tenantId: string, principal: Principal, id: string, note: string | undefined) {
      const current = await get(tenantId, id);
      const now = Date.now();
      const resolved = await repo.transition(tenantId, id, OPEN_ALERT_STATUSES, { status: 'resolved', resolved_at: now, resolved_by: actor(principal), resolution_note: note ?? null, updated_at: now });
      if (!resolved) throw conflict('The alert is already resolved');
      publish({ type: 'alert.resolved', tenant_id: tenantId, id, severity: current.severity, title: current.title });
      return alertView(await get(tenantId, id));
    },

    /** Opens a ticket about the alert, linked to it. */
    async createTicket(tenantId: string, principal: Principal, id: string) {
      const alert = await get(tenantId, id);
      const description = [alert.description, `Source: ${alert.source}`, alert.asset ? `Asset: ${alert.asset}` : undefined, `Alert: ${alert.id}`].filter(Boolean).join('\n\n');
      return tickets.create(tenantId, principal, {
        title: `[${alert.severity}] ${alert.title}`.slice(0, 200),
        description: description.slice(0, 20_000),
        priority: TICKET_PRIORITY[alert.severity as Severity],
        alert_id: alert.id,
      });
    },
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
