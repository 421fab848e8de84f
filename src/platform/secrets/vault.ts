import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { SecretStoreError, type SecretStore, type SecretValue } from './types.ts';
import { assertSecretValue, toObjectOfStrings } from './env.ts';

export interface VaultSecretStoreOptions {
  /** VAULT_ADDR, e.g. https://vault.example.com:8200 (no trailing /v1). */
  addr: string;
  /** VAULT_TOKEN: needs create/update, read and delete on `<mount>/data/sentinel/*`, `<mount>/metadata/sentinel/*`, and read on the paths integrations reference. */
  token: string;
  /** KV version 2 mount path (VAULT_MOUNT, default `secret`). */
  mount: string;
  /** Vault Enterprise / HCP namespace, sent as X-Vault-Namespace. */
  namespace?: string | undefined;
  /** Whole-request timeout (connect, headers and body), ms. Default 10 000. */
  timeoutMs?: number | undefined;
  /** An undici dispatcher (e.g. an Agent with a custom CA); default: undici's global one. */
  dispatcher?: Dispatcher | undefined;
}

/** Where Sentinel writes the secrets it stores: `<mount>/data/sentinel/<tenant>/<name>-<shortid>`. */
export const VAULT_PREFIX = 'sentinel';
const SEGMENT = /^[A-Za-z0-9._@-]+$/;
const MAX_FIELD_LENGTH = 256;

interface VaultRef {
  path: string;
  field: string | undefined;
}

/**
 * `vault:<path>[#field]` or `<path>[#field]`: a path inside the KV v2 mount such as `apps/grafana`
 * (not the API path: no mount, no `data/`).
 */
export function parseVaultRef(ref: string): VaultRef {
  const raw = typeof ref === 'string' ? ref.trim() : '';
  const body = raw.startsWith('vault:') ? raw.slice(6) : raw;
  const hash = body.indexOf('#');
  const path = (hash === -1 ? body : body.slice(0, hash)).replace(/^\/+|\/+$/g, '');
  const field = hash === -1 ? undefined : body.slice(hash + 1);
  const segments = path.split('/');
  if (path === '' || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new SecretStoreError('invalid_reference', 'a Vault secret reference is vault:<path>[#field], a KV v2 path such as vault:apps/grafana#password (letters, digits, . _ @ - between slashes)');
  }
  if (field !== undefined && (field === '' || field.length > MAX_FIELD_LENGTH)) {
    throw new SecretStoreError('invalid_reference', 'the #field of a Vault secret reference must name a key of the secret');
  }
  return { path, field };
}

/** A path segment from free text (tenant ids, integration names). */
function segment(text: string): string {
  const cleaned = String(text).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 100);
  return cleaned === '' ? 'secret' : cleaned;
}

interface VaultResponse {
  status: number;
  body: unknown;
}

function vaultErrors(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}

/** HashiCorp Vault KV version 2 over its HTTP API, authenticated with X-Vault-Token. */
export class VaultSecretStore implements SecretStore {
  readonly kind = 'vault' as const;
  readonly writable = true;
  readonly #token: string;
  private readonly addr: string;
  private readonly mount: string;
  private readonly namespace: string | undefined;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: VaultSecretStoreOptions) {
    if (!/^https?:\/\//.test(options.addr)) throw new TypeError('VAULT_ADDR must be an http(s) URL');
    if (!options.token) throw new TypeError('a Vault token is required');
    this.addr = options.addr.replace(/\/+$/, '');
    this.#token = options.token;
    this.mount = options.mount.replace(/^\/+|\/+$/g, '');
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.dispatcher = options.dispatcher;
  }

  async put(tenantId: string, name: string, value: SecretValue): Promise<string> {
    assertSecretValue(value);
    const path = `${VAULT_PREFIX}/${segment(tenantId)}/${segment(name)}-${randomBytes(6).toString('hex')}`;
    const data = typeof value === 'string' ? { value } : value;
    const response = await this.call('POST', 'data', path, { data });
    if (response.status !== 200 && response.status !== 204) this.fail(response, path);
    return `vault:${path}`;
  }

  async get(ref: string): Promise<SecretValue> {
    const { path, field } = parseVaultRef(ref);
    const response = await this.call('GET', 'data', path);
    if (response.status !== 200) this.fail(response, path);
    const data = (response.body as { data?: { data?: unknown } } | null)?.data?.data;
    if (data === null || data === undefined) throw new SecretStoreError('not_found', `Vault secret ${this.mount}/${path} has no current version (deleted?)`);
    if (typeof data !== 'object' || Array.isArray(data)) throw new SecretStoreError('unavailable', `Vault returned an unexpected shape for ${this.mount}/${path}`);
    const record = toObjectOfStrings(data as Record<string, unknown>);
    if (field !== undefined) {
      const picked = record[field];
      if (picked === undefined) throw new SecretStoreError('not_found', `Vault secret ${this.mount}/${path} has no field "${field}"`);
      return picked;
    }
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === 'value') return record.value!;
    return record;
  }

  /**
   * Deletes every version and the metadata of a secret Sentinel stored (under `sentinel/`); refuses
   * other paths, which belong to whoever created them. A secret already gone is not an error.
   */
  async delete(ref: string): Promise<void> {
    const { path, field } = parseVaultRef(ref);
    if (field !== undefined || !path.startsWith(`${VAULT_PREFIX}/`)) {
      throw new SecretStoreError('invalid_reference', `refusing to delete Vault secret ${this.mount}/${path}: Sentinel only deletes the secrets it stored (under ${VAULT_PREFIX}/)`);
    }
    const response = await this.call('DELETE', 'metadata', path);
    if (response.status === 404 && vaultErrors(response.body).length === 0) return;
    if (response.status !== 200 && response.status !== 204) this.fail(response, path);
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', api: 'data' | 'metadata', path: string, body?: unknown): Promise<VaultResponse> {
    const url = `${this.addr}/v1/${this.mount}/${api}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const headers: Record<string, string> = { 'x-vault-token': this.#token, 'x-vault-request': 'true', accept: 'application/json' };
    if (this.namespace) headers['x-vault-namespace'] = this.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      // undici is imported on first use: most deployments never select Vault.
      const { request } = await import('undici');
      const response = await request(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      const text = await response.body.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          if (response.statusCode === 200) throw new SecretStoreError('unavailable', `Vault at ${this.addr} answered ${method} ${api}/${path} with a body that is not JSON`);
        }
      }
      return { status: response.statusCode, body: parsed };
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      const err = error as { name?: string; code?: string; message?: string };
      const reason = err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test(err.code ?? '')
        ? `no answer within ${this.timeoutMs} ms`
        : (err.code ?? err.message ?? 'network error');
      throw new SecretStoreError('unavailable', `Vault at ${this.addr} is unreachable: ${reason}`);
    }
  }

  private fail(response: VaultResponse, path: string): never {
    const errors = vaultErrors(response.body);
    const detail = errors.length > 0 ? `: ${errors.join('; ').slice(0, 300)}` : '';
    const where = `${this.mount}/${path}`;
    switch (response.status) {
      case 404:
        if (errors.some((e) => /no handler for route/i.test(e))) {
          throw new SecretStoreError('unavailable', `Vault has no KV v2 engine at mount "${this.mount}" (check VAULT_MOUNT)${detail}`);
        }
        throw new SecretStoreError('not_found', `Vault secret ${where} does not exist`);
      case 400:
        throw new SecretStoreError('invalid_reference', `Vault rejected the request for ${where}${detail}`);
      case 401:
      case 403:
        throw new SecretStoreError('unavailable', `Vault denied access to ${where}${detail || ': permission denied'} (check VAULT_TOKEN and its policy)`);
      case 429:
        throw new SecretStoreError('unavailable', `Vault is rate limiting requests${detail}`);
      case 503:
        throw new SecretStoreError('unavailable', `Vault is unavailable (sealed or in standby?)${detail}`);
      default:
        throw new SecretStoreError('unavailable', `Vault answered HTTP ${response.status} for ${where}${detail}`);
    }
  }
}
