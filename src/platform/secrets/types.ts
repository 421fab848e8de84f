/** A credential: a token string, or an object for vendors that need several values. */
export type SecretValue = string | Record<string, string>;

export type SecretStoreKind = 'local' | 'azure-keyvault' | 'vault' | 'env';

/**
 * Where integration credentials live. Sentinel keeps only references: `put` stores a value given
 * through the API's write-only `secret` field and returns the reference to keep; `get` resolves a
 * reference — one `put` returned, or a `keyvault_secret_id` naming a secret already in the store.
 */
export interface SecretStore {
  readonly kind: SecretStoreKind;
  /** False for stores Sentinel cannot write to (env): only references to existing secrets work. */
  readonly writable: boolean;
  put(tenantId: string, name: string, value: SecretValue): Promise<string>;
  get(ref: string): Promise<SecretValue>;
  delete(ref: string): Promise<void>;
}

/** A reference that does not resolve, a tampered ciphertext, a wrong key, an unreachable store. */
export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
  readonly kind: 'not_found' | 'unavailable' | 'integrity' | 'read_only' | 'invalid_reference';

  constructor(kind: SecretStoreError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}
