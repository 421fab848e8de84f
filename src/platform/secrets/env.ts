import { SecretStoreError, type SecretStore, type SecretValue } from './types.ts';

/** True for a plain object whose values are all strings (the object form of a SecretValue). */
export function isObjectOfStrings(value: unknown): value is Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string');
}

/** Rejects what is not a SecretValue: a programming error, not a store failure. */
export function assertSecretValue(value: unknown): asserts value is SecretValue {
  if (typeof value !== 'string' && !isObjectOfStrings(value)) throw new TypeError('a secret value must be a string or an object of strings');
}

/**
 * An object read from an external store (Vault data, a JSON environment variable) as an object of
 * strings: strings stay, numbers and booleans become their text, anything else its JSON.
 */
export function toObjectOfStrings(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  }
  return out;
}

/** A text that is a JSON object (starts with `{`) as an object of strings; any other text as it is. */
export function textToSecretValue(text: string): SecretValue {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return toObjectOfStrings(parsed as Record<string, unknown>);
  } catch {
    // A password may well start with "{": not JSON, so the text itself is the secret.
  }
  return text;
}

export const ENV_PREFIX = 'SENTINEL_SECRET_';
const NAME_PATTERN = /^[A-Z0-9_]{1,128}$/;

/**
 * Read-only store over environment variables: the reference `NAME` (or `env:NAME`) is
 * `SENTINEL_SECRET_<NAME>` (NAME upper-cased, A-Z 0-9 _). A value starting with `{` that parses as
 * a JSON object becomes an object of strings.
 */
export class EnvSecretStore implements SecretStore {
  readonly kind = 'env' as const;
  readonly writable = false;

  private readonly env: Record<string, string | undefined>;

  constructor(env: Record<string, string | undefined> = process.env) {
    this.env = env;
  }

  /** The environment variable a reference names. */
  static variableFor(ref: string): string {
    const raw = typeof ref === 'string' ? ref.trim() : '';
    const name = (raw.startsWith('env:') ? raw.slice(4) : raw).toUpperCase();
    if (!NAME_PATTERN.test(name)) {
      throw new SecretStoreError('invalid_reference', 'an env secret reference is NAME or env:NAME (letters, digits, _), read from SENTINEL_SECRET_<NAME>');
    }
    return `${ENV_PREFIX}${name}`;
  }

  async put(_tenantId: string, _name: string, _value: SecretValue): Promise<string> {
    throw new SecretStoreError('read_only', 'the env secret store is read-only: set SENTINEL_SECRET_<NAME> and reference it as keyvault_secret_id NAME');
  }

  async get(ref: string): Promise<SecretValue> {
    const variable = EnvSecretStore.variableFor(ref);
    const value = this.env[variable];
    if (value === undefined || value === '') throw new SecretStoreError('not_found', `environment variable ${variable} is not set`);
    return textToSecretValue(value);
  }

  async delete(_ref: string): Promise<void> {
    throw new SecretStoreError('read_only', 'the env secret store is read-only: unset the environment variable instead');
  }
}
