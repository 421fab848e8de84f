import type { ValidateFunction } from 'ajv';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import type { IntegrationRow } from './integrations.tables.ts';
import { HttpError, badRequest, conflict, fieldErrors, notFound, type FieldError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { say } from '../../platform/languages.ts';
import { urlNamesForbiddenAddress } from '../../platform/net/outbound-address.ts';
import { buildAjv } from '../../platform/http/validation.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import { SecretStoreError, type SecretStore } from '../../platform/secrets/types.ts';
import type { IntegrationsRepo } from './integrations.repo.ts';
import type { CreateIntegrationInput, IntegrationView, ListIntegrationsInput, UpdateIntegrationInput } from './integrations.schemas.ts';
import { PROVIDERS } from './providers/index.ts';
import type { IntegrationType } from '../security-domain/vocabulary.ts';
import type { Capability, CheckResult, ProviderContext, ProviderDefinition, SecretValue } from './providers/types.ts';
import { ProviderError, createVendorHttp } from './vendor-http.ts';

const ajv = buildAjv({ coerceTypes: false });
const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: object): ValidateFunction {
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

const schemaErrors = (prefix: string, validate: ValidateFunction): FieldError[] => fieldErrors(validate.errors ?? [], { prefix, whole: prefix });

/** Validates (and fills defaults into) a config for a type; throws 400 naming each bad field. */
function validConfig(definition: ProviderDefinition, config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config);
  const validate = validatorFor(`config:${definition.type}`, definition.configSchema);
  if (!validate(copy)) throw badRequest(say(`The config is not valid for a ${definition.type} integration`, `La configuración no es válida para una integración de tipo ${definition.type}`), schemaErrors('config', validate));
  if (urlNamesForbiddenAddress(String(copy.url))) {
    throw badRequest(say(`The config is not valid for a ${definition.type} integration`, `La configuración no es válida para una integración de tipo ${definition.type}`), [{ field: 'config.url', message: 'must not be a link-local, multicast or unspecified address', code: 'address_not_allowed' }]);
  }
  return copy;
}

function assertValidSecret(definition: ProviderDefinition, secret: SecretValue): void {
  const validate = validatorFor(`secret:${definition.type}`, definition.secretSchema);
  // Report the shape that is wrong, never the value.
  if (!validate(secret)) throw badRequest(say(`The secret is not valid for a ${definition.type} integration`, `La credencial no es válida para una integración de tipo ${definition.type}`), schemaErrors('secret', validate).map((e) => ({ ...e, message: e.message.replace(/"[^"]*"/g, '…') })));
}

function resolveCapabilities(definition: ProviderDefinition, requested: readonly Capability[] | undefined): Capability[] {
  if (requested === undefined) return [...definition.defaultCapabilities];
  const unsupported = requested.filter((c) => !definition.capabilities.includes(c));
  if (unsupported.length > 0) {
    throw badRequest(say(`${definition.label} does not support ${unsupported.join(', ')}`, `${definition.label} no admite ${unsupported.join(', ')}`), [
      { field: 'capabilities', message: `${definition.type} supports ${definition.capabilities.join(', ')}`, code: 'one_of', params: { allowed: definition.capabilities.join(', ') } },
    ]);
  }
  return [...requested];
}

export function integrationView(row: IntegrationRow): IntegrationView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    type: row.type as IntegrationType,
    capabilities: JSON.parse(row.capabilities) as Capability[],
    config: JSON.parse(row.config) as Record<string, unknown>,
    secret_set: row.secret_ref !== null || row.keyvault_secret_id !== null,
    keyvault_secret_id: row.keyvault_secret_id,
    enabled: row.enabled === 1,
    last_sync_at: toIsoOrNull(row.last_sync_at),
    last_sync_status: row.last_sync_status,
    last_error: row.last_error,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

/** A provider failure as an API answer: the vendor is the problem, so 502 (or 504 for a timeout). */
export function vendorFailure(error: ProviderError): HttpError {
  if (error.kind === 'timeout') return new HttpError(504, say(`The vendor did not answer in time: ${error.message}`, `El proveedor no respondió a tiempo: ${error.message}`));
  if (error.kind === 'not_found') return new HttpError(404, error.localized ?? say(error.message, error.message));
  return new HttpError(502, say(`The vendor call failed (${error.kind}): ${error.message}`, `La llamada al proveedor falló (${error.kind}): ${error.message}`));
}

export function createIntegrationsService(deps: { repo: IntegrationsRepo; secrets: SecretStore; vendorTimeoutMs: number }) {
  const { repo, secrets, vendorTimeoutMs } = deps;
  /** Per-integration scratch space for providers (cached vendor login tokens …). */
  const providerState = new Map<string, Map<string, unknown>>();

  async function get(tenantId: string, id: string): Promise<IntegrationRow> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Integration not found', 'No se ha encontrado la integración'));
    return row;
  }

  /**
   * An integration of a vendor. Sentinel keeps rows of its own in the same table (a tenant's alert
   * rules are one, so their alerts have an integration and a system): listed and readable, but not
   * changed, tested, synced or deleted here — there is no vendor behind them.
   */
  async function vendorIntegration(tenantId: string, id: string): Promise<IntegrationRow> {
    const row = await get(tenantId, id);
    if (!Object.hasOwn(PROVIDERS, row.type)) {
      throw conflict(say(
        `"${row.name}" is kept by Sentinel itself, not a vendor: it cannot be changed, tested, synced or deleted (manage what feeds it instead)`,
        `La integración "${row.name}" pertenece al propio Sentinel, no a un proveedor: no se puede modificar, probar, sincronizar ni eliminar (gestione en su lugar lo que la alimenta)`,
      ));
    }
    return row;
  }

  async function storeSecret(tenantId: string, name: string, value: SecretValue): Promise<string> {
    if (!secrets.writable) {
      throw badRequest(say(
        `The ${secrets.kind} secret store is read-only: reference an existing secret with keyvault_secret_id`,
        `El almacén de secretos ${secrets.kind} es de solo lectura: haga referencia a un secreto existente con keyvault_secret_id`,
      ), [{ field: 'secret', message: 'cannot be stored in this secret store', code: 'read_only_store' }]);
    }
    try {
      return await secrets.put(tenantId, name, value);
    } catch (error) {
      if (error instanceof SecretStoreError) throw new HttpError(503, say(`The secret store refused the secret: ${error.message}`, `El almacén de secretos rechazó el secreto: ${error.message}`));
      throw error;
    }
  }

  /**
   * Cleans up a secret stored for a write that then failed. The failure is what the caller must
   * hear: inside the request's transaction (already aborted on PostgreSQL) the local store's row
   * goes with the rollback anyway, and an external store's leftover is unreferenced, so a failing
   * cleanup is logged, never thrown over the original error.
   */
  const nameTaken = (name: string) => conflict(say(`An integration named "${name}" already exists`, `Ya existe una integración llamada "${name}"`), [{ field: 'name', message: 'is already another integration\'s', code: 'taken' }]);

  async function discardSecret(ref: string | null): Promise<void> {
    await forgetSecret(ref).catch((error: unknown) => console.warn(`integrations: could not discard an unused secret: ${String(error)}`));
  }

  async function forgetSecret(ref: string | null): Promise<void> {
    if (ref === null) return;
    try {
      await secrets.delete(ref);
    } catch (error) {
      // A secret already gone is what we wanted; anything else must not block the API call.
      if (!(error instanceof SecretStoreError)) throw error;
    }
  }

  /** Everything a provider needs to talk to the vendor of one integration. */
  async function contextFor(row: IntegrationRow): Promise<ProviderContext> {
    const config = JSON.parse(row.config) as ProviderContext['config'];
    const ref = row.secret_ref ?? row.keyvault_secret_id;
    let secret: SecretValue | undefined;
    if (ref !== null) {
      try {
        secret = await secrets.get(ref);
      } catch (error) {
        if (error instanceof SecretStoreError) throw new ProviderError('config', `the credential cannot be read from the secret store (${error.kind})`);
        throw error;
      }
    } else if (PROVIDERS[row.type as IntegrationType].secretRequired) {
      throw new ProviderError('config', 'no credential is configured');
    }
    let state = providerState.get(row.id);
    if (state === undefined) {
      state = new Map();
      providerState.set(row.id, state);
    }
    return { config, secret, state, http: createVendorHttp({ baseUrl: config.url, verifyTls: config.verify_tls, timeoutMs: vendorTimeoutMs }) };
  }

  return {
    get: async (tenantId: string, id: string) => integrationView(await get(tenantId, id)),
    getRow: vendorIntegration,
    contextFor,
    definitionOf: (row: IntegrationRow) => PROVIDERS[row.type as IntegrationType],

    /** Checks reachability and credentials: a vendor failure is an answer (`ok: false`), not an error. */
    async check(tenantId: string, id: string): Promise<CheckResult> {
      const row = await vendorIntegration(tenantId, id);
      const started = performance.now();
      try {
        return await PROVIDERS[row.type as IntegrationType].provider.check(await contextFor(row));
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        return { ok: false, latency_ms: Math.round(performance.now() - started), detail: `${error.kind}: ${error.message}`, reason: error.kind };
      }
    },

    async list(tenantId: string, input: ListIntegrationsInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, {
        limit,
        ...(input.type !== undefined ? { type: input.type } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, integrationView);
    },

    async create(tenantId: string, input: CreateIntegrationInput): Promise<IntegrationView> {
      const definition = PROVIDERS[input.type];
      const capabilities = resolveCapabilities(definition, input.capabilities);
      const config = validConfig(definition, input.config);
      if (input.secret !== undefined && input.keyvault_secret_id != null) {
        throw badRequest(say('Give either secret or keyvault_secret_id, not both', 'Indique secret o keyvault_secret_id, no ambos'), [{ field: 'secret', message: 'conflicts with keyvault_secret_id', code: 'exclusive', params: { other: 'keyvault_secret_id' } }]);
      }
      if (input.secret !== undefined) assertValidSecret(definition, input.secret);
      if (definition.secretRequired && input.secret === undefined && input.keyvault_secret_id == null) {
        throw badRequest(say(`A ${definition.label} integration needs a credential`, `Una integración de ${definition.label} necesita una credencial`), [{ field: 'secret', message: 'is required (or keyvault_secret_id)', code: 'required' }]);
      }
      // Checked before a secret is stored for nothing; the unique index still decides a race.
      if (await repo.nameTaken(tenantId, input.name.trim())) throw nameTaken(input.name.trim());
      const now = Date.now();
      const id = newId(now);
      const secretRef = input.secret === undefined ? null : await storeSecret(tenantId, `integration-${id}`, input.secret);
      const row: IntegrationRow = {
        id, tenant_id: tenantId, name: input.name.trim(), type: input.type, capabilities: JSON.stringify(capabilities), config: JSON.stringify(config),
        secret_ref: secretRef, keyvault_secret_id: input.keyvault_secret_id ?? null, enabled: input.enabled === false ? 0 : 1,
        last_sync_at: null, last_sync_status: null, last_error: null, consecutive_failures: 0, next_sync_at: null, created_at: now, updated_at: now,
      };
      try {
        await repo.insert(row);
      } catch (error) {
        await discardSecret(secretRef);
        if (isUniqueViolation(error)) throw nameTaken(row.name);
        throw error;
      }
      return integrationView(row);
    },

    async update(tenantId: string, id: string, input: UpdateIntegrationInput): Promise<IntegrationView> {
      const current = await vendorIntegration(tenantId, id);
      const definition = PROVIDERS[current.type as IntegrationType];
      const capabilities = input.capabilities === undefined ? undefined : resolveCapabilities(definition, input.capabilities);
      const config = input.config === undefined ? undefined : validConfig(definition, { ...(JSON.parse(current.config) as Record<string, unknown>), ...input.config });
      if (input.secret != null && input.keyvault_secret_id != null) {
        throw badRequest(say('Give either secret or keyvault_secret_id, not both', 'Indique secret o keyvault_secret_id, no ambos'), [{ field: 'secret', message: 'conflicts with keyvault_secret_id', code: 'exclusive', params: { other: 'keyvault_secret_id' } }]);
      }
      if (input.secret != null) assertValidSecret(definition, input.secret);
      if (input.name !== undefined && (await repo.nameTaken(tenantId, input.name.trim(), id))) throw nameTaken(input.name.trim());
      const secretChanges: Partial<IntegrationRow> = {};
      let replacedRef: string | null = null;
      if (input.secret !== undefined) {
        secretChanges.secret_ref = input.secret === null ? null : await storeSecret(tenantId, `integration-${id}`, input.secret);
        secretChanges.keyvault_secret_id = null;
        replacedRef = current.secret_ref;
      } else if (input.keyvault_secret_id !== undefined) {
        secretChanges.keyvault_secret_id = input.keyvault_secret_id;
        secretChanges.secret_ref = null;
        replacedRef = current.secret_ref;
      }
      const leavesNoCredential = (secretChanges.secret_ref === null || (secretChanges.secret_ref === undefined && current.secret_ref === null))
        && (secretChanges.keyvault_secret_id === null || (secretChanges.keyvault_secret_id === undefined && current.keyvault_secret_id === null));
      if (definition.secretRequired && leavesNoCredential) {
        throw badRequest(say(`A ${definition.label} integration needs a credential`, `Una integración de ${definition.label} necesita una credencial`), [{ field: 'secret', message: 'cannot be removed', code: 'not_removable' }]);
      }
      try {
        await repo.update(tenantId, id, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(capabilities !== undefined ? { capabilities: JSON.stringify(capabilities) } : {}),
          ...(config !== undefined ? { config: JSON.stringify(config) } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
          // A new URL, credential or re-enabling: sync again soon, with a closed breaker.
          ...(config !== undefined || input.enabled === true || Object.keys(secretChanges).length > 0 ? { next_sync_at: null, consecutive_failures: 0 } : {}),
          ...secretChanges,
          updated_at: Date.now(),
        });
      } catch (error) {
        if (secretChanges.secret_ref) await discardSecret(secretChanges.secret_ref);
        if (isUniqueViolation(error)) throw nameTaken(input.name ?? current.name);
        throw error;
      }
      if (replacedRef !== null) await forgetSecret(replacedRef);
      // Cached vendor sessions belong to the old credentials or URL.
      providerState.delete(id);
      return integrationView(await get(tenantId, id));
    },

    async delete(tenantId: string, id: string): Promise<void> {
      const current = await vendorIntegration(tenantId, id);
      if (!(await repo.delete(tenantId, id))) throw notFound(say('Integration not found', 'No se ha encontrado la integración'));
      providerState.delete(id);
      await forgetSecret(current.secret_ref);
    },
  };
}

export type IntegrationsService = ReturnType<typeof createIntegrationsService>;
