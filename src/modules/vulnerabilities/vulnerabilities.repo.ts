import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { PatchJobRow } from './vulnerabilities.tables.ts';
import { OPEN_VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

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

    /** Starts patching if the vulnerability is still open; false when another request got there first. */
    startPatch: (tenantId: string, vulnerabilityId: string, job: PatchJobRow) =>
      db.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('vulnerabilities').set({ status: 'patching', updated_at: job.created_at })
          .where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', '=', 'open').executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await trx.insertInto('patch_jobs').values(job).execute();
        return true;
      }),

    /** Resolves by hand, completing a pending patch job; false when already resolved. */
    resolve: (tenantId: string, vulnerabilityId: string, now: number, note: string | null) =>
      db.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('vulnerabilities').set({ status: 'resolved', resolved_at: now, updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', vulnerabilityId).where('status', 'in', OPEN_VULNERABILITY_STATUSES).executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await trx.updateTable('patch_jobs').set({ status: 'completed', completed_at: now, updated_at: now, ...(note !== null ? { note } : {}) })
          .where('tenant_id', '=', tenantId).where('vulnerability_id', '=', vulnerabilityId).where('status', '=', 'pending').execute();
        return true;
      }),
  };
}

export type VulnerabilitiesRepo = ReturnType<typeof createVulnerabilitiesRepo>;
