import { sql, type Kysely } from 'kysely';
import { DEFAULT_MIGRATION_TABLE, Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as core from '../../migrations/platform/0001_core.ts';
import * as integrations from '../../migrations/platform/0002_integrations.ts';
import * as patchJobs from '../../migrations/platform/0003_patch_jobs.ts';
import * as dataVersions from '../../migrations/platform/0004_data_versions.ts';
import * as plantOverlay from '../../migrations/platform/0005_plant_overlay.ts';
import * as cacheVersions from '../../migrations/platform/0006_cache_versions.ts';
import type { Db, Dialect } from './database.ts';
import { collectMysqlKeyColumns, mysqlSchemaPlugin } from './mysql-compat.ts';

/** One migration; `up` gets the dialect so a migration can differ where SQL does. */
export interface DialectMigration<D extends string = Dialect> {
  up(db: Parameters<Migration['up']>[0], dialect: D): Promise<void>;
}

/** Platform migrations in order; names are stored in the database, so never rename one. */
const PLATFORM_MIGRATIONS: Record<string, DialectMigration> = {
  '0001_core': core,
  '0002_integrations': integrations,
  '0003_patch_jobs': patchJobs,
  '0004_data_versions': dataVersions,
  '0005_plant_overlay': plantOverlay,
  '0006_cache_versions': cacheVersions,
};

function provider<D extends string>(migrations: Record<string, DialectMigration<D>>, dialect: D): MigrationProvider {
  return {
    async getMigrations() {
      const bound: Record<string, Migration> = {};
      for (const [name, migration] of Object.entries(migrations)) {
        bound[name] = { up: (db) => migration.up(db, dialect) };
      }
      return bound;
    },
  };
}

const SQLITE_RACE_RETRIES = 20;

/** Where a migration set records what ran; a set of its own keeps it apart from other sets in the same database. */
export interface MigrationTables {
  migrationTableName: string;
  migrationLockTableName: string;
}

/**
 * Whether every migration is recorded as run, in one query: the usual case at start, which Kysely's
 * migrator answers only after creating its tables if missing, inspecting the schema and taking its
 * lock (most of a restart's database work). A migration table that is not there yet means no.
 */
async function allApplied<DB>(kysely: Kysely<DB>, names: readonly string[], migrationTable: string): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(migrationTable)}`.execute(kysely);
    const applied = new Set(rows.map((row) => row.name));
    return names.every((name) => applied.has(name));
  } catch {
    return false;
  }
}

/**
 * Brings the schema up to date. Kysely takes a table lock on PostgreSQL, so concurrent starts are
 * serialised there. On SQLite two processes can race: the loser either finds the database locked or,
 * having read the migration table before the winner committed, finds the winner's tables (or added
 * columns) already there. Its transaction is rolled back either way, so it retries and finds the work done.
 */
export async function runMigrations<DB, D extends string>(
  kysely: Kysely<DB>,
  dialect: D,
  migrations: Record<string, DialectMigration<D>>,
  tables?: MigrationTables,
  options: { allowUnordered?: boolean } = {},
): Promise<string[]> {
  if (await allApplied(kysely, Object.keys(migrations), tables?.migrationTableName ?? DEFAULT_MIGRATION_TABLE)) return [];
  const migrator = new Migrator({ db: kysely, provider: provider(migrations, dialect), ...tables, allowUnorderedMigrations: options.allowUnordered ?? false });
  for (let attempt = 0; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (error === undefined) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const lostRace = dialect === 'sqlite' && error instanceof Error && /SQLITE_BUSY|database is locked|already exists|duplicate column name/i.test(`${(error as { code?: string }).code} ${error.message}`);
    if (!lostRace || attempt >= SQLITE_RACE_RETRIES) throw error;
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
  }
}

/**
 * Brings the platform database's schema up to date: the platform's migrations, then the modules'
 * (`moduleMigrations`, MODULE_MIGRATIONS of the registry in src/modules/index.ts), each named to
 * sort after the last platform one so the order holds. Modules' migrations touch only their own
 * tables, so one added later may sort before some already applied (`20261130_alerts_…` after
 * `20261130_production_…` ran): it is applied then rather than refused. Pending ones still run in
 * name order, which keeps a module's own migrations in sequence.
 */
export async function migrateToLatest(db: Db, moduleMigrations: Readonly<Record<string, DialectMigration>> = {}): Promise<string[]> {
  const lastPlatform = Object.keys(PLATFORM_MIGRATIONS).sort().at(-1)!;
  for (const name of Object.keys(moduleMigrations)) {
    if (name <= lastPlatform) throw new Error(`module migration ${name} must sort after the platform's ${lastPlatform}`);
  }
  const migrations = { ...PLATFORM_MIGRATIONS, ...moduleMigrations };
  let kysely = db.kysely;
  if (db.dialect === 'mysql') {
    // In name order, as they run: each table exists before the statements that index it.
    const ordered = Object.keys(migrations).sort().map((name) => (dryRun: Kysely<unknown>) => migrations[name]!.up(dryRun, 'mysql'));
    kysely = kysely.withPlugin(mysqlSchemaPlugin(await collectMysqlKeyColumns(ordered)));
  }
  return runMigrations(kysely, db.dialect, migrations, undefined, { allowUnordered: true });
}
