import { Worker } from 'node:worker_threads';
import type { Config } from '../../config.ts';
import type { EventBus, LiveEvent } from '../../platform/events/event-bus.ts';
import type { IntegrationRow } from './integrations.tables.ts';
import type { SyncOutcomeView } from './integrations.schemas.ts';
import type { SyncRunner } from './sync.service.ts';

export type WorkerRequest = { type: 'sync'; requestId: number; tenantId: string; integrationId: string } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'stopped' }
  | { type: 'log'; message: string }
  | { type: 'event'; event: LiveEvent }
  | { type: 'result'; requestId: number; outcome?: SyncOutcomeView; error?: string };

const RESTART_DELAY_MS = 1_000;
const STOP_GRACE_MS = 15_000;
/** Three times V8's semi-space: 8 MiB semi-spaces. */
const SYNC_WORKER_YOUNG_GENERATION_MB = 24;

export interface SyncWorker extends SyncRunner {
  stop(): Promise<void>;
}

interface Log {
  error(obj: unknown, msg: string): void;
}

/**
 * Starts the sync worker (restarted if it dies) and forwards "sync now" requests to it. The worker
 * runs the same code as this thread: the TypeScript sources, or in the server bundle its
 * `sync-worker.js` entry (bin/bundle.ts points this URL there).
 */
export function startSyncWorker(config: Config, secretKey: string, log: Log, bus: EventBus): SyncWorker {
  const pending = new Map<number, { resolve: (outcome: SyncOutcomeView) => void; reject: (error: Error) => void }>();
  let nextRequestId = 1;
  let stopping = false;
  let worker: Worker;

  function spawn(): void {
    // None of this process's flags: process-wide ones (e.g. the test runner's) are refused there, and
    // a compile-time loader (tsx, when the tests run under it) would only cost the worker memory.
    // Its young generation bounded: V8 would size it as for the main thread (up to 192 MiB on a large
    // host), a lot of resident memory for occasional sync work.
    worker = new Worker(new URL('./sync-worker.ts', import.meta.url), {
      workerData: { config, secretKey }, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: SYNC_WORKER_YOUNG_GENERATION_MB },
    });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'log') log.error({ worker: 'sync' }, reply.message);
      if (reply.type === 'event') bus.publish(reply.event);
      if (reply.type !== 'result') return;
      const waiter = pending.get(reply.requestId);
      pending.delete(reply.requestId);
      if (reply.outcome !== undefined) waiter?.resolve(reply.outcome);
      else waiter?.reject(new Error(reply.error ?? 'sync failed'));
    });
    worker.on('error', (error) => log.error({ err: error }, 'sync worker failed'));
    worker.on('exit', (code) => {
      for (const waiter of pending.values()) waiter.reject(new Error('the sync worker stopped'));
      pending.clear();
      if (!stopping) {
        log.error({ code }, 'sync worker exited; restarting it');
        setTimeout(spawn, RESTART_DELAY_MS).unref();
      }
    });
  }
  spawn();

  return {
    syncNow(row: IntegrationRow) {
      const requestId = nextRequestId++;
      return new Promise<SyncOutcomeView>((resolve, reject) => {
        pending.set(requestId, { resolve, reject });
        worker.postMessage({ type: 'sync', requestId, tenantId: row.tenant_id, integrationId: row.id } satisfies WorkerRequest);
      });
    },
    async stop() {
      stopping = true;
      const stopped = new Promise<void>((resolve) => {
        worker.on('message', (reply: WorkerReply) => reply.type === 'stopped' && resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      await worker.terminate();
    },
  };
}
