import { randomUUID } from 'node:crypto';
import { nextSlot, runWithRetries, slotAtOrBefore, validateScheduledJob, whileHoldingJob, NODE_NAME, type JobLedger, type Log, type ScheduledJob } from './scheduled.ts';

/**
 * Background work behind one interface, with two drivers: `local` runs everything in this process
 * (the default; SQLite and MySQL), `pg-boss` (pg-boss-driver.ts) runs scheduled jobs through
 * pg-boss in PostgreSQL. Queues and tickers are in-process in both; scheduled jobs (cron) run once
 * per slot across every node sharing the platform database, with retries, and keep their runs in
 * `job_runs` through the ledger.
 */
export interface JobDriver {
  /** Registers the handler of a queue, with how many of its jobs may run at once. */
  register<T>(queue: string, handler: (payload: T) => Promise<void>, options?: { concurrency?: number }): void;
  /** Adds a job; a job with the same key still waiting or running is not added twice. */
  enqueue<T>(queue: string, payload: T, options?: { key?: string }): boolean;
  /** Runs `tick` every `intervalMs` (never overlapping itself, backing off while it fails) until stopped. */
  every(name: string, intervalMs: number, tick: () => Promise<void>): void;
  /** Adds a cron job: each slot runs once across nodes (see ScheduledJob); listed by GET /jobs. */
  schedule(job: ScheduledJob): void;
  start(): void;
  /** Stops tickers, lets running jobs finish (up to `graceMs`), drops waiting ones. */
  stop(graceMs?: number): Promise<void>;
}

interface Queue {
  handler: (payload: unknown) => Promise<void>;
  concurrency: number;
  running: number;
  waiting: { key: string | undefined; payload: unknown }[];
  keys: Set<string>;
}

/** A failing ticker waits twice as long after each failure in a row (the database may be down), up to this. */
const TICK_BACKOFF_MAX_MS = 15_000;

interface Ticker {
  name: string;
  intervalMs: number;
  tick: () => Promise<void>;
  timer?: NodeJS.Timeout;
  busy: boolean;
  failures: number;
  pausedUntil: number;
}

export interface LocalDriverOptions {
  /** Needed by scheduled jobs (claims, runs, "run now" requests). */
  ledger?: JobLedger;
  /** How often due slots and "run now" requests are looked for (default 1 s). */
  pollMs?: number;
  /** pg-boss takes the slots and requests over; the local driver only starts what it hands back. */
  dispatch?: (job: ScheduledJob, request: { tenantId: string | null; requestedAt: number }) => Promise<void>;
}

export function createLocalJobDriver(log: Log, options: LocalDriverOptions = {}): JobDriver {
  const queues = new Map<string, Queue>();
  const scheduled = new Map<string, { job: ScheduledJob; next: number; running: boolean }>();
  // Claims are this driver's own: two drivers in one process (tests, or two workers) are two nodes.
  const owner = `${NODE_NAME}#${randomUUID().slice(0, 8)}`;
  const tickers: Ticker[] = [];
  const active = new Set<Promise<void>>();
  let started = false;
  let stopping = false;

  function pump(queue: Queue): void {
    while (!stopping && queue.running < queue.concurrency && queue.waiting.length > 0) {
      const job = queue.waiting.shift()!;
      queue.running++;
      const run = queue
        .handler(job.payload)
        .catch((error: unknown) => log.error({ err: error }, 'background job failed'))
        .finally(() => {
          queue.running--;
          if (job.key !== undefined) queue.keys.delete(job.key);
          active.delete(run);
          pump(queue);
        });
      active.add(run);
    }
  }

  /** Runs in the background, one run of a job at a time in this process; stop() waits for it. */
  function launch(entry: { job: ScheduledJob; running: boolean }, work: () => Promise<void>): void {
    entry.running = true;
    const run = work()
      .catch((error: unknown) => log.error({ err: error, job: entry.job.name }, 'scheduled job failed'))
      .finally(() => {
        entry.running = false;
        active.delete(run);
      });
    active.add(run);
  }

  /** Claims the due slots, then the "run now" requests. A slot missed while no node ran is skipped. */
  async function tickScheduled(ledger: JobLedger): Promise<void> {
    const now = Date.now();
    for (const entry of scheduled.values()) {
      if (now < entry.next) continue;
      const slot = slotAtOrBefore(entry.job.cron, now);
      entry.next = nextSlot(entry.job.cron, now);
      if (entry.running || options.dispatch !== undefined) continue;
      const name = entry.job.name;
      launch(entry, async () => {
        // The node that claims the slot runs it, unless a run of the job still goes on.
        if (!(await ledger.claimSlot(name, slot, owner))) return;
        await whileHoldingJob(ledger, name, owner, log, () => runWithRetries(ledger, entry.job, { slot, trigger: 'schedule' }, log, () => stopping));
      });
    }
    for (const request of await ledger.takeRequests([...scheduled.keys()])) {
      const entry = scheduled.get(request.job)!;
      if (options.dispatch !== undefined) await options.dispatch(entry.job, request);
      else launch(entry, () => runWithRetries(ledger, entry.job, { slot: request.requestedAt, tenantId: request.tenantId ?? undefined, trigger: 'manual' }, log, () => stopping));
    }
  }

  const driver: JobDriver = {
    register(queueName, handler, options) {
      queues.set(queueName, { handler: handler as (payload: unknown) => Promise<void>, concurrency: options?.concurrency ?? 1, running: 0, waiting: [], keys: new Set() });
    },
    enqueue(queueName, payload, options) {
      const queue = queues.get(queueName);
      if (queue === undefined) throw new Error(`no handler registered for queue ${queueName}`);
      if (stopping) return false;
      if (options?.key !== undefined) {
        if (queue.keys.has(options.key)) return false;
        queue.keys.add(options.key);
      }
      queue.waiting.push({ key: options?.key, payload });
      if (started) pump(queue);
      return true;
    },
    every(name, intervalMs, tick) {
      tickers.push({ name, intervalMs, tick, busy: false, failures: 0, pausedUntil: 0 });
    },
    schedule(job) {
      validateScheduledJob(job);
      if (scheduled.has(job.name)) throw new Error(`job ${job.name} is scheduled twice`);
      if (options.ledger === undefined) throw new Error('scheduled jobs need a job ledger');
      scheduled.set(job.name, { job, next: Infinity, running: false });
    },
    start() {
      if (started) return;
      started = true;
      const ledger = options.ledger;
      if (ledger !== undefined && scheduled.size > 0) {
        const now = Date.now();
        for (const entry of scheduled.values()) entry.next = nextSlot(entry.job.cron, now);
        const jobs = [...scheduled.values()].map((entry) => entry.job);
        let defined = false;
        driver.every('scheduled-jobs', options.pollMs ?? 1000, async () => {
          // Published once the database answers (it may be down at start).
          if (!defined) {
            await ledger.define(jobs, now);
            defined = true;
          }
          await tickScheduled(ledger);
        });
      }
      for (const ticker of tickers) {
        ticker.timer = setInterval(() => {
          if (ticker.busy || stopping || Date.now() < ticker.pausedUntil) return;
          ticker.busy = true;
          const ticking = ticker
            .tick()
            .then(() => {
              ticker.failures = 0;
            })
            .catch((error: unknown) => {
              ticker.failures++;
              const retryInMs = Math.min(ticker.intervalMs * 2 ** ticker.failures, TICK_BACKOFF_MAX_MS);
              ticker.pausedUntil = Date.now() + retryInMs;
              log.error({ err: error, ticker: ticker.name, failures: ticker.failures, retryInMs }, 'scheduler tick failed');
            })
            .finally(() => {
              ticker.busy = false;
              active.delete(ticking);
            });
          // stop() waits for a tick under way too: it may be using the database about to be closed.
          active.add(ticking);
        }, ticker.intervalMs);
        ticker.timer.unref();
      }
      for (const queue of queues.values()) pump(queue);
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      for (const ticker of tickers) clearInterval(ticker.timer);
      for (const queue of queues.values()) queue.waiting.length = 0;
      await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    },
  };
  return driver;
}
