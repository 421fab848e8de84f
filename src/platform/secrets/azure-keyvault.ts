import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient, SecretClientOptions } from '@azure/keyvault-secrets';
import { SecretStoreError, type SecretStore, type SecretValue } from './types.ts';
import { assertSecretValue, textToSecretValue, toObjectOfStrings } from './env.ts';

export interface AzureKeyVaultSecretStoreOptions {
  /** Default: `new DefaultAzureCredential()` (environment, workload identity, managed identity, Azure CLI…). */
  credential?: TokenCredential | undefined;
  /**
   * Passed to SecretClient: retries, `tlsOptions` (e.g. a private CA), `disableChallengeResourceVerification`
   * (only for a vault that is not at *.vault.azure.net, such as a test simulator on loopback)…
   */
  clientOptions?: SecretClientOptions | undefined;
  /** Bound on each operation including the SDK's retries, ms. Default 30 000. */
  timeoutMs?: number | undefined;
}

/** Content types Sentinel sets, so that a value reads back exactly as it was stored. */
const JSON_CONTENT_TYPE = 'application/json';
const TEXT_CONTENT_TYPE = 'text/plain';
/** Key Vault object names: 1–127 characters of 0-9 a-z A-Z and '-'. */
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-zA-Z]{1,64}$/;
/** Prefix of the names Sentinel generates; the only secrets `delete` removes. */
export const AZURE_PREFIX = 'sentinel-';

interface AzureRef {
  name: string;
  version: string | undefined;
}

/** Lowercase letters, digits and single dashes. */
function sanitise(text: string, max: number): string {
  return String(text).toLowerCase().replace(/[^0-9a-z]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
}

/** `sentinel-<tenant>-<name>-<shortid>`, within Key Vault's 127 characters. */
export function azureSecretName(tenantId: string, name: string): string {
  const shortId = randomBytes(6).toString('hex');
  const tenant = sanitise(tenantId, 36) || 'platform';
  const label = sanitise(name, 127 - AZURE_PREFIX.length - tenant.length - shortId.length - 2);
  return [AZURE_PREFIX + tenant, label, shortId].filter(Boolean).join('-');
}

export class AzureKeyVaultSecretStore implements SecretStore {
  readonly kind = 'azure-keyvault' as const;
  readonly writable = true;
  private readonly vaultUrl: string;
  private readonly vaultHost: string;
  private readonly timeoutMs: number;
  private client: Promise<SecretClient> | undefined;
  private readonly options: AzureKeyVaultSecretStoreOptions;

  constructor(vaultUrl: string, options: AzureKeyVaultSecretStoreOptions = {}) {
    this.options = options;
    let url: URL;
    try {
      url = new URL(vaultUrl);
    } catch {
      throw new TypeError('AZURE_KEYVAULT_URL must be a URL such as https://my-vault.vault.azure.net');
    }
    this.vaultUrl = vaultUrl.replace(/\/+$/, '');
    this.vaultHost = url.host.toLowerCase();
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The SDK (and @azure/identity, ~0.3 s to load) is imported on first use, not at startup. */
  private getClient(): Promise<SecretClient> {
    this.client ??= (async () => {
      const { SecretClient } = await import('@azure/keyvault-secrets');
      const credential = this.options.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
      return new SecretClient(this.vaultUrl, credential, this.options.clientOptions);
    })();
    return this.client;
  }

  /**
   * `azure:<name>[/<version>]`, `<name>[/<version>]`, or the secret identifier URL of this vault
   * (`https://<vault>.vault.azure.net/secrets/<name>[/<version>]`).
   */
  parseRef(ref: string): AzureRef {
    const raw = typeof ref === 'string' ? ref.trim() : '';
    let rest = raw.startsWith('azure:') ? raw.slice(6) : raw;
    if (/^https?:\/\//i.test(rest)) {
      let url: URL;
      try {
        url = new URL(rest);
      } catch {
        throw new SecretStoreError('invalid_reference', 'the Azure Key Vault secret identifier is not a valid URL');
      }
      if (url.host.toLowerCase() !== this.vaultHost) {
        throw new SecretStoreError('invalid_reference', `the secret identifier names another vault (${url.host}) than AZURE_KEYVAULT_URL (${this.vaultHost})`);
      }
      const match = /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url.pathname);
      if (match === null) throw new SecretStoreError('invalid_reference', 'a Key Vault secret identifier looks like https://<vault>.vault.azure.net/secrets/<name>[/<version>]');
      rest = match[2] ? `${match[1]}/${match[2]}` : match[1]!;
    }
    const [name = '', version, ...extra] = rest.split('/');
    if (!NAME.test(name) || extra.length > 0 || (version !== undefined && !VERSION.test(version))) {
      throw new SecretStoreError('invalid_reference', 'an Azure Key Vault secret reference is azure:<name>[/<version>] (name: 1-127 characters of letters, digits and -)');
    }
    return { name, version };
  }

  async put(tenantId: string, name: string, value: SecretValue): Promise<string> {
    assertSecretValue(value);
    const secretName = azureSecretName(tenantId, name);
    const client = await this.getClient();
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    try {
      await client.setSecret(secretName, text, {
        contentType: typeof value === 'string' ? TEXT_CONTENT_TYPE : JSON_CONTENT_TYPE,
        tags: { 'sentinel-tenant': String(tenantId).slice(0, 256), 'sentinel-name': String(name).slice(0, 256) },
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      this.fail(error, secretName);
    }
    return `azure:${secretName}`;
  }

  async get(ref: string): Promise<SecretValue> {
    const { name, version } = this.parseRef(ref);
    const client = await this.getClient();
    let secret: Awaited<ReturnType<SecretClient['getSecret']>>;
    try {
      secret = await client.getSecret(name, { ...(version ? { version } : {}), abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      this.fail(error, name);
    }
    if (secret.value === undefined) throw new SecretStoreError('not_found', `Key Vault secret ${name} has no value`);
    return decode(secret.value, secret.properties.contentType, name);
  }

  /**
   * Starts the (soft) deletion of a secret Sentinel stored (names starting `sentinel-`); refuses other
   * names, which belong to whoever created them. A secret already gone is not an error. The deleted
   * secret stays recoverable for the vault's retention period; purging is left to the vault's policy.
   */
  async delete(ref: string): Promise<void> {
    const { name, version } = this.parseRef(ref);
    if (version !== undefined || !name.startsWith(AZURE_PREFIX)) {
      throw new SecretStoreError('invalid_reference', `refusing to delete Key Vault secret ${name}: Sentinel only deletes the secrets it stored (named ${AZURE_PREFIX}…)`);
    }
    const client = await this.getClient();
    try {
      await client.beginDeleteSecret(name, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      this.fail(error, name);
    }
  }

  private fail(error: unknown, name: string): never {
    if (error instanceof SecretStoreError) throw error;
    const e = error as { statusCode?: number; code?: string; name?: string; message?: string };
    const message = (e.message ?? '').replace(/\s+/g, ' ').slice(0, 300);
    const code = e.code ? ` (${e.code})` : '';
    switch (e.statusCode) {
      case 404:
        throw new SecretStoreError('not_found', `Key Vault secret ${name} does not exist`);
      case 401:
        throw new SecretStoreError('unavailable', `Key Vault rejected the credential${code}: ${message} (check AZURE_TENANT_ID / AZURE_CLIENT_ID / the managed identity)`);
      case 403:
        throw new SecretStoreError('unavailable', `Key Vault denied access to secret ${name}${code}: ${message} (grant the identity get/set/delete on secrets, e.g. the "Key Vault Secrets Officer" role)`);
      case 400:
        throw new SecretStoreError('invalid_reference', `Key Vault rejected the request for ${name}${code}: ${message}`);
      case 429:
        throw new SecretStoreError('unavailable', `Key Vault is throttling requests${code}`);
      case undefined:
        break;
      default:
        throw new SecretStoreError('unavailable', `Key Vault answered HTTP ${e.statusCode}${code} for ${name}: ${message}`);
    }
    if (e.name === 'AbortError' || e.name === 'TimeoutError') {
      throw new SecretStoreError('unavailable', `Key Vault at ${this.vaultUrl} did not answer within ${this.timeoutMs} ms`);
    }
    if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
      throw new SecretStoreError('unavailable', `no Azure credential could get a token for Key Vault (${e.name}): ${message}`);
    }
    if (e.code && /^E[A-Z_]+$/.test(e.code)) {
      throw new SecretStoreError('unavailable', `Key Vault at ${this.vaultUrl} is unreachable: ${e.code}`);
    }
    throw new SecretStoreError('unavailable', `Key Vault request for ${name} failed: ${message || 'unknown error'}`);
  }
}

function decode(text: string, contentType: string | undefined, name: string): SecretValue {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === TEXT_CONTENT_TYPE) return text;
  if (type === JSON_CONTENT_TYPE) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SecretStoreError('integrity', `Key Vault secret ${name} has content type application/json but is not JSON`);
    }
    if (typeof parsed === 'string') return parsed;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return toObjectOfStrings(parsed as Record<string, unknown>);
    return text;
  }
  // A secret created outside Sentinel (no content type, or another one): a JSON object becomes an
  // object of strings, anything else is the text itself — as for the env store.
  return textToSecretValue(text);
}
