/**
 * The background sync, in a worker thread with its own database connection: vendor responses are
 * parsed and written here, off the event loop that serves the API. It runs the scheduler and answers
 * "sync now" requests from the API thread, so each integration still syncs once at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../config.ts';
import { openDatabase } from '../../platform/db/database.ts';
import { createLocalJobDriver } from '../../platform/jobs/job-driver.ts';
import { createIntegrationServices } from './index.ts';
import type { WorkerReply, WorkerRequest } from './sync-worker-client.ts';

const { config, secretKey } = workerData as { config: Config; secretKey: string };
const port = parentPort!;
const post = (message: WorkerReply) => port.postMessage(message);

const db = openDatabase(config);
// Live events from the sync go to the API thread, which owns the event bus.
const { integrationsRepo, sync } = createIntegrationServices(config, db, secretKey, (event) => post({ type: 'event', event }));
const jobs = createLocalJobDriver({ error: (obj, msg) => post({ type: 'log', message: `${msg}: ${String((obj as { err?: unknown }).err ?? obj)}` }) });
sync.schedule(jobs);
jobs.start();

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'stop') {
    void jobs.stop().then(() => db.close()).finally(() => post({ type: 'stopped' }));
    return;
  }
  void (async () => {
    try {
      const row = await integrationsRepo.find(request.tenantId, request.integrationId);
      if (row === undefined) post({ type: 'result', requestId: request.requestId, error: 'integration not found' });
      else post({ type: 'result', requestId: request.requestId, outcome: await sync.syncNow(row) });
    } catch (error) {
      post({ type: 'result', requestId: request.requestId, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});

post({ type: 'ready' });
