import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import { newId } from '../../platform/ids.ts';
import { nextSlot, type JobLedger } from '../../platform/jobs/scheduled.ts';
import type { JobRunRow } from '../integrations/integrations.tables.ts';
import type { ScheduledJobRow } from './operations.tables.ts';

/** What a run keeps in `job_runs.detail` besides the job's own report. */
interface RunDetail {
  slot: number;
  attempt: number;
  trigger: string;
  node: string;
  report?: Record<string, unknown>;
  error?: string;
}

/** Scheduled jobs' state in the platform database: the ledger both drivers use, and what the jobs API reads. */
export function createJobsRepo(db: Kysely<PlatformDatabase>) {
  const ledger: JobLedger = {
    async define(jobs, now) {
      const stored = new Map((await db.selectFrom('scheduled_jobs').select(['name', 'description', 'cron', 'tenant_runnable', 'next_run_at']).execute()).map((row) => [row.name, row]));
      for (const job of jobs) {
        const tenantRunnable = job.tenantRunnable ? 1 : 0;
        const known = stored.get(job.name);
        // Unchanged, and its next slot still ahead: it is still the next one after now. Skipping it
        // spares a restart the cron parsing (with its first date-library set-up, ~30 ms).
        if (known !== undefined && known.description === job.description && known.cron === job.cron && Number(known.tenant_runnable) === tenantRunnable
          && known.next_run_at !== null && Number(known.next_run_at) > now) continue;
        const row = { description: job.description, cron: job.cron, tenant_runnable: tenantRunnable, next_run_at: nextSlot(job.cron, now), updated_at: now };
        await db.insertInto('scheduled_jobs').values({ name: job.name, ...row }).onConflict((oc) => oc.column('name').doUpdateSet(row)).execute();
      }
    },

    async claimSlot(job, slot, owner) {
      // Losing the race is the usual case for all nodes but one (every minute for daily-reports): no
      // unique violation, which PostgreSQL would write to its log each time.
      const inserted = await db.insertInto('job_slots').values({ job, slot, owner, claimed_at: Date.now() })
        .onConflict((oc) => oc.columns(['job', 'slot']).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
      const held = await db.selectFrom('job_slots').select('owner').where('job', '=', job).where('slot', '=', slot).executeTakeFirst();
      return held?.owner === owner;
    },

    async lease(job, owner, now, expiresAt) {
      const inserted = await db.insertInto('job_leases').values({ job, owner, expires_at: expiresAt })
        .onConflict((oc) => oc.column('job').doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
      // Renewed by its holder, or taken over once expired; of two nodes taking it over, the row's
      // lock lets one update match.
      const updated = await db.updateTable('job_leases').set({ owner, expires_at: expiresAt }).where('job', '=', job)
        .where((eb) => eb.or([eb('owner', '=', owner), eb('expires_at', '<=', now)])).executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },

    async renew(job, owner, expiresAt) {
      const updated = await db.updateTable('job_leases').set({ expires_at: expiresAt }).where('job', '=', job).where('owner', '=', owner).executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },

    async release(job, owner) {
      await db.deleteFrom('job_leases').where('job', '=', job).where('owner', '=', owner).execute();
    },

    async started(run) {
      const id = newId(run.startedAt);
      const detail: RunDetail = { slot: run.slot, attempt: run.attempt, trigger: run.trigger, node: run.node };
      await db.insertInto('job_runs').values({
        id, tenant_id: run.tenantId, job: run.job, subject_id: null, status: 'running', started_at: run.startedAt,
        finished_at: null, duration_ms: null, detail: JSON.stringify(detail), created_at: run.startedAt, updated_at: run.startedAt,
      }).execute();
      return id;
    },

    async finished(runId, outcome) {
      const row = await db.selectFrom('job_runs').select(['started_at', 'detail']).where('id', '=', runId).executeTakeFirstOrThrow();
      const detail = { ...(JSON.parse(row.detail ?? '{}') as RunDetail), ...(outcome.report !== undefined ? { report: outcome.report } : {}), ...(outcome.error !== undefined ? { error: outcome.error } : {}) };
      await db.updateTable('job_runs').set({
        status: outcome.status, finished_at: outcome.finishedAt, duration_ms: outcome.finishedAt - row.started_at, detail: JSON.stringify(detail), updated_at: outcome.finishedAt,
      }).where('id', '=', runId).execute();
    },

    async takeRequests(jobs) {
      if (jobs.length === 0) return [];
      const waiting = await db.selectFrom('job_requests').selectAll().where('job', 'in', jobs).orderBy('id').limit(20).execute();
      const taken = [];
      for (const request of waiting) {
        // Deleting it is the claim: only one node's delete finds the row.
        const { numDeletedRows } = await db.deleteFrom('job_requests').where('id', '=', request.id).executeTakeFirst();
        if (numDeletedRows > 0n) taken.push({ job: request.job, tenantId: request.tenant_id, requestedAt: request.requested_at });
      }
      return taken;
    },
  };

  return {
    ledger,

    definitions: (): Promise<ScheduledJobRow[]> => db.selectFrom('scheduled_jobs').selectAll().orderBy('name').execute(),

    definition: (name: string): Promise<ScheduledJobRow | undefined> => db.selectFrom('scheduled_jobs').selectAll().where('name', '=', name).executeTakeFirst(),

    /** The newest runs of each job, platform runs (`tenantId` null) or one tenant's. */
    async recentRuns(tenantId: string | null, perJob: number, jobs?: readonly string[]): Promise<Map<string, JobRunRow[]>> {
      const names = jobs ?? (await db.selectFrom('job_runs').select('job').distinct()
        .where((eb) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId))).execute()).map((row) => row.job);
      const runs = new Map<string, JobRunRow[]>();
      for (const job of names) {
        runs.set(job, await db.selectFrom('job_runs').selectAll().where('job', '=', job)
          .where((eb) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId)))
          .orderBy('id', 'desc').limit(perJob).execute());
      }
      return runs;
    },

    /** Asks for a run; a request for the same job and scope still waiting is answered instead of adding another. */
    async requestRun(job: string, tenantId: string | null, requestedBy: string | null, now: number): Promise<{ id: string; requestedAt: number }> {
      const waiting = await db.selectFrom('job_requests').select(['id', 'requested_at']).where('job', '=', job)
        .where((eb) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId))).executeTakeFirst();
      if (waiting !== undefined) return { id: waiting.id, requestedAt: waiting.requested_at };
      const id = newId(now);
      await db.insertInto('job_requests').values({ id, job, tenant_id: tenantId, requested_by: requestedBy, requested_at: now }).execute();
      return { id, requestedAt: now };
    },

    /** Job runs (of one tenant, or all) started before `before`, in chunks, and older slot claims; returns the runs removed. */
    async purgeRuns(before: number, tenantId?: string): Promise<number> {
      // Ids are time-ordered (UUIDv7): every id below this one was made before `before`.
      const bound = `${newId(before).slice(0, 13)}-0000-0000-000000000000`;
      let removed = 0;
      for (;;) {
        // A run still `running` that old belonged to a node that died mid-run: it goes too.
        let query = db.selectFrom('job_runs').select('id').where('id', '<', bound);
        if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
        const ids = (await query.limit(1000).execute()).map((row) => row.id);
        if (ids.length === 0) break;
        const { numDeletedRows } = await db.deleteFrom('job_runs').where('id', 'in', ids).executeTakeFirst();
        removed += Number(numDeletedRows);
      }
      if (tenantId === undefined) await db.deleteFrom('job_slots').where('claimed_at', '<', before).execute();
      return removed;
    },
  };
}

export type JobsRepo = ReturnType<typeof createJobsRepo>;
