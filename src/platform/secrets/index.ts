import type { Kysely } from 'kysely';
import type { Config } from '../../config.ts';
import type { PlatformDatabase } from '../db/schema.ts';
import { AzureKeyVaultSecretStore } from './azure-keyvault.ts';
import { EnvSecretStore } from './env.ts';
import { LocalSecretStore } from './local.ts';
import type { SecretStore } from './types.ts';
import { VaultSecretStore } from './vault.ts';

export { SecretStoreError, type SecretStore, type SecretStoreKind, type SecretValue } from './types.ts';
export { LocalSecretStore, rotateLocalKey, type RotationResult } from './local.ts';
export { EnvSecretStore } from './env.ts';
export { VaultSecretStore, type VaultSecretStoreOptions } from './vault.ts';
export { AzureKeyVaultSecretStore, type AzureKeyVaultSecretStoreOptions } from './azure-keyvault.ts';

/**
 * The store SENTINEL_SECRET_STORE selects. `masterSecret` (loadSecretKey(config)) is used by the
 * local store only. Nothing is contacted here: an external store is reached on first use.
 */
export function createSecretStore(config: Config, db: Kysely<PlatformDatabase>, masterSecret: string): SecretStore {
  switch (config.secretStore) {
    case 'local':
      return new LocalSecretStore(db, masterSecret);
    case 'env':
      return new EnvSecretStore();
    case 'vault':
      if (config.vaultAddr === undefined || config.vaultToken === undefined) throw new Error('SENTINEL_SECRET_STORE=vault needs VAULT_ADDR and VAULT_TOKEN');
      return new VaultSecretStore({ addr: config.vaultAddr, token: config.vaultToken, mount: config.vaultMount });
    case 'azure-keyvault':
      if (config.azureKeyVaultUrl === undefined) throw new Error('SENTINEL_SECRET_STORE=azure-keyvault needs AZURE_KEYVAULT_URL');
      return new AzureKeyVaultSecretStore(config.azureKeyVaultUrl);
    default: {
      const unknown: never = config.secretStore;
      throw new Error(`unknown secret store ${String(unknown)}`);
    }
  }
}
