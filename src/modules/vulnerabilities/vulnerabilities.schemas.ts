import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { SEVERITIES, VULNERABILITY_STATUSES } from '../security-domain/vocabulary.ts';

export const PatchJob = Type.Object({
  id: Id,
  status: StringEnum(['pending', 'completed', 'cancelled']),
  requested_by: NullableId,
  note: NullableString(),
  scheduled_at: NullableTimestamp,
  completed_at: NullableTimestamp,
  created_at: Timestamp,
});

export const Vulnerability = Type.Object({
  id: Id,
  cve: Type.String(),
  title: Type.String(),
  severity: StringEnum(SEVERITIES),
  cvss_score: Type.Unsafe<number | null>({ type: ['number', 'null'] }),
  system_id: NullableId,
  integration_id: NullableId,
  asset: Type.String(),
  package: NullableString(),
  version: NullableString(),
  fixed_version: NullableString(),
  status: StringEnum(VULNERABILITY_STATUSES),
  first_seen: Timestamp,
  last_seen: Timestamp,
  resolved_at: NullableTimestamp,
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
export const PatchBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 5000 })),
    scheduled_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the patch is planned (default: now)' })),
  },
  { additionalProperties: false },
);
export const ResolveVulnerabilityBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false });
export const VulnerabilityPage = pageOf(Vulnerability);

export type VulnerabilityView = Static<typeof Vulnerability>;
export type ListVulnerabilitiesInput = Static<typeof ListVulnerabilitiesQuery>;
