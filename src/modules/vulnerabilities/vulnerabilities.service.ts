import type { Updateable } from 'kysely';
import type { Principal } from '../../platform/auth/principal.ts';
import type { PatchJobRow, PatchJobsTable, VulnerabilitiesTable } from './vulnerabilities.tables.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import { nameIn, type PatchJobStatus, type Severity } from '../security-domain/vocabulary.ts';
import type { PatchJobDetailRow, VulnerabilitiesRepo, VulnerabilityDetailRow } from './vulnerabilities.repo.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import type { AcceptRiskInput, ListVulnerabilitiesInput, UpdatePatchJobInput, VulnerabilityView } from './vulnerabilities.schemas.ts';

export function vulnerabilityView(row: VulnerabilityDetailRow): VulnerabilityView {
  return {
    id: row.id, cve: row.cve, title: row.title, severity: row.severity as Severity, severity_basis: row.severity_basis === 'cvss' ? 'cvss' : 'vendor',
    vendor_severity: row.vendor_severity, cvss_score: row.cvss_score, system_id: row.system_id,
    integration_id: row.integration_id, asset: row.asset, package: row.package, version: row.version, fixed_version: row.fixed_version,
    status: row.status as VulnerabilityView['status'],
    accepted_risk: row.status === 'accepted_risk' && row.accepted_at !== null
      ? { accepted_by: row.accepted_by, accepted_by_username: row.accepted_by_username, accepted_at: toIso(row.accepted_at), reason: row.acceptance_reason ?? '', until: toIsoOrNull(row.accepted_until) }
      : null,
    first_seen: toIso(row.first_seen), last_seen: toIso(row.last_seen),
    resolved_at: toIsoOrNull(row.resolved_at), resolved_by: row.resolved_by, resolved_by_username: row.resolved_by_username, updated_at: toIso(row.updated_at),
  };
}

const patchJobView = (row: PatchJobDetailRow) => ({
  id: row.id, status: row.status as PatchJobStatus, requested_by: row.requested_by, requested_by_username: row.requested_by_username, note: row.note,
  scheduled_at: toIsoOrNull(row.scheduled_at), started_at: toIsoOrNull(row.started_at), started_by: row.started_by, started_by_username: row.started_by_username,
  completed_at: toIsoOrNull(row.completed_at), completed_by: row.completed_by, completed_by_username: row.completed_by_username, created_at: toIso(row.created_at), updated_at: toIso(row.updated_at),
});

type PatchJobTarget = UpdatePatchJobInput['status'];

/** Where a patch job may go from each state. */
export const NEXT_PATCH_STATES: Record<PatchJobStatus, readonly PatchJobTarget[]> = {
  pending: ['in_progress', 'failed', 'cancelled'],
  in_progress: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** The acting user, when it is a user of the tenant (a SUPER_ADMIN is named in the audit log). */
const actor = (principal: Principal) => (principal.tenantId === null ? null : principal.userId);

export function createVulnerabilitiesService(repo: VulnerabilitiesRepo, publish: (event: LiveEvent) => void) {
  async function get(tenantId: string, id: string): Promise<VulnerabilityDetailRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Vulnerability not found', 'No se ha encontrado la vulnerabilidad'));
    return row;
  }

  async function detail(tenantId: string, id: string) {
    const row = await get(tenantId, id);
    return { ...vulnerabilityView(row), patch_jobs: (await repo.patchJobs(tenantId, id)).map(patchJobView) };
  }

  const changed = (tenantId: string, id: string, change: string, status: string) => publish({ type: 'vulnerability.updated', tenant_id: tenantId, id, change, status });

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

    /** Starts patching (no agents yet: a patch job records who asked, when, and for when, and is moved on by PATCH). */
    async startPatch(tenantId: string, principal: Principal, id: string, input: { note?: string; scheduled_at?: string }) {
      const current = await get(tenantId, id);
      const now = Date.now();
      const job: PatchJobRow = {
        id: newId(now), tenant_id: tenantId, vulnerability_id: id, status: 'pending', requested_by: actor(principal),
        note: input.note ?? null, scheduled_at: input.scheduled_at === undefined ? now : Date.parse(input.scheduled_at),
        started_at: null, started_by: null, completed_at: null, completed_by: null, created_at: now, updated_at: now,
      };
      if (!(await repo.startPatch(tenantId, id, job))) {
        throw conflict(current.status === 'open'
          ? say('The vulnerability is changing', 'La vulnerabilidad está cambiando en este momento')
          : say(`The vulnerability is already ${current.status}`, `La vulnerabilidad ya está ${nameIn('es', current.status)}`));
      }
      changed(tenantId, id, 'patching', 'patching');
      return detail(tenantId, id);
    },

    /**
     * Moves a patch job along its life cycle. Success resolves the vulnerability (if the feed still
     * reports it, the next sync reopens it); failure or cancellation returns it to `open`.
     */
    async updatePatchJob(tenantId: string, principal: Principal, id: string, jobId: string, input: UpdatePatchJobInput) {
      await get(tenantId, id);
      const job = await repo.findPatchJob(tenantId, id, jobId);
      if (job === undefined) throw notFound(say('Patch job not found', 'No se ha encontrado la tarea de parche'));
      const from = job.status as PatchJobStatus;
      const allowed = NEXT_PATCH_STATES[from] ?? [];
      if (!allowed.includes(input.status)) {
        const why = allowed.length > 0
          ? say(` (allowed: ${allowed.join(', ')})`, ` (permitidos: ${allowed.map((status) => nameIn('es', status)).join(', ')})`)
          : say(' (it is finished)', ' (ya ha terminado)');
        throw conflict(say(`A ${from} patch job cannot become ${input.status}${why.en}`, `Una tarea de parche ${nameIn('es', from)} no puede pasar a ${nameIn('es', input.status)}${why.es}`));
      }
      const now = Date.now();
      const by = actor(principal);
      const note = input.note !== undefined ? { note: input.note } : {};
      let jobChanges: Updateable<PatchJobsTable>;
      let vulnerability: Updateable<VulnerabilitiesTable> | null = null;
      if (input.status === 'in_progress') {
        jobChanges = { status: 'in_progress', started_at: now, started_by: by, updated_at: now, ...note };
      } else {
        jobChanges = { status: input.status, completed_at: now, completed_by: by, updated_at: now, ...note };
        vulnerability = input.status === 'succeeded' ? { status: 'resolved', resolved_at: now, resolved_by: by, updated_at: now } : { status: 'open', updated_at: now };
      }
      if (!(await repo.advancePatchJob(tenantId, id, jobId, from, jobChanges, vulnerability))) throw conflict(say('The patch job changed meanwhile; read it again', 'La tarea de parche cambió mientras tanto; léala de nuevo'));
      if (vulnerability !== null) changed(tenantId, id, `patch_${input.status}`, vulnerability.status as string);
      return detail(tenantId, id);
    },

    /** Accepts the risk of an open finding: the feed keeps reporting it without reopening it, until `until` if given. */
    async acceptRisk(tenantId: string, principal: Principal, id: string, input: AcceptRiskInput) {
      const current = await get(tenantId, id);
      const now = Date.now();
      const until = input.until === undefined ? null : Date.parse(input.until);
      if (until !== null && until <= now) throw badRequest(say('until must be in the future', 'until debe estar en el futuro'), [{ field: 'until', message: 'is not in the future', code: 'future' }]);
      const accepted = await repo.acceptRisk(tenantId, id, { accepted_by: actor(principal), accepted_at: now, acceptance_reason: input.reason, accepted_until: until, updated_at: now });
      if (!accepted) {
        throw conflict(current.status === 'patching'
          ? say('The vulnerability is being patched; cancel its patch job first', 'Se está aplicando un parche a la vulnerabilidad; cancele antes su tarea de parche')
          : current.status === 'open'
            ? say('The vulnerability is changing', 'La vulnerabilidad está cambiando en este momento')
            : say(`The vulnerability is ${current.status}`, `La vulnerabilidad está ${nameIn('es', current.status)}`));
      }
      changed(tenantId, id, 'accepted_risk', 'accepted_risk');
      return detail(tenantId, id);
    },

    async resolve(tenantId: string, principal: Principal, id: string, note: string | undefined) {
      await get(tenantId, id);
      if (!(await repo.resolve(tenantId, id, Date.now(), actor(principal), note ?? null))) throw conflict(say('The vulnerability is already resolved', 'La vulnerabilidad ya está resuelta'));
      changed(tenantId, id, 'resolved', 'resolved');
      return detail(tenantId, id);
    },
  };
}

export type VulnerabilitiesService = ReturnType<typeof createVulnerabilitiesService>;
