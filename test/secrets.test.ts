import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { loadConfig } from '../src/config.ts';
import { openDatabase, openMemoryDatabase, type Db } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrator.ts';
import { newId } from '../src/platform/ids.ts';
import {
  AzureKeyVaultSecretStore,
  EnvSecretStore,
  LocalSecretStore,
  SecretStoreError,
  VaultSecretStore,
  createSecretStore,
  rotateLocalKey,
} from '../src/platform/secrets/index.ts';
import { createServerDatabase, dialects } from './helpers/harness.ts';
import { opensslAvailable, startAzureKeyVaultSimulator, type AzureKeyVaultSimulator } from './simulators/azure-keyvault.ts';
import { startVaultSimulator, type VaultSimulator } from './simulators/vault.ts';

const run = promisify(execFile);

const MASTER = 'test-master-secret-0123456789-abcdefghijklmnop';
const OTHER = 'another-master-secret-9876543210-zyxwvutsrqpon';
const THIRD = 'a-third-master-secret-5555555555-qqqqqqqqqqqqq';

/** Asserts that `promise` rejects with a SecretStoreError of `kind` (and a message matching `message`). */
async function rejectsWith(promise: Promise<unknown>, kind: SecretStoreError['kind'], message?: RegExp): Promise<SecretStoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SecretStoreError, `expected a SecretStoreError(${kind}), got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Flips the first byte of part `index` (1 = IV, 2 = tag, 3 = data) of a `v1.<iv>.<tag>.<data>` blob. */
function tamper(sealed: string, index: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

for (const dialect of dialects()) {
  describe(`local secret store (${dialect})`, () => {
    let db: Db;
    let dataDir: string;
    let dropPostgres: (() => Promise<void>) | undefined;
    let store: LocalSecretStore;
    const tenantA = newId();
    const tenantB = newId();

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-secrets-'));
      let databaseUrl: string | undefined;
      const database = await createServerDatabase(dialect);
      if (database) {
        databaseUrl = database.url;
        dropPostgres = database.drop;
      }
      db = openDatabase({ databaseUrl, dataDir });
      await migrateToLatest(db);
      const now = Date.now();
      await db.kysely.insertInto('tenants').values([
        { id: tenantA, name: 'Tenant A', slug: 'tenant-a', is_active: 1, config: '{}', created_at: now, updated_at: now },
        { id: tenantB, name: 'Tenant B', slug: 'tenant-b', is_active: 1, config: '{}', created_at: now, updated_at: now },
      ]).execute();
      store = new LocalSecretStore(db.kysely, MASTER);
    });
    after(async () => {
      await db.close();
      await dropPostgres?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const row = (id: string) => db.kysely.selectFrom('secrets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const idOf = (ref: string) => ref.slice('local:'.length);

    it('round-trips strings and objects, encrypted at rest in the documented format', async () => {
      assert.equal(store.kind, 'local');
      assert.equal(store.writable, true);
      const token = 'glsa_VerySecretToken_123';
      const credentials = { username: 'svc-sentinel', password: 'p@ss "wörd" {}' };
      const tokenRef = await store.put(tenantA, 'grafana', token);
      const objectRef = await store.put(tenantA, 'wazuh', credentials);
      assert.match(tokenRef, /^local:[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(await store.get(tokenRef), token);
      assert.deepEqual(await store.get(objectRef), credentials);

      const stored = await row(idOf(tokenRef));
      assert.equal(stored.tenant_id, tenantA);
      assert.equal(stored.name, 'grafana');
      assert.match(stored.key_id, /^[0-9a-f]{16}$/);
      assert.equal(stored.key_id, store.keyId);
      assert.match(stored.ciphertext, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
      assert.match(stored.wrapped_key, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      assert.ok(!stored.ciphertext.includes(token) && !Buffer.from(stored.ciphertext.split('.')[3]!, 'base64url').toString('latin1').includes('VerySecret'));
      assert.equal(typeof stored.created_at, 'number');

      // Same value, fresh data key and IV: nothing in common.
      const again = await row(idOf(await store.put(tenantA, 'grafana', token)));
      assert.notEqual(again.ciphertext, stored.ciphertext);
      assert.notEqual(again.wrapped_key, stored.wrapped_key);
    });

    it('deletes (idempotently) and reports missing and malformed references', async () => {
      const ref = await store.put(tenantB, 'to-delete', 'x');
      await store.delete(ref);
      await rejectsWith(store.get(ref), 'not_found');
      await store.delete(ref);
      await rejectsWith(store.get(`local:${newId()}`), 'not_found');
      for (const bad of ['', 'local:', 'local:not-a-uuid', 'vault:apps/x', `LOCAL:${newId()}`, `local:${newId()} `]) {
        await rejectsWith(store.get(bad), 'invalid_reference');
      }
      await rejectsWith(store.delete('local:../etc'), 'invalid_reference');
      await assert.rejects(store.put(tenantA, 'bad', 42 as never), TypeError);
      await assert.rejects(store.put(tenantA, 'bad', { nested: { a: 'b' } } as never), TypeError);
    });

    it('detects a tampered ciphertext, IV, tag or wrapped key', async () => {
      const ref = await store.put(tenantA, 'tamper', { token: 'abc' });
      const id = idOf(ref);
      const original = await row(id);
      const cases: { column: 'ciphertext' | 'wrapped_key'; value: string }[] = [
        { column: 'ciphertext', value: tamper(original.ciphertext, 3) },
        { column: 'ciphertext', value: tamper(original.ciphertext, 2) },
        { column: 'ciphertext', value: tamper(original.ciphertext, 1) },
        { column: 'ciphertext', value: original.ciphertext.split('.').slice(0, 3).join('.') },
        { column: 'ciphertext', value: `v2${original.ciphertext.slice(2)}` },
        { column: 'wrapped_key', value: tamper(original.wrapped_key, 3) },
        { column: 'wrapped_key', value: tamper(original.wrapped_key, 2) },
        { column: 'wrapped_key', value: 'garbage' },
      ];
      for (const { column, value } of cases) {
        await db.kysely.updateTable('secrets').set({ [column]: value }).where('id', '=', id).execute();
        await rejectsWith(store.get(ref), 'integrity', column === 'ciphertext' ? /ciphertext/ : /data key/);
        await db.kysely.updateTable('secrets').set({ ciphertext: original.ciphertext, wrapped_key: original.wrapped_key }).where('id', '=', id).execute();
      }
      assert.deepEqual(await store.get(ref), { token: 'abc' });
    });

    it('binds the ciphertext to its row: a copy under another id or tenant does not decrypt', async () => {
      const ref = await store.put(tenantA, 'bound', 'tenant-a-token');
      const original = await row(idOf(ref));
      const copyId = newId();
      await db.kysely.insertInto('secrets').values({ ...original, id: copyId }).execute();
      await rejectsWith(store.get(`local:${copyId}`), 'integrity');
      // Only the ciphertext copied onto another secret's row (that keeps its own data key).
      const victim = await store.put(tenantB, 'victim', 'tenant-b-token');
      await db.kysely.updateTable('secrets').set({ ciphertext: original.ciphertext }).where('id', '=', idOf(victim)).execute();
      await rejectsWith(store.get(victim), 'integrity', /ciphertext/);
      // The row moved to another tenant.
      await db.kysely.updateTable('secrets').set({ tenant_id: tenantB }).where('id', '=', original.id).execute();
      await rejectsWith(store.get(ref), 'integrity');
      await db.kysely.updateTable('secrets').set({ tenant_id: tenantA }).where('id', '=', original.id).execute();
      assert.equal(await store.get(ref), 'tenant-a-token');
    });

    it('refuses to decrypt with another master key', async () => {
      const ref = await store.put(tenantA, 'wrong-key', 'v');
      const other = new LocalSecretStore(db.kysely, OTHER);
      assert.notEqual(other.keyId, store.keyId);
      await rejectsWith(other.get(ref), 'integrity', /encrypted with another key/);
      // Even with the key id forged to match, the wrapped key does not authenticate.
      await db.kysely.updateTable('secrets').set({ key_id: other.keyId }).where('id', '=', idOf(ref)).execute();
      await rejectsWith(other.get(ref), 'integrity', /data key/);
      await db.kysely.updateTable('secrets').set({ key_id: store.keyId }).where('id', '=', idOf(ref)).execute();
    });

    it('rotateLocalKey re-wraps every data key in one transaction', async () => {
      // Start from a clean table: earlier tests left deliberately broken rows.
      await db.kysely.deleteFrom('secrets').execute();
      const refs = [
        await store.put(tenantA, 'one', 'first'),
        await store.put(tenantA, 'two', { user: 'u', pass: 'p' }),
        await store.put(tenantB, 'three', 'third'),
      ];
      const before = await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute();

      await assert.rejects(rotateLocalKey(db.kysely, MASTER, MASTER), /same/);
      const result = await rotateLocalKey(db.kysely, MASTER, OTHER);
      assert.deepEqual(result, { rewrapped: 3, alreadyCurrent: 0 });

      const rotated = new LocalSecretStore(db.kysely, OTHER);
      const afterRows = await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute();
      for (const [i, rowAfter] of afterRows.entries()) {
        const rowBefore = before[i]!;
        assert.equal(rowAfter.ciphertext, rowBefore.ciphertext, 'ciphertexts are untouched');
        assert.notEqual(rowAfter.wrapped_key, rowBefore.wrapped_key);
        assert.equal(rowAfter.key_id, rotated.keyId);
      }
      assert.equal(await rotated.get(refs[0]!), 'first');
      assert.deepEqual(await rotated.get(refs[1]!), { user: 'u', pass: 'p' });
      assert.equal(await rotated.get(refs[2]!), 'third');
      await rejectsWith(store.get(refs[0]!), 'integrity', /another key/);

      // Running it again finds everything already under the new key.
      assert.deepEqual(await rotateLocalKey(db.kysely, MASTER, OTHER), { rewrapped: 0, alreadyCurrent: 3 });
      // And back.
      assert.deepEqual(await rotateLocalKey(db.kysely, OTHER, MASTER), { rewrapped: 3, alreadyCurrent: 0 });
      assert.equal(await store.get(refs[0]!), 'first');
    });

    it('rotateLocalKey aborts, changing nothing, on a row it cannot unwrap', async () => {
      await db.kysely.deleteFrom('secrets').execute();
      await store.put(tenantA, 'good-1', 'g1');
      await store.put(tenantA, 'good-2', 'g2');
      // The newest row (rows are processed in id order, so the good ones are re-wrapped first).
      const stranger = await new LocalSecretStore(db.kysely, THIRD).put(tenantA, 'stranger', 's');
      const snapshot = await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute();

      await assert.rejects(rotateLocalKey(db.kysely, MASTER, OTHER), (error: Error) => {
        assert.match(error.message, /nothing changed/);
        assert.ok(error.message.includes(idOf(stranger)), error.message);
        assert.match(error.message, /neither the previous key/);
        return true;
      });
      assert.deepEqual(await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute(), snapshot);

      // A row under the old key that does not authenticate aborts too.
      await db.kysely.deleteFrom('secrets').where('id', '=', idOf(stranger)).execute();
      const broken = await store.put(tenantB, 'broken', 'b');
      const brokenRow = await row(idOf(broken));
      await db.kysely.updateTable('secrets').set({ wrapped_key: tamper(brokenRow.wrapped_key, 3) }).where('id', '=', brokenRow.id).execute();
      const snapshot2 = await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute();
      await assert.rejects(rotateLocalKey(db.kysely, MASTER, OTHER), (error: Error) => error.message.includes(brokenRow.id) && /nothing changed/.test(error.message));
      assert.deepEqual(await db.kysely.selectFrom('secrets').selectAll().orderBy('id').execute(), snapshot2);
    });
  });
}

describe('env secret store', () => {
  const env: Record<string, string | undefined> = {
    SENTINEL_SECRET_GRAFANA_TOKEN: 'glsa_abc',
    SENTINEL_SECRET_WAZUH: '{"username":"wazuh-wui","password":"pw","port":55000,"tls":true}',
    SENTINEL_SECRET_BRACE: '{not-json-but-a-password',
    SENTINEL_SECRET_EMPTY: '',
  };
  const store = new EnvSecretStore(env);

  it('reads SENTINEL_SECRET_<NAME>, parsing JSON objects', async () => {
    assert.equal(store.kind, 'env');
    assert.equal(store.writable, false);
    assert.equal(await store.get('GRAFANA_TOKEN'), 'glsa_abc');
    assert.equal(await store.get('env:grafana_token'), 'glsa_abc');
    assert.deepEqual(await store.get('wazuh'), { username: 'wazuh-wui', password: 'pw', port: '55000', tls: 'true' });
    assert.equal(await store.get('BRACE'), '{not-json-but-a-password');
  });

  it('reports missing variables, bad references, and refuses writes', async () => {
    await rejectsWith(store.get('MISSING'), 'not_found', /SENTINEL_SECRET_MISSING/);
    await rejectsWith(store.get('EMPTY'), 'not_found');
    for (const bad of ['', 'env:', 'with-dash', 'a.b', 'vault:x', '../X']) await rejectsWith(store.get(bad), 'invalid_reference');
    await rejectsWith(store.put('t', 'n', 'v'), 'read_only');
    await rejectsWith(store.delete('GRAFANA_TOKEN'), 'read_only');
  });
});

describe('vault secret store (KV v2 simulator)', () => {
  let sim: VaultSimulator;
  let store: VaultSecretStore;
  const tenant = newId();

  before(async () => {
    sim = await startVaultSimulator();
    store = new VaultSecretStore({ addr: sim.url, token: sim.token, mount: sim.mount, timeoutMs: 2000 });
  });
  after(() => sim.close());

  it('puts, gets and deletes strings and objects under sentinel/<tenant>/', async () => {
    assert.equal(store.kind, 'vault');
    const tokenRef = await store.put(tenant, 'Grafana Prod', 'glsa_token');
    const objectRef = await store.put(tenant, 'wazuh', { username: 'u', password: 'p' });
    assert.match(tokenRef, new RegExp(`^vault:sentinel/${tenant}/Grafana-Prod-[0-9a-f]{12}$`));
    assert.match(objectRef, new RegExp(`^vault:sentinel/${tenant}/wazuh-[0-9a-f]{12}$`));

    const write = sim.requests.find((r) => r.method === 'POST')!;
    assert.equal(write.path, `/v1/secret/data/${tokenRef.slice(6)}`);
    assert.equal(write.headers['x-vault-token'], sim.token);
    assert.deepEqual(JSON.parse(write.body), { data: { value: 'glsa_token' } });
    assert.deepEqual(sim.data.get(objectRef.slice(6))!.versions[0]!.data, { username: 'u', password: 'p' });

    assert.equal(await store.get(tokenRef), 'glsa_token');
    assert.deepEqual(await store.get(objectRef), { username: 'u', password: 'p' });

    await store.delete(tokenRef);
    assert.equal(sim.data.has(tokenRef.slice(6)), false);
    assert.equal(sim.requests.at(-1)!.method, 'DELETE');
    assert.equal(sim.requests.at(-1)!.path, `/v1/secret/metadata/${tokenRef.slice(6)}`);
    await rejectsWith(store.get(tokenRef), 'not_found');
    await store.delete(tokenRef);
  });

  it('resolves user-supplied KV paths, with an optional #field', async () => {
    sim.seed('apps/grafana', { username: 'admin', password: 'hunter2', port: 3000 });
    sim.seed('apps/token', { value: 'only-a-token' });
    assert.deepEqual(await store.get('vault:apps/grafana'), { username: 'admin', password: 'hunter2', port: '3000' });
    assert.deepEqual(await store.get('apps/grafana'), { username: 'admin', password: 'hunter2', port: '3000' });
    assert.equal(await store.get('apps/grafana#password'), 'hunter2');
    assert.equal(await store.get('vault:apps/token'), 'only-a-token');
    await rejectsWith(store.get('apps/grafana#nope'), 'not_found', /no field "nope"/);
    // A newer version wins.
    sim.seed('apps/token', { value: 'rotated' });
    assert.equal(await store.get('apps/token'), 'rotated');
    // Only what Sentinel stored can be deleted through the store.
    await rejectsWith(store.delete('vault:apps/grafana'), 'invalid_reference', /only deletes/);
    await rejectsWith(store.delete(`vault:sentinel/${tenant}/x#field`), 'invalid_reference');
    assert.ok(sim.data.has('apps/grafana'));
  });

  it('maps missing paths, bad references and a soft-deleted version', async () => {
    await rejectsWith(store.get('vault:apps/missing'), 'not_found', /does not exist/);
    for (const bad of ['', 'vault:', 'vault:../etc', 'a//b', 'a/./b', 'a b', 'apps/x#']) await rejectsWith(store.get(bad), 'invalid_reference');
    sim.seed('apps/soft', { value: 'v1' });
    sim.data.get('apps/soft')!.versions[0]!.deletion_time = new Date().toISOString();
    await rejectsWith(store.get('apps/soft'), 'not_found');
  });

  it('reports a bad token, a sealed or unreachable Vault, a slow one and a wrong mount as unavailable', async () => {
    const badToken = new VaultSecretStore({ addr: sim.url, token: 'hvs.wrong', mount: sim.mount });
    const denied = await rejectsWith(badToken.get('apps/grafana'), 'unavailable', /permission denied/);
    assert.ok(!denied.message.includes('hvs.wrong'), 'the token never appears in errors');
    await rejectsWith(badToken.put(tenant, 'x', 'y'), 'unavailable', /VAULT_TOKEN/);

    sim.sealed = true;
    await rejectsWith(store.get('apps/grafana'), 'unavailable', /sealed/);
    sim.sealed = false;

    sim.faults.status = { code: 500, count: 1 };
    await rejectsWith(store.get('apps/grafana'), 'unavailable', /HTTP 500/);

    const wrongMount = new VaultSecretStore({ addr: sim.url, token: sim.token, mount: 'kv' });
    await rejectsWith(wrongMount.get('apps/grafana'), 'unavailable', /VAULT_MOUNT/);

    const slow = new VaultSecretStore({ addr: sim.url, token: sim.token, mount: sim.mount, timeoutMs: 150 });
    sim.faults.latencyMs = 600;
    await rejectsWith(slow.get('apps/grafana'), 'unavailable', /no answer within 150 ms/);
    sim.faults.latencyMs = 0;

    const closed = await startVaultSimulator();
    await closed.close();
    const unreachable = new VaultSecretStore({ addr: closed.url, token: 't', mount: 'secret' });
    await rejectsWith(unreachable.get('apps/grafana'), 'unavailable', /unreachable: ECONNREFUSED/);
  });
});

/*
 * Azure Key Vault. The SDK only sends bearer tokens over https, so the simulator serves HTTPS with a
 * self-signed certificate made at test time by the openssl CLI. The client trusts exactly that
 * certificate through the SDK's own `tlsOptions: { ca }` client option (core-rest-pipeline builds an
 * https.Agent from it) — no NODE_TLS_REJECT_UNAUTHORIZED, nothing process-wide. The challenge names
 * resource https://vault.azure.net like the real service, and the SDK checks that the vault host ends
 * with .vault.azure.net; the simulator listens on 127.0.0.1, so the test client sets
 * `disableChallengeResourceVerification: true` (production keeps the check). The credential is a
 * TokenCredential returning the simulator's token, recording what the challenge made the SDK ask for.
 */
const noOpenssl = opensslAvailable() ? false : 'the openssl CLI is not installed: cannot make the HTTPS certificate the Key Vault simulator needs';

describe('azure key vault secret store (HTTPS simulator)', { skip: noOpenssl }, () => {
  let sim: AzureKeyVaultSimulator;
  let store: AzureKeyVaultSecretStore;
  const tokenRequests: { scopes: string[]; tenantId: string | undefined }[] = [];
  const tenant = newId();

  const credentialFor = (token: () => string): TokenCredential => ({
    async getToken(scopes, options) {
      tokenRequests.push({ scopes: [scopes].flat(), tenantId: options?.tenantId });
      return { token: token(), expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  });
  const storeFor = (url: string, token: () => string) =>
    new AzureKeyVaultSecretStore(url, {
      credential: credentialFor(token),
      clientOptions: { tlsOptions: { ca: sim.ca }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
      timeoutMs: 5000,
    });

  before(async () => {
    sim = await startAzureKeyVaultSimulator();
    store = storeFor(sim.url, () => sim.token);
  });
  after(() => sim.close());

  it('puts, gets and deletes strings and objects, after the bearer challenge', async () => {
    assert.equal(store.kind, 'azure-keyvault');
    const objectRef = await store.put(tenant, 'Wazuh / Prod', { username: 'wazuh-wui', password: 'p{w}"' });
    const tokenRef = await store.put(tenant, 'grafana', '{"looks":"like json"}');
    const objectName = objectRef.slice('azure:'.length);
    assert.match(objectRef, new RegExp(`^azure:sentinel-${tenant}-wazuh-prod-[0-9a-f]{12}$`));
    assert.ok(objectName.length <= 127);

    // The first request goes out without a token (or body); the 401 challenge tells the SDK which
    // tenant and resource to get a token for, then the request is repeated with it.
    const [first, second] = sim.requests;
    assert.equal(first!.headers.authorization, undefined);
    assert.equal(first!.body, '');
    assert.equal(second!.headers.authorization, `Bearer ${sim.token}`);
    assert.deepEqual(tokenRequests[0], { scopes: ['https://vault.azure.net/.default'], tenantId: sim.tenantId });

    const stored = sim.secrets.get(objectName)![0]!;
    assert.equal(stored.contentType, 'application/json');
    assert.deepEqual(JSON.parse(stored.value), { username: 'wazuh-wui', password: 'p{w}"' });
    assert.equal(stored.tags?.['sentinel-tenant'], tenant);
    assert.equal(sim.secrets.get(tokenRef.slice(6))![0]!.contentType, 'text/plain');

    assert.deepEqual(await store.get(objectRef), { username: 'wazuh-wui', password: 'p{w}"' });
    assert.equal(await store.get(tokenRef), '{"looks":"like json"}', 'a string stays a string, whatever it looks like');

    await store.delete(objectRef);
    assert.equal(sim.secrets.has(objectName), false);
    assert.ok(sim.deleted.has(objectName), 'soft-deleted');
    await rejectsWith(store.get(objectRef), 'not_found');
    await store.delete(objectRef);
  });

  it('resolves user-supplied names, versions and secret identifier URLs', async () => {
    const plain = { version: 'a'.repeat(32), value: 'plain-token', contentType: undefined, tags: undefined, created: 1 };
    const json = { version: 'b'.repeat(32), value: '{"client_id":"c","client_secret":"s"}', contentType: undefined, tags: undefined, created: 1 };
    sim.secrets.set('grafana-token', [plain, { ...plain, version: 'c'.repeat(32), value: 'newer-token' }]);
    sim.secrets.set('m365-app', [json]);
    assert.equal(await store.get('grafana-token'), 'newer-token');
    assert.equal(await store.get('azure:grafana-token'), 'newer-token');
    assert.equal(await store.get(`azure:grafana-token/${'a'.repeat(32)}`), 'plain-token');
    assert.equal(await store.get(`${sim.url}/secrets/grafana-token/${'a'.repeat(32)}`), 'plain-token');
    assert.equal(await store.get(`${sim.url}/secrets/grafana-token`), 'newer-token');
    assert.deepEqual(await store.get('m365-app'), { client_id: 'c', client_secret: 's' }, 'a JSON object without content type becomes an object');

    for (const bad of ['', 'azure:', 'has_underscore', 'a'.repeat(128), 'name/ver/extra', 'name/not-hex!', 'https://other.vault.azure.net/secrets/x']) {
      await rejectsWith(store.get(bad), 'invalid_reference');
    }
    await rejectsWith(store.get(`grafana-token/${'f'.repeat(32)}`), 'not_found');
    await rejectsWith(store.get('azure:never-created'), 'not_found');
    await rejectsWith(store.delete('azure:grafana-token'), 'invalid_reference', /only deletes/);
    assert.ok(sim.secrets.has('grafana-token'));
  });

  it('reports a wrong token, missing permissions and an unreachable vault as unavailable', async () => {
    const wrong = storeFor(sim.url, () => 'not-the-token');
    const error = await rejectsWith(wrong.get('grafana-token'), 'unavailable', /rejected the credential/);
    assert.ok(!error.message.includes('not-the-token'));
    const challenged = sim.requests.filter((r) => r.headers.authorization === 'Bearer not-the-token');
    assert.ok(challenged.length >= 1);

    sim.forbidden = true;
    await rejectsWith(store.get('grafana-token'), 'unavailable', /denied access.*get permission/);
    await rejectsWith(store.put(tenant, 'x', 'y'), 'unavailable', /set permission/);
    sim.forbidden = false;

    const closed = await startAzureKeyVaultSimulator();
    await closed.close();
    await rejectsWith(storeFor(closed.url, () => closed.token).get('grafana-token'), 'unavailable', /unreachable: ECONNREFUSED/);
  });

  it('keeps the SDK check that the challenge resource matches the vault host unless disabled', async () => {
    const strict = new AzureKeyVaultSecretStore(sim.url, {
      credential: credentialFor(() => sim.token),
      clientOptions: { tlsOptions: { ca: sim.ca }, retryOptions: { maxRetries: 0 } },
    });
    await rejectsWith(strict.get('grafana-token'), 'unavailable', /does not match the requested domain/);
  });
});

describe('createSecretStore', () => {
  it('chooses the store SENTINEL_SECRET_STORE names', async () => {
    const db = openMemoryDatabase();
    try {
      const base = { SENTINEL_DATA_DIR: tmpdir() };
      assert.ok(createSecretStore(loadConfig(base), db.kysely, MASTER) instanceof LocalSecretStore);
      assert.ok(createSecretStore(loadConfig({ ...base, SENTINEL_SECRET_STORE: 'env' }), db.kysely, MASTER) instanceof EnvSecretStore);
      const vault = createSecretStore(loadConfig({ ...base, SENTINEL_SECRET_STORE: 'vault', VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'hvs.x' }), db.kysely, MASTER);
      assert.ok(vault instanceof VaultSecretStore);
      const azure = createSecretStore(loadConfig({ ...base, SENTINEL_SECRET_STORE: 'azure-keyvault', AZURE_KEYVAULT_URL: 'https://my-vault.vault.azure.net' }), db.kysely, MASTER);
      assert.ok(azure instanceof AzureKeyVaultSecretStore);
      assert.deepEqual(azure.parseRef('https://my-vault.vault.azure.net/secrets/grafana/0123abcd'), { name: 'grafana', version: '0123abcd' });
      assert.deepEqual([vault.kind, vault.writable, azure.kind, azure.writable], ['vault', true, 'azure-keyvault', true]);
    } finally {
      await db.close();
    }
  });
});

describe('the generated master secret', () => {
  it('is created once, whole and private, and processes starting at once all read the same key', async () => {
    const script = `import { loadSecretKey } from ${JSON.stringify(path.resolve('src/platform/auth/secret-key.ts'))};
      process.stdout.write(loadSecretKey({ secretKey: undefined, dataDir: process.argv[1] }));`;
    for (let round = 0; round < 4; round++) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-key-'));
      try {
        const keys = await Promise.all(Array.from({ length: 6 }, async () => {
          const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, dataDir]);
          return stdout;
        }));
        assert.equal(new Set(keys).size, 1, `one key: ${keys.join(' | ')}`);
        assert.ok(keys[0]!.length >= 64, 'a whole key');
        assert.equal(statSync(path.join(dataDir, 'secret.key')).mode & 0o777, 0o600);
        assert.deepEqual(readdirSync(dataDir), ['secret.key'], 'no candidate file left behind');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
