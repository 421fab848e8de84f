import type { Selectable } from 'kysely';

/** The alert-rules module's tables (conventions in src/platform/db/schema.ts). */
export interface AlertRulesTable {
  id: string;
  tenant_id: string;
  name: string;
  /** telemetry | line_stopped | oee_below */
  kind: string;
  severity: string;
  enabled: number;
  // telemetry
  metric: string | null;
  /** Canonical JSON of the labels the series must have. */
  labels: string | null;
  aggregation: string | null;
  window_seconds: number | null;
  operator: string | null;
  threshold: number | null;
  /** telemetry and oee_below: how long the condition must hold before the rule fires. */
  for_seconds: number;
  // production
  line_id: number | null;
  minutes: number | null;
  target: number | null;
  // evaluation state (written by the one evaluator holding the tenant's slot)
  state: string;
  /** Since when the condition has held (pending or firing). */
  pending_since: number | null;
  firing_since: number | null;
  last_value: number | null;
  last_evaluated_at: number | null;
  last_error: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** Per tenant with rules: when its rules are next due; claimed by a conditional update, so one process evaluates each slot. */
export interface AlertRuleSchedulesTable {
  tenant_id: string;
  next_eval_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    alert_rules: AlertRulesTable;
    alert_rule_schedules: AlertRuleSchedulesTable;
  }
}

export type AlertRuleRow = Selectable<AlertRulesTable>;
