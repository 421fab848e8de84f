import type { Kysely, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { PatchJobRow, PatchJobsTable, VulnerabilitiesTable } from './vulnerabilities.tables.ts';
import { ACTIVE_PATCH_JOB_STATUSES, OPEN_VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

/** Vulnerabilities and their patch jobs, by tenant (the first argument, from the caller's principal). */
export function createVulnerabilitiesRepo(db: Kysely<PlatformDatabase>) {
  return {
    find: (tenantId: string, id: string) => db.selectFrom('vulnerabilities').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: { status?: string; severity?: string; cve?: string; systemId?: string; changedAfterMs?: number; beforeId?: string; limit: number }) {
      let query = db.selectFrom('vulnerabilities').selectAll().where('tenant_id', '=', tenantId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.severity !== undefined) query = query.where('severity', '=', filter.severity);
      if (filter.cve !== undefined) query = query.where('cve', '=', filter.cve.toUpperCase());
      if (filter.systemId !== undefined) query = query.where('system_id', '=', filter.systemId);
      if (filter.changedAfterMs !== undefined) query = query.where('updated_at', '>', filter.changedAfterMs);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },

    patchJobs: (tenantId: string, vulnerabilityId: string) =>
      db.selectFrom('patch_jobs').selectAll().where('tenant_id', '=', tenantId).where('vulnerability_id', '=', vulnerabilityId).orderBy('id', 'desc').execute(),

    findPatchJob: (tenantId: string, vulnerabilityId: string, jobId: string) =>
      db.selectFrom('patch_jobs').selectAll().where('tenant_id', '=', tenantId).where('vulnerability_id', '=', vulnerabilityId).where('id', '=', jobId).executeTakeFirst(),

    /** Starts patching if the vulnerability is still open; false when another request got there first. */
    startPatch: (tenantId: string, vulnerabilityId: string, job: PatchJobRow) =>
      db.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('vulnerabilities').set({ status: 'patching', updated_at: job.created_at })
          .where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', '=', 'open').executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await trx.insertInto('patch_jobs').values(job).execute();
        return true;
      }),

    /**
     * Moves a patch job on if it is still in `from`, and its vulnerability with it (`vulnerability`:
     * the changes when it is still patching); false when someone else moved the job first.
     */
    advancePatchJob: (tenantId: string, vulnerabilityId: string, jobId: string, from: string, job: Updateable<PatchJobsTable>, vulnerability: Updateable<VulnerabilitiesTable> | null) =>
      db.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('patch_jobs').set(job)
          .where('tenant_id', '=', tenantId).where('vulnerability_id', '=', vulnerabilityId).where('id', '=', jobId).where('status', '=', from).executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        if (vulnerability !== null) {
          await trx.updateTable('vulnerabilities').set(vulnerability).where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', '=', 'patching').execute();
        }
        return true;
      }),

    /** Accepts the risk of an open finding; false when it is no longer open. */
    acceptRisk: async (tenantId: string, vulnerabilityId: string, changes: Updateable<VulnerabilitiesTable>) => {
      const moved = await db.updateTable('vulnerabilities').set({ ...changes, status: 'accepted_risk' })
        .where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', '=', 'open').executeTakeFirst();
      return Number(moved.numUpdatedRows) === 1;
    },

    /** Resolves by hand (open, patching or accepted), its running patch job succeeded; false when already resolved. */
    resolve: (tenantId: string, vulnerabilityId: string, now: number, by: string | null, note: string | null) =>
      db.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('vulnerabilities').set({ status: 'resolved', resolved_at: now, resolved_by: by, updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', 'in', [...OPEN_VULNERABILITY_STATUSES, 'accepted_risk']).executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await trx.updateTable('patch_jobs').set({ status: 'succeeded', completed_at: now, completed_by: by, updated_at: now, ...(note !== null ? { note } : {}) })
          .where('tenant_id', '=', tenantId).where('vulnerability_id', '=', vulnerabilityId).where('status', 'in', ACTIVE_PATCH_JOB_STATUSES).execute();
        return true;
      }),
  };
}

export type VulnerabilitiesRepo = ReturnType<typeof createVulnerabilitiesRepo>;
