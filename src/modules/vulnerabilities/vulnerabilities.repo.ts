import type { Kysely, Updateable } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { PatchJobRow, PatchJobsTable, VulnerabilitiesTable, VulnerabilityRow } from './vulnerabilities.tables.ts';
import { ACTIVE_PATCH_JOB_STATUSES, OPEN_VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

/** A vulnerability with the usernames of the users named on it (null for an API key, the feed or no one). */
export type VulnerabilityDetailRow = VulnerabilityRow & { resolved_by_username: string | null; accepted_by_username: string | null };
/** A patch job with the usernames of the users named on it (null for an API key, the feed or no one). */
export type PatchJobDetailRow = PatchJobRow & { requested_by_username: string | null; started_by_username: string | null; completed_by_username: string | null };

/** Vulnerabilities and their patch jobs, by tenant (the first argument, from the caller's principal). */
export function createVulnerabilitiesRepo(db: Kysely<PlatformDatabase>) {
  /** The tenant's vulnerabilities with the names of the users on them (only users of the same tenant). */
  const detailed = (tenantId: string) =>
    db
      .selectFrom('vulnerabilities as v')
      .leftJoin('users as res', (join) => join.onRef('res.id', '=', 'v.resolved_by').onRef('res.tenant_id', '=', 'v.tenant_id'))
      .leftJoin('users as acc', (join) => join.onRef('acc.id', '=', 'v.accepted_by').onRef('acc.tenant_id', '=', 'v.tenant_id'))
      .selectAll('v')
      .select(['res.username as resolved_by_username', 'acc.username as accepted_by_username'])
      .where('v.tenant_id', '=', tenantId);

  return {
    find: (tenantId: string, id: string): Promise<VulnerabilityDetailRow | undefined> => detailed(tenantId).where('v.id', '=', id).executeTakeFirst(),

    list(tenantId: string, filter: { status?: string; severity?: string; cve?: string; systemId?: string; changedAfterMs?: number; beforeId?: string; limit: number }): Promise<VulnerabilityDetailRow[]> {
      let query = detailed(tenantId);
      if (filter.status !== undefined) query = query.where('v.status', '=', filter.status);
      if (filter.severity !== undefined) query = query.where('v.severity', '=', filter.severity);
      if (filter.cve !== undefined) query = query.where('v.cve', '=', filter.cve.toUpperCase());
      if (filter.systemId !== undefined) query = query.where('v.system_id', '=', filter.systemId);
      if (filter.changedAfterMs !== undefined) query = query.where('v.updated_at', '>', filter.changedAfterMs);
      if (filter.beforeId !== undefined) query = query.where('v.id', '<', filter.beforeId);
      return query.orderBy('v.id', 'desc').limit(filter.limit + 1).execute();
    },

    /** The vulnerability's patch jobs, newest first, with the names of the users on them. */
    patchJobs: (tenantId: string, vulnerabilityId: string): Promise<PatchJobDetailRow[]> =>
      db.selectFrom('patch_jobs as j')
        .leftJoin('users as req', (join) => join.onRef('req.id', '=', 'j.requested_by').onRef('req.tenant_id', '=', 'j.tenant_id'))
        .leftJoin('users as sta', (join) => join.onRef('sta.id', '=', 'j.started_by').onRef('sta.tenant_id', '=', 'j.tenant_id'))
        .leftJoin('users as com', (join) => join.onRef('com.id', '=', 'j.completed_by').onRef('com.tenant_id', '=', 'j.tenant_id'))
        .selectAll('j')
        .select(['req.username as requested_by_username', 'sta.username as started_by_username', 'com.username as completed_by_username'])
        .where('j.tenant_id', '=', tenantId).where('j.vulnerability_id', '=', vulnerabilityId).orderBy('j.id', 'desc').execute(),

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
