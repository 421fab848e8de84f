/**
 * Alert rules (docs/requirements.md, PLT-13): per tenant, on telemetry (an aggregation over a
 * window against a threshold, held for a while) and on production (a line stopped for N minutes;
 * a line's OEE over its current shift below a target). CRUD with the fields each kind needs, and a
 * preview of what a rule would have fired over the last 24 hours.
 */
import type { Principal } from '../../platform/auth/principal.ts';
import { HttpError, badRequest, notFound, type FieldError } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { ProductionService } from '../production/production.service.ts';
import { canonicalLabels, aggregateValue, mergeStats, type Aggregation, type Stats, type TelemetryService } from '../telemetry/telemetry.service.ts';
import type { AlertRulesRepo } from './alert-rules.repo.ts';
import type { RuleInput, RuleKind, RuleView } from './alert-rules.schemas.ts';
import type { AlertRuleRow, AlertRulesTable } from './alert-rules.tables.ts';
import { compare, replay, type Firing, type Operator } from './conditions.ts';

const MINUTE_MS = 60_000;
const PREVIEW_MS = 24 * 3_600_000;

type KindField = 'metric' | 'labels' | 'aggregation' | 'window_seconds' | 'operator' | 'threshold' | 'for_seconds' | 'line_id' | 'minutes' | 'target';
const KIND_FIELDS: Record<RuleKind, { required: KindField[]; optional: KindField[] }> = {
  telemetry: { required: ['metric', 'aggregation', 'window_seconds', 'operator', 'threshold'], optional: ['labels', 'for_seconds'] },
  line_stopped: { required: ['line_id', 'minutes'], optional: [] },
  oee_below: { required: ['line_id', 'target'], optional: ['for_seconds'] },
};
const ALL_KIND_FIELDS: KindField[] = ['metric', 'labels', 'aggregation', 'window_seconds', 'operator', 'threshold', 'for_seconds', 'line_id', 'minutes', 'target'];

export type RuleDefinition = Pick<AlertRulesTable, 'kind' | KindField>;

export function ruleView(row: AlertRuleRow): RuleView {
  const kind = row.kind as RuleKind;
  const fields = [...KIND_FIELDS[kind].required, ...KIND_FIELDS[kind].optional];
  const definition: Record<string, unknown> = {};
  for (const field of fields) definition[field] = field === 'labels' ? JSON.parse(row.labels ?? '{}') : row[field];
  return {
    id: row.id, name: row.name, kind, severity: row.severity as RuleView['severity'], enabled: row.enabled === 1, ...definition,
    state: row.state as RuleView['state'], pending_since: toIsoOrNull(row.pending_since), firing_since: toIsoOrNull(row.firing_since),
    last_value: row.last_value, last_evaluated_at: toIsoOrNull(row.last_evaluated_at), last_error: row.last_error,
    created_at: toIso(row.created_at), updated_at: toIso(row.updated_at),
  };
}

/** The kind's fields from the input: each one it needs present, none of another kind's (400 naming them). */
function definitionOf(kind: RuleKind, input: RuleInput): RuleDefinition {
  const errors: FieldError[] = [];
  const { required, optional } = KIND_FIELDS[kind];
  for (const field of required) if (input[field] === undefined) errors.push({ field, message: `is required for ${kind} rules`, code: 'required' });
  for (const field of ALL_KIND_FIELDS) if (input[field] !== undefined && !required.includes(field) && !optional.includes(field)) errors.push({ field, message: `is not a field of ${kind} rules`, code: 'unknown_field' });
  if (errors.length > 0) throw badRequest(say(`The ${kind} rule is not complete`, `La regla de tipo ${kind} no está completa`), errors);
  return {
    kind,
    metric: input.metric ?? null,
    labels: kind === 'telemetry' ? canonicalLabels(input.labels ?? {}) : null,
    aggregation: input.aggregation ?? null,
    window_seconds: input.window_seconds ?? null,
    operator: input.operator ?? null,
    threshold: input.threshold ?? null,
    for_seconds: input.for_seconds ?? 0,
    line_id: input.line_id ?? null,
    minutes: input.minutes ?? null,
    target: input.target ?? null,
  };
}

/** The kind's fields of a stored rule, as input (to merge a PATCH into). */
function inputOf(row: AlertRuleRow): RuleInput {
  const view = ruleView(row) as RuleInput & Record<string, unknown>;
  return Object.fromEntries(ALL_KIND_FIELDS.filter((field) => view[field] !== undefined).map((field) => [field, view[field]])) as RuleInput;
}

export interface AlertRulesDeps {
  repo: AlertRulesRepo;
  telemetry: Pick<TelemetryService, 'statsAcross'>;
  production: Pick<ProductionService, 'lineStatus' | 'oee' | 'listDowntime'>;
  clock?: () => number;
}

export function createAlertRulesService(deps: AlertRulesDeps) {
  const { repo } = deps;
  const clock = deps.clock ?? Date.now;

  async function get(tenantId: string, id: string): Promise<AlertRuleRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Alert rule not found', 'No se ha encontrado la regla de alerta'));
    return row;
  }

  /** A production rule must name a line of the tenant's plant (400 otherwise, not the line's 404). */
  async function checkLine(tenantId: string, definition: RuleDefinition): Promise<void> {
    if (definition.line_id === null) return;
    try {
      await deps.production.lineStatus(tenantId, definition.line_id);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw badRequest(say('The line does not exist', 'La línea no existe'), [{ field: 'line_id', message: 'is not a line of this tenant', code: 'unknown_reference', params: { value: String(definition.line_id) } }]);
      throw error;
    }
  }

  /** Replays the last 24 hours once a minute, from minute rollups (the window rounded up to whole minutes). */
  async function previewTelemetry(tenantId: string, definition: RuleDefinition, from: number, to: number): Promise<{ firings: Firing[]; evaluations: number }> {
    const windowMinutes = Math.ceil(definition.window_seconds! / 60);
    const selector = { metric: definition.metric!, labels: JSON.parse(definition.labels!) as Record<string, string> };
    const minutes = await deps.telemetry.statsAcross(tenantId, selector, from - windowMinutes * MINUTE_MS, to, MINUTE_MS);
    const samples = [];
    for (let at = from; at <= to; at += MINUTE_MS) {
      let stats: Stats | undefined;
      for (let m = at - windowMinutes * MINUTE_MS; m < at; m += MINUTE_MS) {
        const cell = minutes.get(m);
        if (cell !== undefined) stats = mergeStats(stats, cell);
      }
      const value = aggregateValue(definition.aggregation as Aggregation, stats, windowMinutes * 60);
      samples.push({ at, value, holds: value !== null && compare(value, definition.operator as Operator, definition.threshold!) });
    }
    return { firings: replay(samples, definition.for_seconds * 1000), evaluations: samples.length };
  }

  async function preview(tenantId: string, definition: RuleDefinition) {
    const now = clock();
    const to = now - (now % MINUTE_MS);
    const from = to - PREVIEW_MS;
    let result: { firings: Firing[]; evaluations: number };
    let step = 60;
    if (definition.kind === 'telemetry') {
      result = await previewTelemetry(tenantId, definition, from, to);
    } else if (definition.kind === 'line_stopped') {
      // Every stop longer than N minutes would have fired N minutes in, until it ended.
      const stops = (await deps.production.listDowntime(tenantId, definition.line_id!, { from, to: now })).filter((stop) => stop.source === 'auto');
      const holdMs = definition.minutes! * MINUTE_MS;
      result = {
        evaluations: stops.length,
        firings: stops.flatMap((stop) => {
          const start = Date.parse(stop.start);
          const end = stop.end === null ? null : Date.parse(stop.end);
          return (end ?? now) - start >= holdMs ? [{ start: start + holdMs, end, value: Math.floor(((end ?? now) - start) / MINUTE_MS) }] : [];
        }),
      };
      step = 0;
    } else {
      // Each shift's OEE as a whole: it would have been below target for (at least) the end of the shift.
      const report = await deps.production.oee(tenantId, { line_id: definition.line_id!, from, to: now, group_by: 'shift' });
      const shifts = report.buckets.filter((bucket) => bucket.planned_seconds > 0);
      result = {
        evaluations: shifts.length,
        firings: shifts.filter((bucket) => bucket.oee !== null && bucket.oee < definition.target!)
          .map((bucket) => ({ start: Date.parse(bucket.start), end: Math.min(Date.parse(bucket.end), now) === now ? null : Date.parse(bucket.end), value: bucket.oee })),
      };
      step = 0;
    }
    return {
      from: toIso(from), to: toIso(now), step_seconds: step, evaluations: result.evaluations,
      firings: result.firings.map((firing) => ({ start: toIso(firing.start), end: toIsoOrNull(firing.end), value: firing.value })),
    };
  }

  return {
    get: async (tenantId: string, id: string) => ruleView(await get(tenantId, id)),

    async list(tenantId: string, query: { kind?: RuleKind; enabled?: boolean; limit?: number; cursor?: string }) {
      const limit = query.limit ?? 50;
      const beforeId = decodeCursor(query.cursor);
      const rows = await repo.list(tenantId, { ...(query.kind ? { kind: query.kind } : {}), ...(query.enabled !== undefined ? { enabled: query.enabled } : {}), ...(beforeId ? { beforeId } : {}), limit });
      return toPage(rows, limit, ruleView);
    },

    async create(tenantId: string, principal: Principal, input: RuleInput & { name: string; kind: RuleKind; severity: string }) {
      const definition = definitionOf(input.kind, input);
      await checkLine(tenantId, definition);
      const now = clock();
      const row: AlertRuleRow = {
        id: newId(now), tenant_id: tenantId, name: input.name, severity: input.severity, enabled: input.enabled === false ? 0 : 1, ...definition,
        state: 'ok', pending_since: null, firing_since: null, last_value: null, last_evaluated_at: null, last_error: null,
        created_by: principal.tenantId === null || principal.apiKey !== undefined ? null : principal.userId, created_at: now, updated_at: now,
      };
      await repo.insert(row);
      await repo.schedule(tenantId, now);
      return ruleView(row);
    },

    /** A changed definition starts the rule's evaluation afresh; its open alert stays open if it still fires. */
    async update(tenantId: string, id: string, input: RuleInput) {
      const current = await get(tenantId, id);
      const kind = input.kind ?? (current.kind as RuleKind);
      const merged = kind === current.kind ? { ...inputOf(current), ...input } : input;
      const definition = definitionOf(kind, merged);
      if (definition.line_id !== current.line_id) await checkLine(tenantId, definition);
      const now = clock();
      const changed = ALL_KIND_FIELDS.some((field) => definition[field] !== current[field]) || kind !== current.kind;
      await repo.update(tenantId, id, {
        ...definition,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.severity !== undefined ? { severity: input.severity } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
        ...(changed ? { state: 'ok', pending_since: null, firing_since: null, last_value: null } : {}),
        updated_at: now,
      });
      await repo.schedule(tenantId, now);
      return ruleView(await get(tenantId, id));
    },

    /** The rule goes; its open alert is resolved by the next evaluation of the tenant. */
    async delete(tenantId: string, id: string) {
      if (!(await repo.delete(tenantId, id))) throw notFound(say('Alert rule not found', 'No se ha encontrado la regla de alerta'));
      await repo.schedule(tenantId, clock());
    },

    async preview(tenantId: string, input: RuleInput & { kind: RuleKind }) {
      const definition = definitionOf(input.kind, input);
      await checkLine(tenantId, definition);
      return preview(tenantId, definition);
    },
  };
}

export type AlertRulesService = ReturnType<typeof createAlertRulesService>;
