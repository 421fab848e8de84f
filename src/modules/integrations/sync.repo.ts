import type { Kysely } from 'kysely';
import { newId } from '../../platform/ids.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';

/**
 * The sync's own records: each integration's sync state and the job runs. What a sync found is
 * written through the owning modules' write APIs (systems, alerts, vulnerabilities).
 */
export function createSyncRepo(db: Kysely<PlatformDatabase>) {
  return {
    async recordJobRun(run: { tenantId: string | null; job: string; subjectId: string | null; status: string; startedAt: number; finishedAt: number; detail: Record<string, unknown> }): Promise<void> {
      await db
        .insertInto('job_runs')
        .values({
          id: newId(run.startedAt), tenant_id: run.tenantId, job: run.job, subject_id: run.subjectId, status: run.status, started_at: run.startedAt,
          finished_at: run.finishedAt, duration_ms: run.finishedAt - run.startedAt, detail: JSON.stringify(run.detail), created_at: run.finishedAt, updated_at: run.finishedAt,
        })
        .execute();
    },

    async updateIntegrationSyncState(tenantId: string, integrationId: string, state: { status: string; error: string | null; consecutiveFailures: number; nextSyncAt: number; at: number }): Promise<void> {
      await db
        .updateTable('integrations')
        .set({
          last_sync_at: state.at,
          last_sync_status: state.status,
          last_error: state.error?.slice(0, 1000) ?? null,
          consecutive_failures: state.consecutiveFailures,
          next_sync_at: state.nextSyncAt,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', integrationId)
        .execute();
    },
  };
}

export type SyncRepo = ReturnType<typeof createSyncRepo>;
