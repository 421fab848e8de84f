import { Type, type Static } from 'typebox';
import { Id, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { SEVERITIES } from '../security-domain/vocabulary.ts';
import { Labels, Metric } from '../telemetry/telemetry.schemas.ts';
import { AGGREGATIONS } from '../telemetry/telemetry.service.ts';
import { OPERATORS } from './conditions.ts';

export const RULE_KINDS = ['telemetry', 'line_stopped', 'oee_below'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const RULE_STATES = ['ok', 'pending', 'firing'] as const;

const strict = { additionalProperties: false };
const NullableNumber = (options: object = {}) => Type.Unsafe<number | null>({ type: ['number', 'null'], ...options });

/** Every field a rule may have; which ones a kind needs is checked by the service (400 naming them). */
const RuleFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: StringEnum(RULE_KINDS, { description: 'telemetry: a metric aggregated over a window against a threshold; line_stopped: a line stopped for N minutes; oee_below: a line\'s OEE over its current shift below a target' }),
  severity: StringEnum(SEVERITIES),
  enabled: Type.Boolean(),
  metric: Metric,
  labels: Labels,
  aggregation: StringEnum(AGGREGATIONS),
  window_seconds: Type.Integer({ minimum: 10, maximum: 86_400, description: 'telemetry: the window the aggregation covers, ending at the evaluation' }),
  operator: StringEnum(OPERATORS),
  threshold: Type.Number(),
  for_seconds: Type.Integer({ minimum: 0, maximum: 86_400, description: 'telemetry and oee_below: how long the condition must hold before the rule fires (default 0)' }),
  line_id: Type.Integer({ minimum: 1 }),
  minutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'line_stopped: how long the line must have been stopped' }),
  target: Type.Number({ minimum: 0, maximum: 1, description: 'oee_below: the OEE target as a fraction (0.65 = 65 %), as the OEE API reports it' }),
};

const optional = Object.fromEntries(Object.entries(RuleFields).map(([key, schema]) => [key, Type.Optional(schema)])) as { [K in keyof typeof RuleFields]: ReturnType<typeof Type.Optional<(typeof RuleFields)[K]>> };

export const CreateRuleBody = Type.Object({ ...optional, name: RuleFields.name, kind: RuleFields.kind, severity: RuleFields.severity }, strict);
export const UpdateRuleBody = Type.Object(optional, { ...strict, minProperties: 1 });
export const PreviewBody = Type.Object({ ...optional, kind: RuleFields.kind }, strict);

export const Rule = Type.Object({
  id: Id,
  ...optional,
  name: RuleFields.name,
  kind: RuleFields.kind,
  severity: RuleFields.severity,
  enabled: Type.Boolean(),
  state: StringEnum(RULE_STATES, { description: 'ok; pending: the condition holds, not yet for for_seconds; firing: its alert is open' }),
  pending_since: NullableTimestamp,
  firing_since: NullableTimestamp,
  last_value: NullableNumber({ description: 'The value last evaluated (telemetry: the aggregation; line_stopped: minutes stopped; oee_below: the shift\'s OEE)' }),
  last_evaluated_at: NullableTimestamp,
  last_error: NullableString(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const RulePage = pageOf(Rule);

export const ListRulesQuery = Type.Object({ ...PageQuery, ...TenantQuery, kind: Type.Optional(StringEnum(RULE_KINDS)), enabled: Type.Optional(Type.Boolean()) }, strict);
export const RuleTenantQuery = Type.Object(TenantQuery, strict);

export const Preview = Type.Object({
  from: Timestamp,
  to: Timestamp,
  step_seconds: Type.Integer({ description: 'How far apart the replayed evaluations are' }),
  evaluations: Type.Integer(),
  firings: Type.Array(Type.Object({ start: Timestamp, end: NullableTimestamp, value: NullableNumber() }), { description: 'When the rule would have fired (and cleared; end null: still firing), oldest first' }),
});

export type RuleInput = Static<typeof UpdateRuleBody>;
export type RuleView = Static<typeof Rule>;
