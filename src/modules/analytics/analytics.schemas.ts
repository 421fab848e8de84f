import { Type, type TInteger } from 'typebox';
import { NullableId, NullableString, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { SEVERITIES, type Severity } from '../security-domain/vocabulary.ts';

export const SeverityCounts = Type.Object(Object.fromEntries(SEVERITIES.map((severity) => [severity, Type.Integer()])) as Record<Severity, TInteger>);
const NullableNumber = Type.Unsafe<number | null>({ type: ['number', 'null'] });
const Stats = Type.Object({ count: Type.Integer(), mean_seconds: NullableNumber, median_seconds: NullableNumber });
const ResponseStats = Type.Object({
  time_to_acknowledge: Stats,
  time_to_resolve: Type.Object(Stats.properties, { description: 'Resolved by a person' }),
  time_to_clear_at_source: Type.Object(Stats.properties, { description: 'Cleared at the vendor with nobody resolving it: not a response time, reported apart' }),
}, { description: 'Seconds from the opening of an alert\'s current occurrence' });

export const IncidentsQuery = Type.Object(
  { ...TenantQuery, hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, default: 24, description: 'Window in hours (1-720)' })) },
  { additionalProperties: false },
);
export const Incidents = Type.Object({
  hours: Type.Integer(),
  from: Timestamp,
  to: Timestamp,
  total: Type.Integer(),
  by_severity: SeverityCounts,
  series: Type.Array(Type.Object({ start: Timestamp, total: Type.Integer(), by_severity: SeverityCounts }), { description: 'One entry per UTC hour, oldest first' }),
});

export const ResponseTimeQuery = Type.Object(
  { ...TenantQuery, days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'Window in days (1-365)' })) },
  { additionalProperties: false },
);
export const ResponseTime = Type.Object({
  days: Type.Integer(),
  from: Timestamp,
  to: Timestamp,
  overall: ResponseStats,
  by_severity: Type.Object({ critical: ResponseStats, high: ResponseStats, medium: ResponseStats, low: ResponseStats, info: ResponseStats }),
});

export const DistributionQuery = Type.Object(TenantQuery, { additionalProperties: false });
export const VulnerabilityDistribution = Type.Object({
  total: Type.Integer(),
  by_severity: SeverityCounts,
  by_cvss_band: Type.Object({ critical: Type.Integer(), high: Type.Integer(), medium: Type.Integer(), low: Type.Integer(), none: Type.Integer(), unknown: Type.Integer() }),
  by_severity_basis: Type.Object({ cvss: Type.Integer(), vendor: Type.Integer() }, { description: 'How many severities are CVSS bands and how many the vendor\'s (unscored findings)' }),
  severity_basis: Type.String({ description: 'How severity relates to CVSS' }),
  accepted_risk: Type.Integer({ description: 'Findings whose risk is accepted (not counted in total)' }),
  by_system: Type.Array(Type.Object({ system_id: NullableId, system: NullableString(), count: Type.Integer() })),
});
