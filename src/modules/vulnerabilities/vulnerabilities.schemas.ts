import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { PATCH_JOB_STATUSES, SEVERITIES, VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

export const PatchJob = Type.Object({
  id: Id,
  status: StringEnum(PATCH_JOB_STATUSES, { description: 'pending → in_progress → succeeded | failed | cancelled' }),
  requested_by: NullableId,
  requested_by_username: NullableString({ description: 'The username of requested_by; null when an API key or no user asked' }),
  note: NullableString(),
  scheduled_at: NullableTimestamp,
  started_at: NullableTimestamp,
  started_by: NullableId,
  started_by_username: NullableString({ description: 'The username of started_by; null when not started or not by a user' }),
  completed_at: NullableTimestamp,
  completed_by: NullableId,
  completed_by_username: NullableString({ description: 'The username of completed_by; null when not finished, confirmed by the feed or not by a user' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}, { description: '`completed_*`: when and by whom it reached succeeded, failed or cancelled; `completed_by` null on success means the feed confirmed it (the finding disappeared)' });

export const Vulnerability = Type.Object({
  id: Id,
  cve: Type.String(),
  title: Type.String(),
  severity: StringEnum(SEVERITIES, { description: 'The CVSS band of cvss_score when scored (9–10 critical, 7–8.9 high, 4–6.9 medium, 0.1–3.9 low, 0 info), else the vendor\'s severity; see severity_basis' }),
  severity_basis: StringEnum(['cvss', 'vendor'], { description: 'Where severity comes from' }),
  vendor_severity: NullableString({ description: 'The severity as the vendor reported it' }),
  cvss_score: Type.Unsafe<number | null>({ type: ['number', 'null'] }),
  system_id: NullableId,
  integration_id: NullableId,
  asset: Type.String(),
  package: NullableString(),
  version: NullableString(),
  fixed_version: NullableString(),
  status: StringEnum(VULNERABILITY_STATUSES),
  accepted_risk: Type.Union([
    Type.Object({
      accepted_by: NullableId,
      accepted_by_username: NullableString({ description: 'The username of accepted_by; null when not accepted by a user' }),
      accepted_at: Timestamp,
      reason: Type.String(),
      until: NullableTimestamp,
    }),
    Type.Null(),
  ], { description: 'Who accepted the risk, when, why and until when (status accepted_risk)' }),
  first_seen: Timestamp,
  last_seen: Timestamp,
  resolved_at: NullableTimestamp,
  resolved_by: NullableId,
  resolved_by_username: NullableString({ description: 'The username of resolved_by; null when not resolved, resolved by the feed or not by a user' }),
  updated_at: Timestamp,
});

export const VulnerabilityDetail = Type.Object({ ...Vulnerability.properties, patch_jobs: Type.Array(PatchJob) });

export const ListVulnerabilitiesQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    status: Type.Optional(StringEnum(VULNERABILITY_STATUSES)),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    cve: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'e.g. CVE-2024-3400' })),
    system_id: Type.Optional(Id),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only vulnerabilities changed after this instant' })),
  },
  { additionalProperties: false },
);
export const VulnerabilityTenantQuery = Type.Object(TenantQuery, { additionalProperties: false });
export const PatchJobParams = Type.Object({ id: Id, job_id: Id });
export const PatchBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 5000 })),
    scheduled_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the patch is planned (default: now)' })),
  },
  { additionalProperties: false },
);
export const UpdatePatchJobBody = Type.Object(
  {
    status: StringEnum(['in_progress', 'succeeded', 'failed', 'cancelled'], { description: 'pending → in_progress | failed | cancelled; in_progress → succeeded | failed | cancelled' }),
    note: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);
export const AcceptRiskBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 5000, description: 'Why the risk is accepted' }),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'When the acceptance ends (then the next sync reopens it if still reported); none = with no end date' })),
  },
  { additionalProperties: false },
);
export const ResolveVulnerabilityBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false });
export const VulnerabilityPage = pageOf(Vulnerability);

export type VulnerabilityView = Static<typeof Vulnerability>;
export type ListVulnerabilitiesInput = Static<typeof ListVulnerabilitiesQuery>;
export type UpdatePatchJobInput = Static<typeof UpdatePatchJobBody>;
export type AcceptRiskInput = Static<typeof AcceptRiskBody>;
