import type { IntegrationRow } from './integrations.tables.ts';
import type { AlertsMerge } from '../alerts/alerts.merge.ts';
import { alertEvent } from '../alerts/alerts.service.ts';
import type { SystemsMerge } from '../systems/systems.merge.ts';
import type { VulnerabilitiesMerge } from '../vulnerabilities/vulnerabilities.merge.ts';
import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { IntegrationsRepo } from './integrations.repo.ts';
import type { SyncOutcomeView } from './integrations.schemas.ts';
import type { IntegrationType } from '../security-domain/vocabulary.ts';
import { mean } from './providers/common.ts';
import type { Capability, CheckResult, ProviderContext, ProviderDefinition, StatusReport } from './providers/types.ts';
import type { SyncRepo } from './sync.repo.ts';
import { ProviderError } from './vendor-http.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import type { AuditSink } from '../../platform/audit-sink.ts';

/** After this many failed syncs in a row the breaker opens: the vendor is polled less and less. */
const BREAKER_THRESHOLD = 3;
const BREAKER_MAX_DELAY_MS = 15 * 60_000;
/** Random spread added to each interval so that integrations do not all poll in the same second. */
const JITTER = 0.1;
const SCHEDULER_TICK_MS = 1_000;
/**
 * Syncs running at once: a slow vendor occupies one slot, not the others; few enough that a burst
 * of large vendor answers does not take both cores of a small machine from the API.
 */
const SYNC_CONCURRENCY = 3;
const SYNC_QUEUE = 'integration-sync';
/** Most resolutions one sync writes back to a vendor; the rest follow at the next syncs. */
const WRITE_BACK_BATCH = 500;

interface SyncDeps {
  /** Where live events about what the sync changed go (the event bus, or the worker's parent). */
  publish(event: LiveEvent): void;
  /** Where what the sync does on its own that people must be able to trace (a reopened alert) is recorded. */
  audit: Pick<AuditSink, 'recordMany'>;
  syncRepo: SyncRepo;
  /** The owning modules' write APIs, over the same connection as syncRepo. */
  systems: SystemsMerge;
  alerts: AlertsMerge;
  vulnerabilities: VulnerabilitiesMerge;
  integrationsRepo: IntegrationsRepo;
  contextFor(row: IntegrationRow): Promise<ProviderContext>;
  definitionOf(row: IntegrationRow): ProviderDefinition;
  findIntegration(tenantId: string, id: string): Promise<IntegrationRow | undefined>;
}

/** A connection check that failed: its detail already says why (unreachable, token refused …). */
class FailedCheck extends ProviderError {
  constructor(probe: CheckResult) {
    super(probe.reason ?? 'vendor_error', `connection check failed: ${probe.detail}`);
  }
}

const errorText = (error: unknown) => (error instanceof ProviderError ? `${error.kind}: ${error.message}` : 'internal error while syncing');

/** When the next sync is due: the interval with jitter, stretched exponentially while failing. */
export function nextSyncDelayMs(intervalSeconds: number, consecutiveFailures: number, random = Math.random()): number {
  const base = intervalSeconds * 1000 * (1 + JITTER * (2 * random - 1));
  if (consecutiveFailures < BREAKER_THRESHOLD) return Math.round(base);
  return Math.round(Math.min(Math.max(base, base * 2 ** (consecutiveFailures - BREAKER_THRESHOLD + 1)), Math.max(BREAKER_MAX_DELAY_MS, base)));
}

/**
 * Polls vendors and writes what they report. Each integration syncs on its own interval, at most one
 * sync per integration at a time (a second request joins the running one), at most
 * SYNC_CONCURRENCY fetching at once; vendor calls happen before any database write, so a slow vendor
 * never holds a lock, and the writes of different syncs take turns.
 */
export function createSyncService(deps: SyncDeps) {
  const running = new Map<string, Promise<SyncOutcomeView>>();
  // Writes of different syncs take turns: one merge at a time (with its own yields), so the CPU
  // they need is spread out and API requests are served in between.
  let writeLane: Promise<unknown> = Promise.resolve();
  const inWriteLane = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = writeLane.then(work);
    writeLane = turn.catch(() => undefined);
    return turn;
  };

  async function collect(row: IntegrationRow, capabilities: Capability[]) {
    const definition = deps.definitionOf(row);
    const ctx = await deps.contextFor(row);
    const provider = definition.provider;
    ctx.http.latencies.length = 0;
    const status: StatusReport | undefined = capabilities.includes('STATUS') ? await provider.fetchStatus(ctx) : undefined;
    const since = row.last_sync_status === 'success' ? (row.last_sync_at ?? undefined) : undefined;
    const alerts = capabilities.includes('ALERTING') && provider.fetchAlerts ? await provider.fetchAlerts(ctx, since) : undefined;
    const vulnerabilities = capabilities.includes('VULNERABILITY_FEED') && provider.fetchVulnerabilities ? await provider.fetchVulnerabilities(ctx) : undefined;
    // Fed by none of them (METRICS only), the sync still asks the vendor: a system is not
    // recorded as reachable, nor the sync as a success, without one answer from it.
    if (status === undefined && alerts === undefined && vulnerabilities === undefined) {
      const probe = await provider.check(ctx);
      if (!probe.ok) throw new FailedCheck(probe);
    }
    return { status, alerts, vulnerabilities, responseTimeAvg: mean(ctx.http.latencies) };
  }

  /**
   * With `write_back_resolutions`, closes at the vendor what people resolved here and the vendor
   * still reports (after the merge, outside the write lane: it is a vendor call). A failure does
   * not fail the sync: those alerts are still reported, so the next sync tries again.
   */
  async function writeBack(row: IntegrationRow, definition: ProviderDefinition, capabilities: Capability[]): Promise<{ resolutions_written_back?: number; write_back_error?: string }> {
    const config = JSON.parse(row.config) as { write_back_resolutions?: boolean };
    const provider = definition.provider;
    if (config.write_back_resolutions !== true || provider.writeBackResolutions === undefined || !capabilities.includes('ALERTING')) return {};
    const externalIds = await deps.alerts.resolvedByPeopleStillReported(row.tenant_id, row.id, WRITE_BACK_BATCH);
    if (externalIds.length === 0) return { resolutions_written_back: 0 };
    try {
      return { resolutions_written_back: await provider.writeBackResolutions(await deps.contextFor(row), externalIds) };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return { resolutions_written_back: 0, write_back_error: errorText(error) };
    }
  }

  /** Reopenings the feed caused, in the audit log under the integration's name (in the merge's transaction). */
  function auditReopened(tenantId: string, row: IntegrationRow, resourceType: 'alert' | 'vulnerability') {
    return (reopened: { id: string; previous_status: string; reason: string }[]) => deps.audit.recordMany(reopened.map(({ id, previous_status, reason }) => ({
      action: `${resourceType}.reopen`, outcome: 'success', tenantId, actorId: null, actorUsername: `integration:${row.name}`.slice(0, 200),
      resourceType, resourceId: id, detail: { integration_id: row.id, previous_status, reason },
    })));
  }

  /** The system's status after its vendor's health or its alerts changed; a change goes live. */
  async function publishStatusChanges(tenantId: string, systemId: string, now: number): Promise<void> {
    for (const change of await deps.systems.refreshStatus(tenantId, [systemId], now)) deps.publish({ type: 'system.status_changed', tenant_id: tenantId, ...change });
  }

  async function sync(row: IntegrationRow): Promise<SyncOutcomeView> {
    const started = Date.now();
    const definition = deps.definitionOf(row);
    const capabilities = JSON.parse(row.capabilities) as Capability[];
    const config = JSON.parse(row.config) as { poll_interval_seconds: number };
    const system = await deps.systems.ensureForIntegration(row.tenant_id, row.id, row.name, row.type, started);
    let outcome: SyncOutcomeView;
    try {
      const found = await collect(row, capabilities);
      const tenant = row.tenant_id;
      await inWriteLane(async () => {
        const now = Date.now();
        await deps.systems.recordStatus(tenant, system.id, {
          status: found.status?.status ?? 'online', summary: found.status?.summary ?? 'Reachable', uptimeSeconds: found.status?.metrics.uptime ?? null,
          apiLatencyMs: found.status?.metrics.response_time_avg ?? found.responseTimeAvg, reachable: true,
        }, now);
        if (found.status !== undefined) await deps.systems.replaceAssets(tenant, system.id, found.status.assets, now);
        if (found.alerts !== undefined) {
          const feed = { integrationId: row.id, systemId: system.id, resolveMissing: definition.alertMode !== 'events' };
          const changes = await deps.alerts.mergeFromFeed(tenant, feed, found.alerts, now, auditReopened(tenant, row, 'alert'));
          for (const alert of changes.created) deps.publish(alertEvent('alert.created', tenant, alert));
          for (const alert of changes.updated) deps.publish(alertEvent('alert.updated', tenant, alert));
          for (const alert of changes.resolved) deps.publish(alertEvent('alert.resolved', tenant, alert));
          for (const { previous_status, reason, ...alert } of changes.reopened) {
            deps.publish({ ...alertEvent('alert.updated', tenant, alert), change: 'reopened', previous_status, reason });
          }
        }
        if (found.vulnerabilities !== undefined) {
          const auditVulnerabilities = auditReopened(tenant, row, 'vulnerability');
          const changes = await deps.vulnerabilities.mergeFromFeed(tenant, { integrationId: row.id, systemId: system.id }, found.vulnerabilities, now, (reopened) =>
            auditVulnerabilities(reopened.map(({ id, previous_status }) => ({ id, previous_status, reason: previous_status === 'resolved' ? 'reported_again' : 'acceptance_expired' }))));
          for (const id of changes.created) deps.publish({ type: 'vulnerability.updated', tenant_id: tenant, id, change: 'created', status: 'open' });
          for (const id of changes.resolved) deps.publish({ type: 'vulnerability.updated', tenant_id: tenant, id, change: 'resolved', status: 'resolved' });
          for (const { id, previous_status } of changes.reopened) {
            deps.publish({ type: 'vulnerability.updated', tenant_id: tenant, id, change: 'reopened', status: 'open', previous_status });
          }
        }
        await publishStatusChanges(tenant, system.id, now);
      });
      outcome = {
        status: 'success', systems: 1, assets: found.status?.assets.length ?? 0, alerts: found.alerts?.length ?? 0,
        vulnerabilities: found.vulnerabilities?.length ?? 0, duration_ms: 0, ...(await writeBack(row, definition, capabilities)),
      };
      outcome.duration_ms = Date.now() - started;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // An unreachable or failing vendor: the system shows `alert` with the reason; its alerts and
      // vulnerabilities are left as they were (absence of data is not resolution).
      const now = Date.now();
      await deps.systems.recordStatus(row.tenant_id, system.id, { status: 'alert', summary: `${definition.label} sync failed: ${errorText(error)}`, uptimeSeconds: null, apiLatencyMs: null, reachable: false }, now);
      await publishStatusChanges(row.tenant_id, system.id, now);
      outcome = { status: 'error', systems: 1, assets: 0, alerts: 0, vulnerabilities: 0, duration_ms: Date.now() - started, error: errorText(error) };
    }
    const finished = Date.now();
    const failures = outcome.status === 'error' ? row.consecutive_failures + 1 : 0;
    await deps.syncRepo.updateIntegrationSyncState(row.tenant_id, row.id, {
      status: outcome.status, error: outcome.error ?? null, consecutiveFailures: failures, at: finished,
      nextSyncAt: finished + nextSyncDelayMs(config.poll_interval_seconds, failures),
    });
    await deps.syncRepo.recordJobRun({
      tenantId: row.tenant_id, job: SYNC_QUEUE, subjectId: row.id, status: outcome.status, startedAt: started, finishedAt: finished,
      detail: { ...outcome, type: row.type as IntegrationType, consecutive_failures: failures },
    });
    return outcome;
  }

  /** Syncs one integration now, or joins the sync already running for it. */
  function syncNow(row: IntegrationRow): Promise<SyncOutcomeView> {
    const current = running.get(row.id);
    if (current !== undefined) return current;
    const run = sync(row).finally(() => running.delete(row.id));
    running.set(row.id, run);
    return run;
  }

  return {
    syncNow,

    /** Wires the periodic sync into a job driver: a ticker claims due integrations and enqueues them. */
    schedule(jobs: JobDriver): void {
      jobs.register<{ tenantId: string; id: string }>(SYNC_QUEUE, async ({ tenantId, id }) => {
        const row = await deps.findIntegration(tenantId, id);
        if (row !== undefined && row.enabled === 1) await syncNow(row);
      }, { concurrency: SYNC_CONCURRENCY });
      jobs.every('integration-sync-scheduler', SCHEDULER_TICK_MS, async () => {
        const now = Date.now();
        for (const due of await deps.integrationsRepo.due(now, 100)) {
          if (running.has(due.id)) continue;
          // Claim it first (a lease of a few minutes): on several nodes only one wins; the sync sets the real next time.
          if (await deps.integrationsRepo.claim(due.tenant_id, due.id, due.next_sync_at, now + 5 * 60_000)) {
            jobs.enqueue(SYNC_QUEUE, { tenantId: due.tenant_id, id: due.id }, { key: due.id });
          }
        }
      });
    },
  };
}

export type SyncService = ReturnType<typeof createSyncService>;

/** Runs a sync now: the in-process service, or the sync worker on its behalf. */
export interface SyncRunner {
  syncNow(row: IntegrationRow): Promise<SyncOutcomeView>;
}
