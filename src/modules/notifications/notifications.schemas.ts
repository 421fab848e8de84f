import { Type, type Static } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, NullableId, NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';
import { SEVERITIES } from '../security-domain/vocabulary.ts';

export const CHANNEL_TYPES = ['email', 'webhook', 'slack', 'teams'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export const DELIVERY_EVENTS = ['alert.opened', 'alert.reopened', 'alert.resolved', 'channel.test', 'report.daily'] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];

const strict = { additionalProperties: false };
const HttpUrl = (description: string) => Type.String({ maxLength: 2000, pattern: '^https?://[^\\s]+$', description });

/** Every setting a channel type may have; which ones a type needs is checked by the service. */
const ChannelConfigInput = Type.Object(
  {
    recipients: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 50, description: 'email: who receives the messages' })),
    smtp_url: Type.Optional(Type.String({ maxLength: 2000, pattern: '^smtps?://[^\\s]+$', description: 'email, write-only: this channel\'s own SMTP server (`smtp://user:pass@host:port`) instead of SENTINEL_SMTP_URL' })),
    url: Type.Optional(HttpUrl('webhook: where to POST; slack/teams (write-only, it carries the token): the incoming-webhook URL')),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 500, description: 'webhook, write-only: the HMAC-SHA256 signing secret' })),
  },
  strict,
);

const Sources = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  minItems: 1, maxItems: 50, description: 'Only alerts whose source, or whose integration\'s type (wazuh, splunk …), is one of these (case-insensitive); absent or null = every source',
});

export const Channel = Type.Object({
  id: Id,
  tenant_id: Id,
  name: Type.String(),
  type: StringEnum(CHANNEL_TYPES),
  config: Type.Object({
    recipients: Type.Optional(Type.Array(Type.String())),
    url: Type.Optional(Type.String()),
  }, { description: 'The non-secret settings; secret ones are never returned (see secrets_set)' }),
  secrets_set: Type.Array(Type.String(), { description: 'The write-only settings that are stored (in the secret store)' }),
  min_severity: StringEnum(SEVERITIES),
  sources: Type.Union([Type.Array(Type.String()), Type.Null()]),
  quiet_minutes: Type.Integer(),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ChannelView = Static<typeof Channel>;

export const CreateChannelBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: StringEnum(CHANNEL_TYPES),
    config: ChannelConfigInput,
    min_severity: Type.Optional(StringEnum(SEVERITIES, { default: 'high', description: 'The least severe alert announced (default high)' })),
    sources: Type.Optional(Type.Union([Sources, Type.Null()])),
    quiet_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440, default: 30, description: 'An alert that re-opens within this many minutes of the last message about it is announced only when the time is up and it is still open (no storm when it flaps); default 30' })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  strict,
);
export type CreateChannelInput = Static<typeof CreateChannelBody>;

export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    config: Type.Optional(Type.Object({ ...ChannelConfigInput.properties, smtp_url: Type.Optional(Type.Union([ChannelConfigInput.properties.smtp_url, Type.Null()])) }, { ...strict, description: 'Merged into the current settings; smtp_url null removes it' })),
    min_severity: Type.Optional(StringEnum(SEVERITIES)),
    sources: Type.Optional(Type.Union([Sources, Type.Null()])),
    quiet_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { ...strict, minProperties: 1 },
);
export type UpdateChannelInput = Static<typeof UpdateChannelBody>;

export const ChannelPage = pageOf(Channel);
export const ListChannelsQuery = Type.Object({ ...TenantQuery, ...PageQuery, type: Type.Optional(StringEnum(CHANNEL_TYPES)) }, strict);
export const TenantOnlyQuery = Type.Object(TenantQuery, strict);

export const Delivery = Type.Object({
  id: Id,
  tenant_id: Id,
  channel_id: NullableId,
  channel_type: StringEnum(CHANNEL_TYPES),
  event: StringEnum(DELIVERY_EVENTS),
  alert_id: NullableId,
  status: StringEnum(DELIVERY_STATUSES),
  attempts: Type.Integer(),
  next_attempt_at: NullableTimestamp,
  last_error: NullableString(),
  response_status: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Timestamp,
  delivered_at: NullableTimestamp,
});
export type DeliveryView = Static<typeof Delivery>;
export const DeliveryPage = pageOf(Delivery);
export const ListDeliveriesQuery = Type.Object(
  {
    ...TenantQuery, ...PageQuery,
    channel_id: Type.Optional(Id),
    alert_id: Type.Optional(Id),
    status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
    event: Type.Optional(StringEnum(DELIVERY_EVENTS)),
  },
  strict,
);
export type ListDeliveriesInput = Static<typeof ListDeliveriesQuery>;
