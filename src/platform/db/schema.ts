/**
 * The database as one Kysely type. Instants are epoch milliseconds; flags are 0/1 integers so that
 * the same rows work on every dialect; JSON columns are text. The platform declares only its own
 * tables; each module adds its tables to this interface from its `<module>.tables.ts`.
 */
export interface PlatformDatabase {
  secrets: SecretsTable;
}

/** The local secret store's encrypted secrets (src/platform/secrets/local.ts). */
export interface SecretsTable {
  id: string;
  tenant_id: string | null;
  name: string;
  key_id: string;
  wrapped_key: string;
  ciphertext: string;
  created_at: number;
  updated_at: number;
}
