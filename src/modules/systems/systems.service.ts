import { notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { SystemRow } from './systems.tables.ts';
import type { AssetStatus, Severity } from '../security-domain/vocabulary.ts';
import type { SystemsRepo } from './systems.repo.ts';
import type { ListSystemsInput, SystemView } from './systems.schemas.ts';

const ALERTS_PER_SYSTEM = 5;

type RecentAlert = Awaited<ReturnType<SystemsRepo['recentOpenAlerts']>>[number];

/** The normalised system view (docs/requirements.md, SEC-3): {system, status, alerts: [{id, title, last_seen, severity, source}], metrics: {uptime, response_time_avg}}. */
function systemView(row: SystemRow, alerts: RecentAlert[]): SystemView {
  return {
    id: row.id,
    system: row.name,
    type: row.type as SystemView['type'],
    integration_id: row.integration_id,
    status: row.status as SystemView['status'],
    status_summary: row.status_summary,
    alerts: alerts.map((a) => ({ id: a.id, title: a.title, last_seen: toIso(a.last_seen), severity: a.severity as Severity, source: a.source })),
    metrics: { uptime: row.uptime_seconds, response_time_avg: row.response_time_avg_ms },
    last_seen: toIsoOrNull(row.last_seen),
  };
}

export function createSystemsService(repo: SystemsRepo) {
  async function withAlerts(tenantId: string, rows: SystemRow[]): Promise<Map<string, RecentAlert[]>> {
    const bySystem = new Map<string, RecentAlert[]>();
    for (const alert of await repo.recentOpenAlerts(tenantId, rows.map((r) => r.id), ALERTS_PER_SYSTEM)) {
      const list = bySystem.get(alert.system_id!) ?? [];
      list.push(alert);
      bySystem.set(alert.system_id!, list);
    }
    return bySystem;
  }

  return {
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
      const alerts = await withAlerts(tenantId, rows.slice(0, limit));
      return toPage(rows, limit, (row) => systemView(row, alerts.get(row.id) ?? []));
    },

    async get(tenantId: string, id: string) {
      const row = await repo.find(tenantId, id);
      if (row === undefined) throw notFound('System');
      const [alerts, assets] = await Promise.all([withAlerts(tenantId, [row]), repo.assets(tenantId, id)]);
      return {
        ...systemView(row, alerts.get(row.id) ?? []),
        assets: assets.map((a) => ({
          id: a.id, external_id: a.external_id, name: a.name, kind: a.kind, status: a.status as AssetStatus,
          detail: a.detail === null ? null : (JSON.parse(a.detail) as Record<string, unknown>), last_seen: toIso(a.last_seen),
        })),
      };
    },
  };
}

export type SystemsService = ReturnType<typeof createSystemsService>;
