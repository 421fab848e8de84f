/**
 * The `pg-boss` driver (`SENTINEL_JOBS=pg-boss`, PostgreSQL only): scheduled jobs are pg-boss
 * queues with a cron schedule. Every node runs pg-boss's cron pass, which creates one job per
 * occurrence across nodes; whichever node's worker fetches it runs it, and pg-boss retries it
 * (`retryLimit`, `retryDelay`) on this node or another, also after a node dies mid-run. The slot
 * claim in the ledger stays as a second guard. Queues and tickers stay in-process (the local
 * driver's), as do "run now" requests, which are handed to pg-boss as one-off jobs.
 */
import type { PgBoss } from 'pg-boss';
import { createLocalJobDriver, type JobDriver } from './job-driver.ts';
import { runAttempt, slotAtOrBefore, whileHoldingJob, type JobLedger, type Log, type ScheduledJob } from './scheduled.ts';

export interface PgBossDriverOptions {
  connectionString: string;
  ledger: JobLedger;
  log: Log;
  /** pg-boss's own schema (default `pgboss`). */
  schema?: string;
  /** How often a worker looks for jobs (default 2 s). */
  pollingIntervalSeconds?: number;
  /** How often "run now" requests are looked for (default 1 s). */
  pollMs?: number;
}

const START_RETRY_MS = 15_000;

interface ManualRun {
  manual: true;
  tenantId: string | null;
  requestedAt: number;
}

export function createPgBossJobDriver(options: PgBossDriverOptions): JobDriver {
  const { ledger, log } = options;
  const jobs: ScheduledJob[] = [];
  let boss: PgBoss | undefined;
  let stopping = false;
  const local = createLocalJobDriver(log, {
    ledger,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    dispatch: async (job, request) => {
      if (boss === undefined) throw new Error('pg-boss has not started yet');
      await boss.send(job.name, { manual: true, tenantId: request.tenantId, requestedAt: request.requestedAt } satisfies ManualRun);
    },
  });

  async function startBoss(): Promise<void> {
    // Loaded only on nodes that use it.
    const { PgBoss } = await import('pg-boss');
    const instance = new PgBoss({ connectionString: options.connectionString, schema: options.schema ?? 'pgboss', application_name: 'sentinel-jobs', max: 4 });
    instance.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
    try {
      await instance.start();
    } catch (error) {
      await instance.stop({ graceful: false, close: true }).catch(() => undefined);
      throw error;
    }
    boss = instance;
    for (const job of jobs) {
      const retries = job.retries ?? 2;
      await instance.createQueue(job.name, { retryLimit: retries, retryDelay: Math.ceil((job.retryDelayMs ?? 30_000) / 1000), expireInSeconds: 6 * 3600 });
      await instance.schedule(job.name, job.cron, {}, { tz: 'UTC' });
      await instance.work<Partial<ManualRun>, void, { includeMetadata: true; pollingIntervalSeconds: number }>(job.name, { includeMetadata: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 }, async ([delivered]) => {
        if (delivered === undefined || stopping) return;
        const manual = delivered.data.manual === true;
        const slot = manual ? delivered.data.requestedAt! : slotAtOrBefore(job.cron, delivered.createdOn.getTime());
        const attempt = () => runAttempt(ledger, job, {
          slot, attempt: delivered.retryCount + 1, trigger: manual ? 'manual' : 'schedule', tenantId: manual ? delivered.data.tenantId ?? undefined : undefined,
        }, log);
        let outcome: Awaited<ReturnType<typeof attempt>> | undefined;
        if (manual) outcome = await attempt();
        else {
          const owner = `pg-boss:${delivered.id}`;
          // A redelivery of the same pg-boss job holds the claim already; another job for a slot
          // that ran is dropped, and so is a slot due while a run of the job still goes on.
          if (await ledger.claimSlot(job.name, slot, owner)) {
            await whileHoldingJob(ledger, job.name, owner, log, async () => {
              outcome = await attempt();
            });
          }
        }
        // Failing the job is what makes pg-boss retry it.
        if (outcome?.ok === false) throw new Error(outcome.error);
      });
    }
  }

  return {
    register: local.register,
    enqueue: local.enqueue,
    every: local.every,
    schedule(job) {
      // pg-boss's cron has minutes as its smallest unit.
      if (job.cron.trim().split(/\s+/).length !== 5) throw new Error(`job ${job.name}: pg-boss needs a five-field cron expression`);
      local.schedule(job);
      jobs.push(job);
    },
    start() {
      local.start();
      // PostgreSQL may be down when the node starts: keep trying until it answers.
      const attempt = (): void => {
        startBoss().catch((error: unknown) => {
          log.error({ err: error }, `pg-boss did not start; retrying in ${START_RETRY_MS / 1000} s`);
          if (!stopping) setTimeout(attempt, START_RETRY_MS).unref();
        });
      };
      attempt();
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      await Promise.all([local.stop(graceMs), boss?.stop({ graceful: true, timeout: graceMs, close: true })]);
    },
  };
}
