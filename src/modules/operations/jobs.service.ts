import { notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { toIso } from '../../platform/ids.ts';
import { nextSlot } from '../../platform/jobs/scheduled.ts';
import type { JobRunRow } from '../integrations/integrations.tables.ts';
import type { JobsRepo } from './jobs.repo.ts';

const RUNS_PER_JOB = 10;

function runView(row: JobRunRow) {
  const detail = (row.detail === null ? {} : JSON.parse(row.detail)) as { trigger?: string; attempt?: number; node?: string; error?: string | null; report?: Record<string, unknown> };
  return {
    id: row.id, status: row.status, trigger: detail.trigger ?? null, attempt: detail.attempt ?? null, node: detail.node ?? null, subject_id: row.subject_id,
    started_at: toIso(row.started_at), finished_at: row.finished_at === null ? null : toIso(row.finished_at), duration_ms: row.duration_ms,
    error: detail.error ?? null, report: detail.report ?? null,
  };
}

/**
 * The jobs API. A tenant scope (an ADMIN, or a SUPER_ADMIN naming a tenant) sees the jobs that ran
 * for that tenant and the scheduled jobs it may run for itself; the platform scope (a SUPER_ADMIN)
 * sees every scheduled job and the platform's runs. "Run now" leaves a request that the next node
 * running jobs takes (within about a second); asking again before then joins the waiting request.
 */
export function createJobsService(repo: JobsRepo, clock: () => number = Date.now) {
  return {
    async list(tenantId: string | undefined) {
      const scope = tenantId === undefined ? 'platform' : 'tenant';
      const definitions = (await repo.definitions()).filter((job) => scope === 'platform' || job.tenant_runnable === 1);
      const runs = await repo.recentRuns(tenantId ?? null, RUNS_PER_JOB);
      const defined = new Map(definitions.map((job) => [job.name, job]));
      const now = clock();
      // The stored next slot is the one after the last start: once it has passed, the next one after now.
      const nextRun = (job: (typeof definitions)[number]) => (job.next_run_at == null ? null : toIso(Number(job.next_run_at) > now ? Number(job.next_run_at) : nextSlot(job.cron, now)));
      for (const job of definitions) if (!runs.has(job.name)) runs.set(job.name, []);
      const items = [...runs.entries()].map(([name, rows]) => {
        const definition = defined.get(name);
        const views = rows.map(runView);
        return {
          name, description: definition?.description ?? null, schedule: definition?.cron ?? null, scope, runnable: definition !== undefined,
          next_run_at: definition === undefined ? null : nextRun(definition), last_run: views[0] ?? null, runs: views,
        } as const;
      });
      return { items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    },

    async requestRun(name: string, tenantId: string | undefined, requestedBy: string) {
      const definition = await repo.definition(name);
      if (definition === undefined || (tenantId !== undefined && definition.tenant_runnable !== 1)) throw notFound(say('Job not found', 'No se ha encontrado la tarea'));
      const request = await repo.requestRun(name, tenantId ?? null, requestedBy, clock());
      return { job: name, request_id: request.id, requested_at: toIso(request.requestedAt), scope: tenantId === undefined ? 'platform' : 'tenant' } as const;
    },
  };
}

export type JobsService = ReturnType<typeof createJobsService>;
