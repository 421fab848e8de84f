/**
 * `sentinel jobs …`: scheduled jobs from the command line, for hosts where no process stays up to
 * run them (cPanel's Passenger stops an idle app): a cron entry runs `sentinel jobs run-due`, which
 * runs each job's latest slot unless a node already ran it (the same slot claim the workers use).
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { randomUUID } from 'node:crypto';
import { NODE_NAME, runWithRetries, slotAtOrBefore, whileHoldingJob, type Log, type ScheduledJob } from '../../platform/jobs/scheduled.ts';
import type { Services } from '../../services.ts';
import { jobContext, scheduledJobs } from '../index.ts';

export const JOBS_USAGE = `  jobs list                               The scheduled jobs with their schedules
  jobs run-due                            Run every job whose latest slot has not run yet (for cron)
  jobs run NAME                           Run one job now`;

export class JobsCliError extends Error {}

const log: Log = { error: (obj, msg) => console.error(`${msg} ${JSON.stringify(obj, (_, value: unknown) => (value instanceof Error ? value.message : value))}`) };

export async function jobsCommand(config: Config, services: Services, db: Db, sub: string | undefined, name: string | undefined): Promise<void> {
  const jobs = scheduledJobs(jobContext(services, config, db));
  const ledger = services.jobsRepo.ledger;
  await ledger.define(jobs, Date.now());
  const owner = `${NODE_NAME}#cli-${randomUUID().slice(0, 8)}`;
  const run = async (job: ScheduledJob, trigger: 'schedule' | 'manual', slot: number) => {
    await runWithRetries(ledger, job, { slot, trigger }, log, () => false);
    const [last] = (await services.jobsRepo.recentRuns(null, 1, [job.name])).get(job.name) ?? [];
    console.log(`${job.name}: ${last?.status ?? 'not run'}${last?.duration_ms != null ? ` in ${last.duration_ms} ms` : ''}`);
    if (last?.status !== 'success') process.exitCode = 1;
  };
  switch (sub) {
    case 'list':
      for (const job of jobs) console.log(`${job.name.padEnd(24)} ${job.cron.padEnd(16)} ${job.description}`);
      return;
    case 'run-due': {
      const now = Date.now();
      for (const job of jobs) {
        const slot = slotAtOrBefore(job.cron, now);
        if (!(await ledger.claimSlot(job.name, slot, owner))) continue;
        // A run still going on from an earlier invocation (cron starts one every minute) holds the job.
        const held = await whileHoldingJob(ledger, job.name, owner, log, () => run(job, 'schedule', slot));
        if (!held) console.log(`${job.name}: skipped, a run of it is under way`);
      }
      return;
    }
    case 'run': {
      const job = jobs.find((candidate) => candidate.name === name);
      if (job === undefined) throw new JobsCliError(`No scheduled job named "${name ?? ''}"; sentinel jobs list shows them`);
      return run(job, 'manual', Date.now());
    }
    default:
      throw new JobsCliError(`Unknown command "jobs ${sub ?? ''}"\n\n${JOBS_USAGE}`);
  }
}
