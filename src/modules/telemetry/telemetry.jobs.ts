import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { TelemetryService } from './telemetry.service.ts';

const RETENTION_EVERY_MS = 60 * 60_000;

/** Hourly, in the background worker: what is past each tenant's retention is deleted (several processes doing it at once delete the same rows). */
export function telemetryJobs(services: { telemetry: Pick<TelemetryService, 'applyRetention'> }, driver: JobDriver): void {
  driver.every('telemetry-retention', RETENTION_EVERY_MS, async () => {
    await services.telemetry.applyRetention();
  });
}
