/**
 * The background worker thread, with its own database connection: every module's jobs run here
 * (the integrations sync parses and writes vendor responses), off the event loop that serves the
 * API. It also answers "sync now" requests from the API thread, so each integration still syncs
 * once at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../config.ts';
import { openDatabase } from '../../platform/db/database.ts';
import type { EventBus } from '../../platform/events/event-bus.ts';
import { createJobDriver } from '../../platform/jobs/drivers.ts';
import { createLocalSharedState } from '../../platform/cluster-state/shared-state.ts';
import { createServices } from '../../services.ts';
import { jobContext, MODULES } from '../index.ts';
import type { WorkerReply, WorkerRequest } from './sync-worker-client.ts';

const { config, secretKey } = workerData as { config: Config; secretKey: string };
const port = parentPort!;
const post = (message: WorkerReply) => port.postMessage(message);

const db = openDatabase(config);
// Live events go to the API thread, which owns the live connections; nothing listens here.
const toApiThread: EventBus = { publish: (event) => post({ type: 'event', event }), subscribe: () => () => undefined };
// The API thread shares events with other nodes; nothing here needs Redis.
const services = createServices(config, db, secretKey, { ...createLocalSharedState(), bus: toApiThread });
const jobs = createJobDriver(config, services.jobsRepo.ledger, { error: (obj, msg) => post({ type: 'log', message: `${msg}: ${JSON.stringify(obj, (_, value: unknown) => (value instanceof Error ? value.message : value))}` }) });
const context = jobContext(services, config, db);
for (const module of MODULES) module.jobs?.(context, jobs);
jobs.start();

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'stop') {
    void jobs.stop().then(() => db.close()).finally(() => post({ type: 'stopped' }));
    return;
  }
  void (async () => {
    try {
      const row = await services.integrations.getRow(request.tenantId, request.integrationId);
      post({ type: 'result', requestId: request.requestId, outcome: await services.sync.syncNow(row) });
    } catch (error) {
      post({ type: 'result', requestId: request.requestId, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});

post({ type: 'ready' });
