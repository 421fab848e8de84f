/**
 * Retention: what each module keeps for a limited time. A module lists its policies in
 * `ModuleDefinition.retention`; the retention job runs them all and reports what each removed.
 * The platform knows no tables: a policy removes its own module's rows.
 */
export interface RetentionPolicy {
  /** Names what it removes in the report, e.g. `telemetry.points` or `notifications.delivered`. */
  name: string;
  /**
   * Removes what is past its retention at `now` (in chunks, so other work goes on), for one tenant
   * when `tenantId` is given (an ADMIN's run) or for all; returns how many rows it removed, or
   * counts by kind (`{ rows, partitions }`). It must be safe to run again after a failure. A
   * policy with nothing configured returns 0.
   */
  purge(options: { now: number; tenantId?: string | undefined }): Promise<number | Record<string, number>>;
}

export interface RetentionReport {
  removed: Record<string, number | Record<string, number>>;
  failed: Record<string, string>;
}

/** Runs every policy, one after another; one that fails does not stop the others. */
export async function runRetention(policies: readonly RetentionPolicy[], options: { now: number; tenantId?: string | undefined }): Promise<RetentionReport> {
  const report: RetentionReport = { removed: {}, failed: {} };
  for (const policy of policies) {
    try {
      report.removed[policy.name] = await policy.purge(options);
    } catch (error) {
      report.failed[policy.name] = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    }
  }
  return report;
}
