import type { Principal } from '../../platform/auth/principal.ts';
import type { PatchJobRow, VulnerabilityRow } from './vulnerabilities.tables.ts';
import { conflict, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { Severity } from '../security-domain/vocabulary.ts';
import type { VulnerabilitiesRepo } from './vulnerabilities.repo.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import type { ListVulnerabilitiesInput, VulnerabilityView } from './vulnerabilities.schemas.ts';

export function vulnerabilityView(row: VulnerabilityRow): VulnerabilityView {
  return {
    id: row.id, cve: row.cve, title: row.title, severity: row.severity as Severity, cvss_score: row.cvss_score, system_id: row.system_id,
    integration_id: row.integration_id, asset: row.asset, package: row.package, version: row.version, fixed_version: row.fixed_version,
    status: row.status as VulnerabilityView['status'], first_seen: toIso(row.first_seen), last_seen: toIso(row.last_seen),
    resolved_at: toIsoOrNull(row.resolved_at), updated_at: toIso(row.updated_at),
  };
}

const patchJobView = (row: PatchJobRow) => ({
  id: row.id, status: row.status as 'pending' | 'completed' | 'cancelled', requested_by: row.requested_by, note: row.note,
  scheduled_at: toIsoOrNull(row.scheduled_at), completed_at: toIsoOrNull(row.completed_at), created_at: toIso(row.created_at),
});

export function createVulnerabilitiesService(repo: VulnerabilitiesRepo, publish: (event: LiveEvent) => void) {
  async function get(tenantId: string, id: string): Promise<VulnerabilityRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound('Vulnerability');
    return row;
  }

  async function detail(tenantId: string, id: string) {
    const row = await get(tenantId, id);
    return { ...vulnerabilityView(row), patch_jobs: (await repo.patchJobs(tenantId, id)).map(patchJobView) };
  }

  return {
    get: detail,

    async list(tenantId: string, input: ListVulnerabilitiesInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, {
        limit,
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.severity !== undefined ? { severity: input.severity } : {}),
        ...(input.cve !== undefined ? { cve: input.cve } : {}),
        ...(input.system_id !== undefined ? { systemId: input.system_id } : {}),
        ...(input.since !== undefined ? { changedAfterMs: Date.parse(input.since) } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, vulnerabilityView);
    },

    /** Starts patching (no agents yet: a patch job records who asked, when, and for when). */
    async startPatch(tenantId: string, principal: Principal, id: string, input: { note?: string; scheduled_at?: string }) {
      const current = await get(tenantId, id);
      const now = Date.now();
      const job: PatchJobRow = {
        id: newId(now), tenant_id: tenantId, vulnerability_id: id, status: 'pending', requested_by: principal.tenantId === null ? null : principal.userId,
        note: input.note ?? null, scheduled_at: input.scheduled_at === undefined ? now : Date.parse(input.scheduled_at), completed_at: null, created_at: now, updated_at: now,
      };
      if (!(await repo.startPatch(tenantId, id, job))) throw conflict(`The vulnerability is ${current.status === 'open' ? 'changing' : `already ${current.status}`}`);
      publish({ type: 'vulnerability.updated', tenant_id: tenantId, id, change: 'patching' });
      return detail(tenantId, id);
    },

    async resolve(tenantId: string, id: string, note: string | undefined) {
      await get(tenantId, id);
      if (!(await repo.resolve(tenantId, id, Date.now(), note ?? null))) throw conflict('The vulnerability is already resolved');
      publish({ type: 'vulnerability.updated', tenant_id: tenantId, id, change: 'resolved' });
      return detail(tenantId, id);
    },
  };
}

export type VulnerabilitiesService = ReturnType<typeof createVulnerabilitiesService>;
