import type { Principal } from '../../platform/auth/principal.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { SystemRow } from './systems.tables.ts';
import type { AssetStatus, Severity } from '../security-domain/vocabulary.ts';
import { availabilityPercent, type AvailabilityPeriod } from './availability.ts';
import { asSystemStatus, decideStatus, describeDecision, type SystemSettings } from './system-status.ts';
import type { SystemsMerge } from './systems.merge.ts';
import type { SystemsRepo } from './systems.repo.ts';
import type { ListSystemsInput, SystemView, UpdateSystemSettingsInput } from './systems.schemas.ts';

const ALERTS_PER_SYSTEM = 5;
const DAY_MS = 86_400_000;

type RecentAlert = Awaited<ReturnType<SystemsRepo['recentOpenAlerts']>>[number];

/** What a system view is built from besides its row. */
interface SystemContext {
  settings: SystemSettings;
  alerts: RecentAlert[];
  openAlerts: Record<Severity, number>;
  periods: AvailabilityPeriod[];
  now: number;
}

/**
 * The normalised system view (docs/requirements.md, SEC-3): {system, status, alerts: [{id, title,
 * last_seen, severity, source}], metrics: {uptime, …}}, with why the status is what it is.
 */
function systemView(row: SystemRow, context: SystemContext): SystemView {
  const vendorStatus = asSystemStatus(row.vendor_status ?? row.status);
  // The rule in words follows the stored status (what counts, filters and events saw).
  const decision = { ...decideStatus(vendorStatus, context.openAlerts, context.settings), status: asSystemStatus(row.status), set_by: row.status_set_by === 'open_alerts' ? 'open_alerts' as const : 'vendor' as const };
  const windowDays = context.settings.uptime_window_days;
  return {
    id: row.id,
    system: row.name,
    type: row.type as SystemView['type'],
    integration_id: row.integration_id,
    status: row.status as SystemView['status'],
    vendor_status: vendorStatus,
    status_set_by: decision.set_by,
    status_rule: describeDecision(decision, vendorStatus, context.settings),
    status_summary: row.status_summary,
    open_alerts: { ...context.openAlerts, total: Object.values(context.openAlerts).reduce((a, b) => a + b, 0) },
    alerts: context.alerts.map((a) => ({ id: a.id, title: a.title, last_seen: toIso(a.last_seen), severity: a.severity as Severity, source: a.source })),
    metrics: {
      uptime: availabilityPercent(context.periods, context.now - windowDays * DAY_MS, context.now),
      uptime_window_days: windowDays,
      uptime_seconds: row.uptime_seconds === null ? null : Number(row.uptime_seconds),
      vendor_api_latency_ms: row.response_time_avg_ms,
    },
    last_seen: toIsoOrNull(row.last_seen),
  };
}

export function createSystemsService(repo: SystemsRepo, merge: Pick<SystemsMerge, 'refreshStatus'>, publish: (event: LiveEvent) => void) {
  /** Everything the views of these systems need, in four queries whatever their number. */
  async function views(tenantId: string, rows: SystemRow[]): Promise<Map<string, SystemView>> {
    const now = Date.now();
    const ids = rows.map((r) => r.id);
    const settings = await repo.settings(tenantId);
    const [recent, counts, periods] = await Promise.all([
      repo.recentOpenAlerts(tenantId, ids, ALERTS_PER_SYSTEM),
      repo.openAlertCounts(tenantId, ids),
      repo.availability(tenantId, ids, now - settings.uptime_window_days * DAY_MS),
    ]);
    const group = <T extends { system_id: string | null }>(items: T[]) => {
      const by = new Map<string, T[]>();
      for (const item of items) by.set(item.system_id!, [...(by.get(item.system_id!) ?? []), item]);
      return by;
    };
    const alertsBySystem = group(recent);
    const periodsBySystem = group(periods);
    return new Map(rows.map((row) => [row.id, systemView(row, {
      settings, now, alerts: alertsBySystem.get(row.id) ?? [], openAlerts: counts.get(row.id)!, periods: (periodsBySystem.get(row.id) ?? []).map((p) => ({ ...p, started_at: Number(p.started_at), ended_at: Number(p.ended_at) })),
    })]));
  }

  function settingsView(settings: SystemSettings, stored: { updated_at: number | null; updated_by: string | null }) {
    return { ...settings, updated_at: toIsoOrNull(stored.updated_at), updated_by: stored.updated_by };
  }

  /** Brings the status of these systems (all of the tenant's when undefined) up to date with their open alerts; changes go live. */
  async function refreshStatus(tenantId: string, systemIds?: string[]): Promise<void> {
    for (const change of await merge.refreshStatus(tenantId, systemIds, Date.now())) publish({ type: 'system.status_changed', tenant_id: tenantId, ...change });
  }

  return {
    refreshStatus,

    async statusCounts(tenantId: string) {
      const counts = { online: 0, warning: 0, alert: 0, total: 0 };
      for (const { status, n } of await repo.statusCounts(tenantId)) {
        if (status === 'online' || status === 'warning' || status === 'alert') counts[status] = Number(n);
        counts.total += Number(n);
      }
      return counts;
    },

    async list(tenantId: string, input: ListSystemsInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, {
        limit,
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.type !== undefined ? { type: input.type } : {}),
        ...(input.since !== undefined ? { changedAfterMs: Date.parse(input.since) } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      const built = await views(tenantId, rows.slice(0, limit));
      return toPage(rows, limit, (row) => built.get(row.id)!);
    },

    async get(tenantId: string, id: string) {
      const row = await repo.find(tenantId, id);
      if (row === undefined) throw notFound(say('System not found', 'No se ha encontrado el sistema'));
      const [built, assets] = await Promise.all([views(tenantId, [row]), repo.assets(tenantId, id)]);
      return {
        ...built.get(row.id)!,
        assets: assets.map((a) => ({
          id: a.id, external_id: a.external_id, name: a.name, kind: a.kind, status: a.status as AssetStatus,
          detail: a.detail === null ? null : (JSON.parse(a.detail) as Record<string, unknown>), last_seen: toIso(a.last_seen),
        })),
      };
    },

    async getSettings(tenantId: string) {
      return settingsView(await repo.settings(tenantId), await repo.settingsStamp(tenantId));
    },

    /** Changes the tenant's status rules or uptime window; every system's status follows at once. */
    async updateSettings(tenantId: string, principal: Principal, input: UpdateSystemSettingsInput) {
      const settings: SystemSettings = { ...(await repo.settings(tenantId)), ...input };
      const both = settings.alert_severities.filter((s) => settings.warning_severities.includes(s));
      if (both.length > 0) {
        throw badRequest(say('A severity cannot make a system both alert and warning', 'Una severidad no puede poner un sistema a la vez en alerta y en aviso'), [{ field: 'warning_severities', message: `also in alert_severities: ${both.join(', ')}`, code: 'also_in', params: { other: 'alert_severities', value: both.join(', ') } }]);
      }
      await repo.saveSettings(tenantId, settings, principal.tenantId === null ? null : principal.userId, Date.now());
      await refreshStatus(tenantId);
      return settingsView(settings, await repo.settingsStamp(tenantId));
    },
  };
}

export type SystemsService = ReturnType<typeof createSystemsService>;
