/**
 * Evaluates each tenant's rules on a schedule and keeps their alerts in the security dashboard's
 * `alerts` table through its feed write API: every rule firing now is reported, so an alert opens
 * when a rule fires, stays one alert while it keeps firing, and is resolved when the rule clears
 * (or is disabled or deleted); the dashboard's dedup and reopen rules apply as to any feed.
 *
 * A tenant's rules are evaluated together, by whichever process claims the tenant's slot (a
 * conditional update), so each rule is evaluated once per interval however many processes run.
 */
import type { Updateable } from 'kysely';
import type { AuditEntry, AuditSink } from '../../platform/audit-sink.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import { newId } from '../../platform/ids.ts';
import type { JobDriver } from '../../platform/jobs/job-driver.ts';
import type { AlertChanges, AlertsMerge, NormalizedAlert } from '../alerts/alerts.merge.ts';
import { alertEvent } from '../alerts/alerts.service.ts';
import type { ProductionService } from '../production/production.service.ts';
import type { Severity } from '../security-domain/vocabulary.ts';
import type { SystemsMerge } from '../systems/systems.merge.ts';
import { aggregateValue, type Aggregation, type TelemetryService } from '../telemetry/telemetry.service.ts';
import { RULES_INTEGRATION_TYPE, type AlertRulesRepo } from './alert-rules.repo.ts';
import type { AlertRuleRow, AlertRulesTable } from './alert-rules.tables.ts';
import { advance, compare, type HoldState, type Operator } from './conditions.ts';

/** What the alerts show as the source and the system of rule alerts. */
export const RULES_SOURCE = 'Sentinel rules';
/** Tenants evaluated per tick; the rest are due on the next. */
const TENANTS_PER_TICK = 200;

interface Observation {
  holds: boolean;
  value: number | null;
  /** When the condition began, when the source knows (a line stopped since). */
  since?: number;
  holdMs: number;
  description: string;
  asset: string;
}

export interface RuleEvaluatorDeps {
  repo: AlertRulesRepo;
  telemetry: Pick<TelemetryService, 'statsAcross'>;
  production: Pick<ProductionService, 'lineStatus' | 'oee'>;
  alerts: AlertsMerge;
  systems: SystemsMerge;
  publish(event: LiveEvent): void;
  /** Where the rules' resolutions and reopenings are audited. */
  audit: Pick<AuditSink, 'recordMany'>;
  /** Runs `work` in one transaction of the platform database (`Db.transaction`): an alert change commits with its audit entries. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** How often each tenant's rules are evaluated (`SENTINEL_RULES_EVAL_SECONDS`). */
  intervalMs: number;
  clock?: () => number;
}

const fmt = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, ''));
const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

function labelsText(labels: string): string {
  const entries = Object.entries(JSON.parse(labels) as Record<string, string>);
  return entries.length === 0 ? '' : `{${entries.map(([key, value]) => `${key}="${value}"`).join(',')}}`;
}

export function createRuleEvaluator(deps: RuleEvaluatorDeps) {
  const clock = deps.clock ?? Date.now;

  async function observe(tenantId: string, rule: AlertRuleRow, now: number): Promise<Observation> {
    if (rule.kind === 'telemetry') {
      const windowMs = rule.window_seconds! * 1000;
      const stats = await deps.telemetry.statsAcross(tenantId, { metric: rule.metric!, labels: JSON.parse(rule.labels!) as Record<string, string> }, now - windowMs, now, null);
      const value = aggregateValue(rule.aggregation as Aggregation, stats.values().next().value, rule.window_seconds!);
      const series = `${rule.metric}${labelsText(rule.labels!)}`;
      return {
        holds: value !== null && compare(value, rule.operator as Operator, rule.threshold!), value, holdMs: rule.for_seconds * 1000, asset: series,
        description: `${rule.aggregation}(${series}) over ${rule.window_seconds} s is ${value === null ? 'without data' : fmt(value)}; the rule fires when it is ${rule.operator} ${fmt(rule.threshold!)}${rule.for_seconds > 0 ? ` for ${rule.for_seconds} s` : ''}.`,
      };
    }
    const status = await deps.production.lineStatus(tenantId, rule.line_id!);
    const asset = `${status.line_name} (line ${rule.line_id})`;
    if (rule.kind === 'line_stopped') {
      const since = status.since === null ? now : Date.parse(status.since);
      const stopped = status.state === 'stopped';
      return {
        holds: stopped, since, value: stopped ? Math.floor((now - since) / 60_000) : 0, holdMs: rule.minutes! * 60_000, asset,
        description: `Line ${status.line_name} has been stopped since ${new Date(since).toISOString()}; the rule fires after ${rule.minutes} minutes stopped.`,
      };
    }
    // oee_below: the current shift's OEE so far; nothing to judge outside shifts.
    if (status.shift === null) return { holds: false, value: null, holdMs: 0, asset, description: '' };
    const oee = (await deps.production.oee(tenantId, { line_id: rule.line_id!, from: Date.parse(status.shift.start), to: now, group_by: 'none' })).totals.oee;
    return {
      holds: oee !== null && oee < rule.target!, value: oee, holdMs: rule.for_seconds * 1000, asset,
      description: `OEE of line ${status.line_name} in shift ${status.shift.shift_name} (since ${status.shift.start}) is ${oee === null ? 'unknown' : percent(oee)}, below the target of ${percent(rule.target!)}.`,
    };
  }

  const alertOf = (rule: AlertRuleRow, firingSince: number, observed: Pick<Observation, 'description' | 'asset'>): NormalizedAlert => ({
    external_id: `rule:${rule.id}`, title: rule.name, description: observed.description, severity: rule.severity as Severity, vendor_severity: rule.severity,
    source: RULES_SOURCE, time: firingSince, asset: observed.asset,
  });

  /** The tenant's rules system (and the integration it belongs to), created on first use. */
  async function rulesFeed(tenantId: string, now: number) {
    let integration = await deps.repo.rulesIntegration(tenantId);
    // The name is unique per tenant: a tenant's own integration called so leaves the built-in one another name.
    for (const name of [RULES_SOURCE, `${RULES_SOURCE} (built-in)`]) {
      if (integration !== undefined) break;
      await deps.repo.insertRulesIntegration(tenantId, newId(now), name, now);
      integration = await deps.repo.rulesIntegration(tenantId);
    }
    if (integration === undefined) throw new Error(`tenant ${tenantId}: the rules integration could not be created`);
    const system = await deps.systems.ensureForIntegration(tenantId, integration.id, RULES_SOURCE, RULES_INTEGRATION_TYPE, now);
    return { integrationId: integration.id, integrationName: integration.name, systemId: system.id, resolveMissing: true };
  }

  /**
   * The rules' resolutions and reopenings, audited as a sync audits its reopenings: in the tenant,
   * by the rules' integration (no user acts), one entry per alert.
   */
  function auditEntries(tenantId: string, feed: { integrationId: string; integrationName: string }, changes: AlertChanges): AuditEntry[] {
    const by = { outcome: 'success' as const, tenantId, actorId: null, actorUsername: `integration:${feed.integrationName}`.slice(0, 200), resourceType: 'alert' };
    return [
      ...changes.resolved.map((alert) => ({ ...by, action: 'alert.resolve', resourceId: alert.id, detail: { integration_id: feed.integrationId, automatic: true } })),
      ...changes.reopened.map(({ id, previous_status, reason }) => ({ ...by, action: 'alert.reopen', resourceId: id, detail: { integration_id: feed.integrationId, previous_status, reason } })),
    ];
  }

  /** Evaluates every rule of the tenant once and brings its alerts in line. */
  async function evaluateTenant(tenantId: string): Promise<void> {
    const now = clock();
    const firing: NormalizedAlert[] = [];
    const verdicts: { id: string; changes: Updateable<AlertRulesTable> }[] = [];
    for (const rule of await deps.repo.list(tenantId, { enabled: true })) {
      // SQLite answers without giving the event loop back: requests are served between rules.
      await new Promise((resolve) => setImmediate(resolve));
      const previous: HoldState = { pending_since: rule.pending_since, firing_since: rule.firing_since };
      let observed: Observation;
      try {
        observed = await observe(tenantId, rule, now);
      } catch (error) {
        // No verdict (a plant database unreachable …): the rule keeps its state, and its alert stays as it was.
        verdicts.push({ id: rule.id, changes: { last_evaluated_at: now, last_error: error instanceof Error ? error.message.slice(0, 500) : 'evaluation failed' } });
        if (rule.firing_since !== null) firing.push(alertOf(rule, rule.firing_since, { description: 'The rule could not be evaluated; its last verdict stands.', asset: '' }));
        continue;
      }
      const next = advance(previous, observed.holds, now, observed.holdMs, observed.since);
      if (next.firing_since !== null) firing.push(alertOf(rule, next.firing_since, observed));
      verdicts.push({
        id: rule.id,
        changes: {
          state: next.firing_since !== null ? 'firing' : next.pending_since !== null ? 'pending' : 'ok',
          pending_since: next.pending_since, firing_since: next.firing_since, last_value: observed.value, last_evaluated_at: now, last_error: null,
        },
      });
    }
    await deps.repo.updateMany(tenantId, verdicts);
    if (firing.length === 0 && (await deps.repo.rulesIntegration(tenantId)) === undefined) return;
    const feed = await rulesFeed(tenantId, now);
    const changes = await deps.transaction(async () => {
      const merged = await deps.alerts.mergeFromFeed(tenantId, feed, firing, now);
      await deps.audit.recordMany(auditEntries(tenantId, feed, merged));
      return merged;
    });
    // The same events, and the same status of the rules' system, as a vendor's sync gives.
    for (const alert of changes.created) deps.publish(alertEvent('alert.created', tenantId, alert));
    for (const alert of changes.updated) deps.publish(alertEvent('alert.updated', tenantId, alert));
    for (const alert of changes.resolved) deps.publish(alertEvent('alert.resolved', tenantId, alert));
    for (const { previous_status, reason, ...alert } of changes.reopened) {
      deps.publish({ ...alertEvent('alert.updated', tenantId, alert), change: 'reopened', previous_status, reason });
    }
    for (const change of await deps.systems.refreshStatus(tenantId, [feed.systemId], now)) deps.publish({ type: 'system.status_changed', tenant_id: tenantId, ...change });
  }

  return {
    evaluateTenant,

    /** Claims and evaluates the tenants that are due; another process that claimed one first evaluates it instead. */
    async evaluateDue(): Promise<void> {
      const failures: unknown[] = [];
      for (const due of await deps.repo.due(clock(), TENANTS_PER_TICK)) {
        if (!(await deps.repo.claim(due.tenant_id, due.next_eval_at, clock() + deps.intervalMs))) continue;
        try {
          await evaluateTenant(due.tenant_id);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `alert rules: ${failures.length} tenant(s) failed`);
    },

    /** Checks for due tenants every second (or every interval, when shorter). */
    schedule(driver: JobDriver): void {
      driver.every('alert-rules-evaluate', Math.min(1_000, deps.intervalMs), () => this.evaluateDue());
    },
  };
}

export type RuleEvaluator = ReturnType<typeof createRuleEvaluator>;
