import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { NotificationsDispatch } from './notifications.dispatch.ts';

const PRUNE_EVERY_MS = 60 * 60_000;

/** Announces alert changes and sends what is due, every `pollMs` (one tick does both, so a new alert goes out in the same tick). */
export function notificationsJobs(services: { notificationsDispatch: NotificationsDispatch; notifyPollMs: number }, driver: JobDriver): void {
  const { notificationsDispatch: dispatch } = services;
  driver.every('notifications', services.notifyPollMs, async () => {
    await dispatch.scan();
    await dispatch.deliverDue();
  });
  driver.every('notifications-prune', PRUNE_EVERY_MS, async () => {
    await dispatch.prune();
  });
}
