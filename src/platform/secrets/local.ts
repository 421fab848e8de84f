import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { deriveKey } from '../auth/secret-key.ts';
import type { PlatformDatabase } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { SecretStoreError, type SecretStore, type SecretValue } from './types.ts';
import { assertSecretValue, isObjectOfStrings } from './env.ts';

/**
 * The default store: AES-256-GCM envelope encryption in the `secrets` table.
 *
 * - Each secret gets a random 32-byte data key (DEK) that encrypts the JSON-serialised value.
 * - The DEK is wrapped (AES-256-GCM) by the key-encryption key (KEK) =
 *   HKDF-SHA256(master secret, salt "sentinel", info "secret-store-kek").
 * - `key_id` = first 16 hex characters of SHA-256(KEK): which KEK wrapped the row.
 * - `wrapped_key` and `ciphertext` are `v1.<iv>.<tag>.<data>`, each part base64url (12-byte IV,
 *   16-byte tag).
 * - Both are bound to their row with GCM additional authenticated data (the secret id and tenant id),
 *   so a ciphertext or wrapped key copied to another row does not decrypt.
 *
 * docs/secret-stores.md describes the format and key rotation.
 */

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEK_PURPOSE = 'secret-store-kek';
const REF_PATTERN = /^local:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const MAX_NAME_LENGTH = 200;

interface Kek {
  key: Uint8Array;
  id: string;
}

function kekFrom(masterSecret: string): Kek {
  if (typeof masterSecret !== 'string' || masterSecret.length === 0) throw new TypeError('the master secret must be a non-empty string');
  const key = deriveKey(masterSecret, KEK_PURPOSE);
  return { key, id: keyId(key) };
}

function keyId(kek: Uint8Array): string {
  return createHash('sha256').update(kek).digest('hex').slice(0, 16);
}

/** Additional authenticated data: what a blob belongs to. */
function aad(kind: 'dek' | 'value', id: string, tenantId: string | null): Buffer {
  return Buffer.from(`sentinel-secret/${FORMAT}/${kind}\u0000${id}\u0000${tenantId ?? ''}`, 'utf8');
}

function seal(key: Uint8Array, plaintext: Uint8Array, associated: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associated);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Throws a plain Error (callers turn it into an integrity error naming the row). */
function open(key: Uint8Array, sealed: string, associated: Buffer): Buffer {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT || !parts.every((p) => BASE64URL.test(p))) throw new Error('unrecognised format');
  const iv = Buffer.from(parts[1]!, 'base64url');
  const tag = Buffer.from(parts[2]!, 'base64url');
  const data = Buffer.from(parts[3]!, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('bad IV or tag length');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associated);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

interface SecretRow {
  id: string;
  tenant_id: string | null;
  key_id: string;
  wrapped_key: string;
  ciphertext: string;
}

function unwrapDataKey(kek: Kek, row: SecretRow): Buffer {
  let dek: Buffer;
  try {
    dek = open(kek.key, row.wrapped_key, aad('dek', row.id, row.tenant_id));
  } catch {
    throw new SecretStoreError('integrity', `secret ${row.id}: the wrapped data key does not authenticate (tampered, or copied from another row)`);
  }
  if (dek.length !== KEY_BYTES) throw new SecretStoreError('integrity', `secret ${row.id}: the data key has the wrong length`);
  return dek;
}

function decryptValue(dek: Uint8Array, row: SecretRow): SecretValue {
  let plaintext: Buffer;
  try {
    plaintext = open(dek, row.ciphertext, aad('value', row.id, row.tenant_id));
  } catch {
    throw new SecretStoreError('integrity', `secret ${row.id}: the ciphertext does not authenticate (tampered, or copied from another row)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new SecretStoreError('integrity', `secret ${row.id}: the decrypted value is not JSON`);
  }
  if (typeof value === 'string' || isObjectOfStrings(value)) return value;
  throw new SecretStoreError('integrity', `secret ${row.id}: the decrypted value is neither a string nor an object of strings`);
}

function parseRef(ref: string): string {
  const match = typeof ref === 'string' ? REF_PATTERN.exec(ref) : null;
  if (match === null) throw new SecretStoreError('invalid_reference', 'a local secret reference looks like local:<uuid>');
  return match[1]!;
}

export class LocalSecretStore implements SecretStore {
  readonly kind = 'local' as const;
  readonly writable = true;
  readonly #kek: Kek;
  private readonly db: Kysely<PlatformDatabase>;

  constructor(db: Kysely<PlatformDatabase>, masterSecret: string) {
    this.db = db;
    this.#kek = kekFrom(masterSecret);
  }

  /** The fingerprint of the current key-encryption key, as stored in `secrets.key_id`. */
  get keyId(): string {
    return this.#kek.id;
  }

  async put(tenantId: string, name: string, value: SecretValue): Promise<string> {
    assertSecretValue(value);
    const id = newId();
    const tenant = tenantId === '' ? null : tenantId;
    const dek = randomBytes(KEY_BYTES);
    try {
      const ciphertext = seal(dek, Buffer.from(JSON.stringify(value), 'utf8'), aad('value', id, tenant));
      const wrappedKey = seal(this.#kek.key, dek, aad('dek', id, tenant));
      const now = Date.now();
      await this.db
        .insertInto('secrets')
        .values({ id, tenant_id: tenant, name: String(name).slice(0, MAX_NAME_LENGTH), key_id: this.#kek.id, wrapped_key: wrappedKey, ciphertext, created_at: now, updated_at: now })
        .execute();
    } finally {
      dek.fill(0);
    }
    return `local:${id}`;
  }

  async get(ref: string): Promise<SecretValue> {
    const id = parseRef(ref);
    const row = await this.db.selectFrom('secrets').select(['id', 'tenant_id', 'key_id', 'wrapped_key', 'ciphertext']).where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new SecretStoreError('not_found', `secret ${id} does not exist`);
    if (row.key_id !== this.#kek.id) {
      throw new SecretStoreError(
        'integrity',
        `secret ${id} is encrypted with another key (key id ${row.key_id}; the current SENTINEL_SECRET_KEY has key id ${this.#kek.id}) — was the key changed without \`sentinel secrets rotate-key\`?`,
      );
    }
    const dek = unwrapDataKey(this.#kek, row);
    try {
      return decryptValue(dek, row);
    } finally {
      dek.fill(0);
    }
  }

  /** Removes the row; deleting a secret that is already gone is not an error. */
  async delete(ref: string): Promise<void> {
    const id = parseRef(ref);
    await this.db.deleteFrom('secrets').where('id', '=', id).execute();
  }
}

export interface RotationResult {
  /** Rows whose data key was re-wrapped from the old key to the new one. */
  rewrapped: number;
  /** Rows already wrapped by the new key (verified, left unchanged): a rotation that was run before. */
  alreadyCurrent: number;
}

/**
 * Re-wraps every data key from the KEK of `oldSecret` to the KEK of `newSecret`, in one transaction:
 * either every row ends up under the new key or nothing changes. Only `wrapped_key`, `key_id` and
 * `updated_at` change; ciphertexts stay as they are. Each row is fully verified first (the data key
 * unwraps AND the value decrypts), so a rotation never leaves an unreadable row behind silently: a row
 * under an unknown key, or one that fails to authenticate, aborts the rotation with an error naming it.
 * Rows already under the new key are verified and counted in `alreadyCurrent`.
 *
 * Run it with every API node stopped (or all still on the old key and restarted right after):
 * a node still writing with the old key after the rotation makes rows the new key cannot read.
 */
export async function rotateLocalKey(db: Kysely<PlatformDatabase>, oldSecret: string, newSecret: string): Promise<RotationResult> {
  const oldKek = kekFrom(oldSecret);
  const newKek = kekFrom(newSecret);
  if (oldKek.id === newKek.id) throw new Error('the previous and the new secret key are the same: nothing to rotate');
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('secrets').select(['id', 'tenant_id', 'key_id', 'wrapped_key', 'ciphertext']).orderBy('id').execute();
    let rewrapped = 0;
    let alreadyCurrent = 0;
    const now = Date.now();
    for (const row of rows) {
      const kek = row.key_id === oldKek.id ? oldKek : row.key_id === newKek.id ? newKek : undefined;
      if (kek === undefined) {
        throw new Error(
          `key rotation aborted, nothing changed: secret ${row.id} is encrypted with key id ${row.key_id}, which is neither the previous key (${oldKek.id}) nor the new key (${newKek.id})`,
        );
      }
      let dek: Buffer;
      try {
        dek = unwrapDataKey(kek, row);
        decryptValue(dek, row);
      } catch (error) {
        throw new Error(`key rotation aborted, nothing changed: ${(error as Error).message}`);
      }
      try {
        if (kek === newKek) {
          alreadyCurrent++;
          continue;
        }
        const wrappedKey = seal(newKek.key, dek, aad('dek', row.id, row.tenant_id));
        const result = await trx
          .updateTable('secrets')
          .set({ wrapped_key: wrappedKey, key_id: newKek.id, updated_at: now })
          .where('id', '=', row.id)
          .where('key_id', '=', row.key_id)
          .where('wrapped_key', '=', row.wrapped_key)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) {
          throw new Error(`key rotation aborted, nothing changed: secret ${row.id} changed while rotating (is another Sentinel process running?)`);
        }
        rewrapped++;
      } finally {
        dek.fill(0);
      }
    }
    return { rewrapped, alreadyCurrent };
  });
}
