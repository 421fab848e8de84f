/**
 * Background work behind one interface. `local` runs jobs in this process (embedded default);
 * a `pg-boss` driver can implement the same interface for scale-out (jobs in PostgreSQL, each run
 * once across nodes). Periodic work is a ticker that enqueues due jobs; a job's own history lives
 * in `job_runs`.
 */
export interface JobDriver {
  /** Registers the handler of a queue, with how many of its jobs may run at once. */
  register<T>(queue: string, handler: (payload: T) => Promise<void>, options?: { concurrency?: number }): void;
  /** Adds a job; a job with the same key still waiting or running is not added twice. */
  enqueue<T>(queue: string, payload: T, options?: { key?: string }): boolean;
  /** Runs `tick` every `intervalMs` (never overlapping itself, backing off while it fails) until stopped. */
  every(name: string, intervalMs: number, tick: () => Promise<void>): void;
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

export function createLocalJobDriver(log: { error(obj: unknown, msg: string): void }): JobDriver {
  const queues = new Map<string, Queue>();
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

  return {
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
    start() {
      if (started) return;
      started = true;
      for (const ticker of tickers) {
        ticker.timer = setInterval(() => {
          if (ticker.busy || stopping || Date.now() < ticker.pausedUntil) return;
          ticker.busy = true;
          ticker
            .tick()
            .then(() => (ticker.failures = 0))
            .catch((error: unknown) => {
              ticker.failures++;
              const retryInMs = Math.min(ticker.intervalMs * 2 ** ticker.failures, TICK_BACKOFF_MAX_MS);
              ticker.pausedUntil = Date.now() + retryInMs;
              log.error({ err: error, ticker: ticker.name, failures: ticker.failures, retryInMs }, 'scheduler tick failed');
            })
            .finally(() => (ticker.busy = false));
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
}
