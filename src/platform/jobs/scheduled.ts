/**
 * Scheduled jobs: cron occurrences ("slots") that run once across every node sharing the platform
 * database, with retries. Both drivers (local and pg-boss) run them through `runSlot`, which
 * claims the slot in the ledger, records the run and retries a failure.
 */
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { CronExpressionParser } from 'cron-parser';
import type * as Luxon from 'luxon';

// cron-parser's dates (luxon) ask Intl for the system locale on first use, which loads ICU's locale
// data: ~25 ms of every start. Slots are numbers in UTC; no locale is ever shown from them. The
// CommonJS copy is the one cron-parser requires (luxon ships an ES module copy too).
(createRequire(import.meta.url)('luxon') as typeof Luxon).Settings.defaultLocale = 'en-US';

/** What a run reports (counts removed, files written …); stored with the run. */
export type JobReport = Record<string, unknown>;

export interface JobRunContext {
  /** The cron occurrence (epoch ms) this run is for; a manual run's is when it was asked for. */
  slot: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** Set when an ADMIN runs a tenant job for its own tenant: the run is limited to it. */
  tenantId?: string | undefined;
  trigger: 'schedule' | 'manual';
}

export interface ScheduledJob {
  /** Unique; lower case, digits and dashes (it is also a pg-boss queue name and part of the URL). */
  name: string;
  description: string;
  /** Cron expression in UTC: five fields, or six with seconds first (local driver only; pg-boss runs minutes). */
  cron: string;
  /** Attempts after a failed one (default 2), `retryDelayMs` apart (default 30 s). */
  retries?: number;
  retryDelayMs?: number;
  /** A tenant ADMIN sees this job's runs for its tenant and may run it for its tenant only. */
  tenantRunnable?: boolean;
  /**
   * Runs one slot. At least once: a retry (or pg-boss redelivering after a crash) may run a slot
   * again after a partial run, so the work must be idempotent.
   */
  run(context: JobRunContext): Promise<JobReport | void>;
}

export const JOB_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Throws when the expression is not a cron expression. */
export function parseCron(expression: string, after: number) {
  return CronExpressionParser.parse(expression, { currentDate: new Date(after), tz: 'UTC' });
}

/** The first occurrence strictly after `after`. */
export function nextSlot(expression: string, after: number): number {
  return parseCron(expression, after).next().getTime();
}

/** The latest occurrence at or before `at`. */
export function slotAtOrBefore(expression: string, at: number): number {
  return parseCron(expression, at + 1).prev().getTime();
}

export function validateScheduledJob(job: ScheduledJob): void {
  if (!JOB_NAME_PATTERN.test(job.name)) throw new Error(`job name "${job.name}" must match ${JOB_NAME_PATTERN}`);
  parseCron(job.cron, Date.now());
}

/** The run of one slot, as the ledger stores it. */
export interface JobRunRecord {
  job: string;
  tenantId: string | null;
  slot: number;
  attempt: number;
  trigger: JobRunContext['trigger'];
  node: string;
  startedAt: number;
}

/**
 * Where scheduled jobs keep their state, in the platform database (so every node sees it): the
 * definitions, one claim per slot, the runs, and the "run now" requests.
 */
export interface JobLedger {
  /** Publishes the definitions this node runs (name, cron, next slot) for the jobs API. */
  define(jobs: readonly ScheduledJob[], now: number): Promise<void>;
  /** Claims a slot for `owner`; false when another owner has it. Claiming again as the same owner succeeds. */
  claimSlot(job: string, slot: number, owner: string): Promise<boolean>;
  /**
   * Holds the job for `owner` until `expiresAt` (taking it when free or expired, renewing it when
   * `owner` holds it already); false while another owner's lease lasts.
   */
  lease(job: string, owner: string, now: number, expiresAt: number): Promise<boolean>;
  /** Extends `owner`'s lease; false when it no longer holds the job (it ran out and was taken). */
  renew(job: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Lets the job go, if `owner` still holds it. */
  release(job: string, owner: string): Promise<void>;
  /** Records a run starting; returns its id. */
  started(run: JobRunRecord): Promise<string>;
  finished(runId: string, outcome: { status: 'success' | 'error'; finishedAt: number; report?: JobReport | undefined; error?: string | undefined }): Promise<void>;
  /** Takes the oldest waiting "run now" requests of these jobs (each taken by one node only). */
  takeRequests(jobs: readonly string[]): Promise<{ job: string; tenantId: string | null; requestedAt: number }[]>;
}

/** This process, as named in claims and runs. */
export const NODE_NAME = `${hostname()}:${process.pid}`;

export interface Log {
  error(obj: unknown, msg: string): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => void setTimeout(resolve, ms).unref());

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}

/** How long a run holds its job without renewing: a node that died in a run frees the job within this. */
const JOB_LEASE_MS = 60_000;

/**
 * Runs `work` holding the job's lease, renewed while it runs, so that one run of a scheduled job
 * is under way at a time across nodes: a slot that comes due while the previous run still goes on
 * (a report run that outlives its minute, a backup its six hours) is skipped, not run beside it.
 * False, without running `work`, while another run holds the job.
 */
export async function whileHoldingJob(ledger: JobLedger, job: string, owner: string, log: Log, work: () => Promise<void>): Promise<boolean> {
  const taken = Date.now();
  if (!(await ledger.lease(job, owner, taken, taken + JOB_LEASE_MS))) return false;
  // A renewal only extends the holder's own row: one still on its way when the run ends cannot
  // bring back the row the end deletes, which would hold the job for nothing.
  let renewing: Promise<void> = Promise.resolve();
  const renewal = setInterval(() => {
    renewing = ledger.renew(job, owner, Date.now() + JOB_LEASE_MS).then(
      (held) => {
        if (!held) log.error({ job }, 'a job lease ran out during its run (another node may start the job)');
      },
      (error: unknown) => log.error({ err: error, job }, 'could not renew a job lease'),
    );
  }, JOB_LEASE_MS / 3);
  renewal.unref();
  try {
    await work();
  } finally {
    clearInterval(renewal);
    await renewing;
    await ledger.release(job, owner).catch((error: unknown) => log.error({ err: error, job }, 'could not release a job lease'));
  }
  return true;
}

/**
 * Runs one attempt of a job and records it. Returns whether it succeeded; never throws (a ledger
 * that fails is logged: the job's own outcome stands).
 */
export async function runAttempt(ledger: JobLedger, job: ScheduledJob, context: JobRunContext, log: Log): Promise<{ ok: boolean; error?: string }> {
  const startedAt = Date.now();
  const runId = await ledger.started({ job: job.name, tenantId: context.tenantId ?? null, slot: context.slot, attempt: context.attempt, trigger: context.trigger, node: NODE_NAME, startedAt });
  let outcome: { ok: boolean; error?: string };
  let report: JobReport | undefined;
  try {
    report = (await job.run(context)) ?? undefined;
    outcome = { ok: true };
  } catch (error) {
    outcome = { ok: false, error: errorText(error) };
  }
  try {
    await ledger.finished(runId, { status: outcome.ok ? 'success' : 'error', finishedAt: Date.now(), report, error: outcome.error });
  } catch (error) {
    log.error({ err: error, job: job.name }, 'could not record the end of a job run');
  }
  return outcome;
}

/**
 * Runs a slot with in-process retries (the local driver's way; pg-boss retries on its own). The
 * caller has claimed the slot, or holds a manual request.
 */
export async function runWithRetries(ledger: JobLedger, job: ScheduledJob, context: Omit<JobRunContext, 'attempt'>, log: Log, isStopping: () => boolean): Promise<void> {
  const attempts = 1 + (job.retries ?? 2);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await runAttempt(ledger, job, { ...context, attempt }, log);
    if (outcome.ok) return;
    log.error({ job: job.name, slot: new Date(context.slot).toISOString(), attempt, error: outcome.error }, 'scheduled job failed');
    if (attempt === attempts || isStopping()) return;
    await sleep(job.retryDelayMs ?? 30_000);
  }
}
