import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { INTEGRATION_TYPES } from '../security-domain/vocabulary.ts';
import { CAPABILITIES } from './providers/types.ts';
import { PROVIDER_ERROR_KINDS } from './vendor-http.ts';

const Capability = StringEnum(CAPABILITIES);
const IntegrationType = StringEnum(INTEGRATION_TYPES);
const Name = Type.String({ minLength: 1, maxLength: 120 });
const Config = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Per-type settings, validated by the type\'s JSON Schema (components IntegrationConfig_<type>): every type has url, verify_tls and poll_interval_seconds',
});
const Secret = Type.Unsafe<string | Record<string, string>>({
  type: ['string', 'object'],
  minLength: 1,
  maxLength: 8192,
  maxProperties: 10,
  additionalProperties: { type: 'string', maxLength: 4096 },
  description: 'Write-only credential kept in the secret store: a string, or an object for vendors that need several values (see each type)',
  writeOnly: true,
});
const KeyvaultSecretId = NullableString({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_./:#-]+$', description: 'Reference to a secret already in the external secret store' });

export const SYNC_STATUSES = ['success', 'error'] as const;

export const Integration = Type.Object({
  id: Id,
  tenant_id: Id,
  name: Type.String(),
  type: IntegrationType,
  capabilities: Type.Array(Capability),
  config: Type.Record(Type.String(), Type.Unknown()),
  secret_set: Type.Boolean({ description: 'Whether a credential is stored (its value is never returned)' }),
  keyvault_secret_id: NullableString(),
  enabled: Type.Boolean(),
  last_sync_at: NullableTimestamp,
  last_sync_status: NullableString({ description: 'success or error' }),
  last_error: NullableString(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateIntegrationBody = Type.Object(
  {
    name: Name,
    type: IntegrationType,
    capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true, maxItems: 4, description: 'Defaults to what the type supports' })),
    config: Config,
    secret: Type.Optional(Secret),
    keyvault_secret_id: Type.Optional(KeyvaultSecretId),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateIntegrationBody = Type.Object(
  {
    name: Type.Optional(Name),
    capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true, maxItems: 4 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Fields to change; merged into the current config, then validated' })),
    secret: Type.Optional(Type.Unsafe<string | Record<string, string> | null>({ ...Secret, type: ['string', 'object', 'null'], description: 'A new credential, or null to remove it' })),
    keyvault_secret_id: Type.Optional(KeyvaultSecretId),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListIntegrationsQuery = Type.Object(
  {
    ...PageQuery,
    ...TenantQuery,
    type: Type.Optional(IntegrationType),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const TenantOnlyQuery = Type.Object(TenantQuery, { additionalProperties: false });

export const CheckResult = Type.Object({
  ok: Type.Boolean(), latency_ms: Type.Integer(), detail: Type.String(),
  reason: Type.Optional(StringEnum(PROVIDER_ERROR_KINDS, { description: 'Why a failed check failed: credentials refused (auth), unreachable, timeout, rate_limited, vendor_error, bad_response, not_found, config' })),
});

export const SyncOutcome = Type.Object({
  status: StringEnum(SYNC_STATUSES),
  systems: Type.Integer({ description: 'Systems updated (0 or 1)' }),
  assets: Type.Integer(),
  alerts: Type.Integer({ description: 'Active alerts reported by the vendor' }),
  vulnerabilities: Type.Integer({ description: 'Open vulnerabilities reported by the vendor' }),
  duration_ms: Type.Integer(),
  error: Type.Optional(Type.String()),
  resolutions_written_back: Type.Optional(Type.Integer({ description: 'Alerts resolved in Sentinel that this sync closed at the vendor (write_back_resolutions)' })),
  write_back_error: Type.Optional(Type.String({ description: 'Why closing them at the vendor failed (retried at the next sync)' })),
});

export const IntegrationPage = pageOf(Integration);

const Dashboard = Type.Object({ uid: Type.String(), title: Type.String(), url: Type.String(), folder: NullableString(), tags: Type.Array(Type.String()) });
export const DashboardList = Type.Object({ items: Type.Array(Dashboard) });
export const DashboardDetailSchema = Type.Object({
  uid: Type.String(),
  title: Type.String(),
  tags: Type.Array(Type.String()),
  panels: Type.Array(Type.Object({
    id: Type.Integer(),
    title: Type.String(),
    type: Type.String(),
    datasource: Type.Unsafe<{ type: string | null; uid: string | null } | null>({
      type: ['object', 'null'],
      properties: { type: { type: ['string', 'null'] }, uid: { type: ['string', 'null'] } },
    }),
  })),
});
export const PanelDataQuery = Type.Object(
  {
    ...TenantQuery,
    from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO time, epoch ms, or relative like now-6h (default now-6h)' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO time, epoch ms, or relative like now (default now)' })),
  },
  { additionalProperties: false },
);
export const PanelData = Type.Object({
  from: Timestamp,
  to: Timestamp,
  series: Type.Array(Type.Object({
    refId: Type.String(),
    name: Type.String(),
    labels: Type.Record(Type.String(), Type.String()),
    points: Type.Array(Type.Array(Type.Unsafe<number | null>({ type: ['number', 'null'] }), { minItems: 2, maxItems: 2 }), { description: '[epoch_ms, value]' }),
  })),
});
export const DashboardParams = Type.Object({ id: Id, uid: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
export const PanelParams = Type.Object({ id: Id, uid: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), panel_id: Type.Integer({ minimum: 0, maximum: 1_000_000 }) });

export type IntegrationView = Static<typeof Integration>;
export type CreateIntegrationInput = Static<typeof CreateIntegrationBody>;
export type UpdateIntegrationInput = Static<typeof UpdateIntegrationBody>;
export type ListIntegrationsInput = Static<typeof ListIntegrationsQuery>;
export type SyncOutcomeView = Static<typeof SyncOutcome>;
