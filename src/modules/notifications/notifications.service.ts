import { isUniqueViolation } from '../../platform/db/errors.ts';
import { HttpError, badRequest, conflict, notFound, type FieldError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import { SecretStoreError, type SecretStore } from '../../platform/secrets/types.ts';
import type { Severity } from '../security-domain/vocabulary.ts';
import type { NotificationsDispatch } from './notifications.dispatch.ts';
import type { NotificationsRepo } from './notifications.repo.ts';
import type {
  ChannelType, ChannelView, CreateChannelInput, DeliveryEvent, DeliveryView, ListDeliveriesInput, UpdateChannelInput,
} from './notifications.schemas.ts';
import type { NotificationChannelRow, NotificationDeliveryRow } from './notifications.tables.ts';
import { urlNamesForbiddenAddress } from '../../platform/net/outbound-address.ts';

type ConfigInput = CreateChannelInput['config'];
type ConfigKey = keyof ConfigInput;

/** Which settings each type takes, which it needs, and which are secrets (kept in the secret store, never returned). */
const TYPE_SETTINGS: Record<ChannelType, { allowed: readonly ConfigKey[]; required: readonly ConfigKey[]; secret: readonly ConfigKey[] }> = {
  email: { allowed: ['recipients', 'smtp_url'], required: ['recipients'], secret: ['smtp_url'] },
  webhook: { allowed: ['url', 'secret'], required: ['url', 'secret'], secret: ['secret'] },
  slack: { allowed: ['url'], required: ['url'], secret: ['url'] },
  teams: { allowed: ['url'], required: ['url'], secret: ['url'] },
};

function checkSettings(type: ChannelType, config: Partial<Record<ConfigKey, unknown>>): void {
  const settings = TYPE_SETTINGS[type];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (value != null && !settings.allowed.includes(key as ConfigKey)) errors.push({ field: `config.${key}`, message: `is not a setting of ${type} channels`, code: 'unknown_field' });
  }
  for (const key of settings.required) if (config[key] == null) errors.push({ field: `config.${key}`, message: `is required for ${type} channels`, code: 'required' });
  if (typeof config.url === 'string' && urlNamesForbiddenAddress(config.url)) {
    errors.push({ field: 'config.url', message: 'must not be a link-local, multicast or unspecified address', code: 'address_not_allowed' });
  }
  if (errors.length > 0) throw badRequest(say(`The config is not valid for a ${type} channel`, `La configuración no es válida para un canal de tipo ${type}`), errors);
}

/** Splits settings into what the row keeps and what goes to the secret store. */
function splitSettings(type: ChannelType, config: Partial<Record<ConfigKey, unknown>>) {
  const plain: Record<string, unknown> = {};
  const secret: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value == null) continue;
    if (TYPE_SETTINGS[type].secret.includes(key as ConfigKey)) secret[key] = value as string;
    else plain[key] = value;
  }
  return { plain, secret };
}

export function channelView(row: NotificationChannelRow): ChannelView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    type: row.type as ChannelType,
    config: JSON.parse(row.config) as ChannelView['config'],
    secrets_set: JSON.parse(row.secret_fields) as string[],
    min_severity: row.min_severity as Severity,
    sources: row.sources === null ? null : (JSON.parse(row.sources) as string[]),
    quiet_minutes: row.quiet_minutes,
    enabled: row.enabled === 1,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export function deliveryView(row: NotificationDeliveryRow): DeliveryView {
  const settled = row.status === 'delivered' || row.status === 'failed';
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    channel_id: row.channel_id,
    channel_type: row.channel_type as ChannelType,
    event: row.event as DeliveryEvent,
    alert_id: row.alert_id,
    status: row.status as DeliveryView['status'],
    attempts: row.attempts,
    next_attempt_at: settled ? null : toIso(row.next_attempt_at),
    last_error: row.last_error,
    response_status: row.response_status,
    created_at: toIso(row.created_at),
    delivered_at: toIsoOrNull(row.delivered_at),
  };
}

/** Channels (the rules), the test message and the delivery log. */
export function createNotificationsService(deps: { repo: NotificationsRepo; secrets: SecretStore; dispatch: NotificationsDispatch }) {
  const { repo, secrets, dispatch } = deps;
  const nameTaken = (name: string) => conflict(say(`A notification channel named "${name}" already exists`, `Ya existe un canal de notificación llamado "${name}"`));

  async function find(tenantId: string, id: string): Promise<NotificationChannelRow> {
    const row = await repo.findChannel(tenantId, id);
    if (row === undefined) throw notFound(say('Notification channel not found', 'No se ha encontrado el canal de notificación'));
    return row;
  }

  async function storeSecret(tenantId: string, channelId: string, values: Record<string, string>): Promise<string | null> {
    if (Object.keys(values).length === 0) return null;
    if (!secrets.writable) throw badRequest(say(
      `The ${secrets.kind} secret store is read-only: channels with secret settings cannot be stored`,
      `El almacén de secretos ${secrets.kind} es de solo lectura: no se pueden guardar canales con ajustes secretos`,
    ), Object.keys(values).map((key) => ({ field: `config.${key}`, message: 'cannot be stored in this secret store', code: 'read_only_store' })));
    try {
      return await secrets.put(tenantId, `notification-channel:${channelId}`, values);
    } catch (error) {
      if (error instanceof SecretStoreError) throw new HttpError(503, say(`The secret store refused the secret: ${error.message}`, `El almacén de secretos rechazó el secreto: ${error.message}`));
      throw error;
    }
  }

  async function forgetSecret(ref: string | null): Promise<void> {
    if (ref === null) return;
    await secrets.delete(ref).catch((error: unknown) => {
      if (!(error instanceof SecretStoreError)) throw error;
    });
  }

  /** Writes the row; a secret stored for a write that then fails is removed again. */
  async function writeWithSecret(ref: string | null, write: () => Promise<void>, name: string): Promise<void> {
    try {
      await write();
    } catch (error) {
      await forgetSecret(ref).catch(() => undefined);
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
  }

  return {
    get: async (tenantId: string, id: string) => channelView(await find(tenantId, id)),

    async list(tenantId: string, input: { type?: ChannelType; limit?: number; cursor?: string }) {
      const limit = input.limit ?? 50;
      const rows = await repo.listChannels(tenantId, { limit, ...(input.type ? { type: input.type } : {}), ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}) });
      return toPage(rows, limit, channelView);
    },

    async create(tenantId: string, input: CreateChannelInput): Promise<ChannelView> {
      checkSettings(input.type, input.config);
      const now = Date.now();
      const id = newId(now);
      const { plain, secret } = splitSettings(input.type, input.config);
      const secretRef = await storeSecret(tenantId, id, secret);
      const row: NotificationChannelRow = {
        id, tenant_id: tenantId, name: input.name, type: input.type, config: JSON.stringify(plain), secret_ref: secretRef,
        secret_fields: JSON.stringify(Object.keys(secret).sort()), min_severity: input.min_severity ?? 'high',
        sources: input.sources == null ? null : JSON.stringify(input.sources), quiet_minutes: input.quiet_minutes ?? 30,
        enabled: input.enabled === false ? 0 : 1, created_at: now, updated_at: now,
      };
      await writeWithSecret(secretRef, () => repo.insertChannel(row), input.name);
      return channelView(row);
    },

    async update(tenantId: string, id: string, input: UpdateChannelInput): Promise<ChannelView> {
      const row = await find(tenantId, id);
      const type = row.type as ChannelType;
      const changes: Partial<NotificationChannelRow> = { updated_at: Date.now() };
      let newRef: string | null | undefined;
      if (input.config !== undefined) {
        const current = JSON.parse(row.config) as Record<string, unknown>;
        const currentSecret = row.secret_ref === null ? {} : await readSecret(row.secret_ref);
        // Secret settings are checked as present without reading them back.
        const merged = { ...current, ...currentSecret, ...input.config };
        checkSettings(type, merged);
        const { plain, secret } = splitSettings(type, merged);
        changes.config = JSON.stringify(plain);
        changes.secret_fields = JSON.stringify(Object.keys(secret).sort());
        const secretChanged = TYPE_SETTINGS[type].secret.some((key) => input.config![key] !== undefined);
        if (secretChanged) {
          newRef = await storeSecret(tenantId, id, secret);
          changes.secret_ref = newRef;
        }
      }
      if (input.name !== undefined) changes.name = input.name;
      if (input.min_severity !== undefined) changes.min_severity = input.min_severity;
      if (input.sources !== undefined) changes.sources = input.sources === null ? null : JSON.stringify(input.sources);
      if (input.quiet_minutes !== undefined) changes.quiet_minutes = input.quiet_minutes;
      if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
      await writeWithSecret(newRef ?? null, () => repo.updateChannel(tenantId, id, changes), input.name ?? row.name);
      if (newRef !== undefined) await forgetSecret(row.secret_ref);
      return channelView({ ...row, ...changes });
    },

    async delete(tenantId: string, id: string): Promise<void> {
      const row = await find(tenantId, id);
      await repo.deleteChannel(tenantId, id);
      await forgetSecret(row.secret_ref);
    },

    /** Sends the test message now and answers with its delivery (logged like any other). */
    async test(tenantId: string, id: string): Promise<DeliveryView> {
      return deliveryView(await dispatch.sendTest(await find(tenantId, id)));
    },

    async deliveries(tenantId: string, input: ListDeliveriesInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.listDeliveries(tenantId, {
        limit,
        ...(input.channel_id !== undefined ? { channelId: input.channel_id } : {}),
        ...(input.alert_id !== undefined ? { alertId: input.alert_id } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.event !== undefined ? { event: input.event } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, deliveryView);
    },
  };

  async function readSecret(ref: string): Promise<Record<string, string>> {
    try {
      return (await secrets.get(ref)) as Record<string, string>;
    } catch (error) {
      if (error instanceof SecretStoreError) throw new HttpError(503, say(
        `The channel's secret settings cannot be read from the secret store (${error.kind})`,
        `Los ajustes secretos del canal no se pueden leer del almacén de secretos (${error.kind})`,
      ));
      throw error;
    }
  }
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
