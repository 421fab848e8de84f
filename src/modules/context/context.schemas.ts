import { Type } from 'typebox';
import { Id, NullableId, NullableString, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { SeverityCounts } from '../analytics/analytics.schemas.ts';
import { SystemStatusCounts } from '../systems/systems.schemas.ts';
import { ALERT_STATUSES, SEVERITIES, SYSTEM_STATUSES, VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

const NullableNumber = Type.Unsafe<number | null>({ type: ['number', 'null'] });

export const SummaryQuery = Type.Object(TenantQuery, { additionalProperties: false });

/**
 * The security summary for AI assistants; docs/context.md explains every field and its bounds.
 * Its systems and alerts use the field names of the systems and alerts lists.
 */
export const SecuritySummary = Type.Object({
  generated_at: Timestamp,
  tenant: Type.Object({ id: Id, name: NullableString() }),
  systems: Type.Object({
    ...SystemStatusCounts.properties,
    needing_attention: Type.Array(Type.Object({
      id: Id, system: Type.String(), status: StringEnum(SYSTEM_STATUSES), status_summary: NullableString(),
    }), { description: 'Systems not online, worst first (at most 10)' }),
  }),
  alerts: Type.Object({
    open: Type.Integer(),
    open_by_severity: SeverityCounts,
    most_important: Type.Array(Type.Object({
      id: Id, title: Type.String(), severity: StringEnum(SEVERITIES), status: StringEnum(ALERT_STATUSES),
      source: Type.String(), system_id: NullableId, system_name: NullableString(), asset: NullableString(), last_seen: Timestamp,
    }), { description: 'Open alerts, most severe and most recent first (at most 10)' }),
  }),
  vulnerabilities: Type.Object({
    open: Type.Integer(),
    open_by_severity: SeverityCounts,
    critical: Type.Array(Type.Object({
      id: Id, cve: Type.String(), asset: Type.String(), package: NullableString(), cvss_score: NullableNumber,
      status: StringEnum(VULNERABILITY_STATUSES),
    }), { description: 'Open critical findings, highest CVSS first (at most 10)' }),
  }),
  trend_24h: Type.Object({ alerts_opened: Type.Integer(), alerts_opened_by_severity: SeverityCounts, alerts_resolved: Type.Integer() }),
}, { description: 'See docs/context.md for every field' });
