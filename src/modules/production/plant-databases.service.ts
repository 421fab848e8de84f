/**
 * Where each tenant's plant database is (docs/requirements.md, PRD-1): the embedded SQLite file by
 * default, or the client's own PostgreSQL or MySQL/MariaDB database. The URL carries a password, so
 * it is kept in the secret store and never returned; the registry's open handle is dropped on change.
 */
import { HttpError, badRequest, fieldError, type FieldError, type FieldErrorCode } from '../../platform/http/errors.ts';
import { toIso } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import type { PlantDialect, PlantRegistry, PlantSource } from '../../platform/db/plant-registry.ts';
import { SecretStoreError, type SecretStore } from '../../platform/secrets/types.ts';
import { isStorableText } from '../../platform/text.ts';
import type { ProductionPlatformRepo } from './production-platform.repo.ts';

/** External databases by URL scheme (the plant registry opens the same ones). */
const DIALECTS: Record<string, PlantDialect> = { 'postgres:': 'postgres', 'postgresql:': 'postgres', 'mysql:': 'mysql', 'mariadb:': 'mysql' };
const MAX_URL_LENGTH = 2000;
const SECRET_NAME = 'plant-database';

export interface PlantDatabaseInput {
  url?: string;
  mode?: 'embedded';
}

export interface PlantDatabaseView {
  tenant_id: string;
  mode: PlantSource['mode'];
  dialect: PlantDialect;
  updated_at: string | null;
}

const secretStoreFailure = (error: SecretStoreError) =>
  new HttpError(503, say(
    `The secret store holding the plant database URL failed (${error.kind})`,
    `Falló el almacén de secretos que guarda la URL de la base de datos de planta (${error.kind})`,
  ), { headers: { 'Retry-After': '5' } });

/** The dialect of a URL Sentinel can open; a 400 naming `url` otherwise (never echoing the URL: it has a password). */
function dialectOf(url: string): PlantDialect {
  const invalid = (message: string, code: FieldErrorCode, params?: FieldError['params']): never => {
    throw badRequest(say('The plant database URL is not usable', 'La URL de la base de datos de planta no se puede usar'), [fieldError('url', message, code, params)]);
  };
  if (url.length > MAX_URL_LENGTH) invalid(`must be at most ${MAX_URL_LENGTH} characters`, 'max_length', { limit: MAX_URL_LENGTH });
  if (!isStorableText(url)) invalid('must not contain NUL or unpaired surrogate characters', 'unstorable_text');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('must be a URL such as postgres://user:password@host:5432/plant or mysql://user:password@host:3306/plant', 'format', { format: 'uri' });
  }
  const dialect = DIALECTS[parsed.protocol];
  if (dialect === undefined) return invalid('must start with postgres://, postgresql://, mysql:// or mariadb://', 'invalid');
  if (parsed.hostname === '' || parsed.pathname.length <= 1) invalid('must name a host and a database', 'invalid');
  return dialect;
}

export function createPlantDatabasesService(deps: { repo: ProductionPlatformRepo; secrets: SecretStore; plants: () => PlantRegistry; clock?: () => number }) {
  const { repo, secrets } = deps;
  const now = deps.clock ?? Date.now;

  async function forget(ref: string): Promise<void> {
    // Already gone is what we wanted; the row no longer points at it either way.
    await secrets.delete(ref).catch((error: unknown) => {
      if (!(error instanceof SecretStoreError)) throw error;
    });
  }

  async function describe(tenantId: string): Promise<PlantDatabaseView> {
    const row = await repo.plantDatabase(tenantId);
    return row === undefined
      ? { tenant_id: tenantId, mode: 'embedded', dialect: 'sqlite', updated_at: null }
      : { tenant_id: tenantId, mode: 'external', dialect: row.dialect as PlantDialect, updated_at: toIso(row.updated_at) };
  }

  return {
    describe,

    /** The plant registry's `resolveSource`. */
    async resolveSource(tenantId: string): Promise<PlantSource> {
      const row = await repo.plantDatabase(tenantId);
      if (row === undefined) return { mode: 'embedded' };
      let url;
      try {
        url = await secrets.get(row.secret_ref);
      } catch (error) {
        if (error instanceof SecretStoreError) throw secretStoreFailure(error);
        throw error;
      }
      if (typeof url !== 'string') throw new HttpError(503, say('The stored plant database URL is not a string; set it again', 'La URL guardada de la base de datos de planta no es una cadena de texto; configúrela de nuevo'));
      return { mode: 'external', url };
    },

    /** `{url}` switches to the client's database, `{mode: 'embedded'}` back to the embedded one (its data is kept). */
    async set(tenantId: string, input: PlantDatabaseInput): Promise<PlantDatabaseView> {
      if ((input.url === undefined) === (input.mode === undefined)) {
        throw badRequest(say('Give either url or mode: "embedded"', 'Indique url o bien mode: "embedded"'), [{ field: input.url === undefined ? 'url' : 'mode', message: 'exactly one of url and mode is required', code: 'exactly_one', params: { fields: 'url, mode' } }]);
      }
      const previous = await repo.plantDatabase(tenantId);
      const at = now();
      if (input.url !== undefined) {
        const dialect = dialectOf(input.url);
        if (!secrets.writable) {
          throw badRequest(say(
            `The ${secrets.kind} secret store is read-only: the plant database URL cannot be stored`,
            `El almacén de secretos ${secrets.kind} es de solo lectura: no se puede guardar la URL de la base de datos de planta`,
          ), [{ field: 'url', message: 'cannot be stored in this secret store', code: 'read_only_store' }]);
        }
        let ref;
        try {
          ref = await secrets.put(tenantId, SECRET_NAME, input.url);
        } catch (error) {
          if (error instanceof SecretStoreError) throw secretStoreFailure(error);
          throw error;
        }
        await repo.savePlantDatabase({ tenant_id: tenantId, dialect, secret_ref: ref, created_at: at, updated_at: at });
      } else {
        await repo.deletePlantDatabase(tenantId);
      }
      if (previous !== undefined) await forget(previous.secret_ref);
      await deps.plants().invalidate(tenantId);
      return describe(tenantId);
    },
  };
}

export type PlantDatabasesService = ReturnType<typeof createPlantDatabasesService>;
