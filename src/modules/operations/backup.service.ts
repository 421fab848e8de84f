/**
 * Backups of everything Sentinel keeps: the platform database (a SQLite online backup, `pg_dump`
 * for PostgreSQL, or `mysqldump` for MySQL/MariaDB), every embedded plant database (`<data dir>/tenants/<id>/plant.db`,
 * online backup while the service runs) and the generated secret key, in one gzip-compressed tar
 * with a manifest of per-file SHA-256 sums, plus `<file>.sha256` for the archive itself. The newest
 * `keep` backups are kept. A restore goes into an empty data directory (or PostgreSQL database),
 * or over a stopped service's with `force`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { backup as sqliteBackup, DatabaseSync } from 'node:sqlite';
import type { Config } from '../../config.ts';
import { dialectOfUrl } from '../../platform/db/database.ts';
import { embeddedPlantFile } from '../../platform/db/plant-registry.ts';
import { readTarGz, writeTarGz, type EntrySink } from './tar.ts';

const FORMAT = 1;
const ARCHIVE_PATTERN = /^sentinel-\d{8}T\d{9}Z\.tar\.gz$/;
/** What an archive may hold: nothing else is ever written on restore (no path leaves the data directory). */
const ENTRY_PATTERN = /^(manifest\.json|sentinel\.db|platform\.pgdump|platform\.mysql\.sql|secret\.key|tenants\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}\/plant\.db)$/;

export interface BackupSettings {
  dataDir: string;
  databaseUrl: string | undefined;
  /** Set when the master key comes from SENTINEL_SECRET_KEY: then there is no key file to keep. */
  secretKey: string | undefined;
  backupDir: string;
  backupKeep: number;
}

export interface Manifest {
  format: number;
  created_at: string;
  database: 'sqlite' | 'postgres' | 'mysql';
  files: { name: string; bytes: number; sha256: string }[];
}

export interface BackupInfo {
  path: string;
  bytes: number;
  created_at: string;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

export function backupSettings(config: Config): BackupSettings {
  return { dataDir: config.dataDir, databaseUrl: config.databaseUrl, secretKey: config.secretKey, backupDir: config.backupDir, backupKeep: config.backupKeep };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** Runs a PostgreSQL client tool with the password in the environment, never on the command line. */
function runPgTool(tool: string, url: string, args: string[]): Promise<void> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return runTool(tool, [...args, `--dbname=${parsed.toString()}`], password !== '' ? { PGPASSWORD: password } : {}, 'the PostgreSQL client of the server\'s major version (e.g. postgresql-client-15)');
}

/** Runs a MySQL client tool (mysqldump, mysql) on DATABASE_URL's database, the password in the environment. */
function runMysqlTool(tool: string, url: string, args: string[], stdin?: string): Promise<void> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  const connection = [`--host=${parsed.hostname}`, `--port=${parsed.port || '3306'}`, `--user=${decodeURIComponent(parsed.username)}`, '--default-character-set=utf8mb4'];
  return runTool(tool, [...connection, ...args, decodeURIComponent(parsed.pathname.slice(1))], password !== '' ? { MYSQL_PWD: password } : {}, 'the MySQL or MariaDB client (e.g. mariadb-client)', stdin);
}

function runTool(tool: string, args: string[], env: Record<string, string>, packageHint: string, stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: { ...process.env, ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    if (stdin !== undefined) createReadStream(stdin).pipe(child.stdin!);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => reject(new BackupError(error.code === 'ENOENT' ? `${tool} is not installed: install ${packageHint}` : `${tool} failed: ${error.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new BackupError(`${tool} exited with ${code}: ${stderr.trim()}`))));
  });
}

/** Embedded plant databases present under the data directory, by tenant id. */
function embeddedPlants(dataDir: string): string[] {
  const root = path.join(dataDir, 'tenants');
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((id) => ENTRY_PATTERN.test(`tenants/${id}/plant.db`) && existsSync(embeddedPlantFile(dataDir, id))).sort();
}

/** SQLite's online backup: a consistent copy while others read and write. */
async function copySqlite(source: string, target: string): Promise<void> {
  const database = new DatabaseSync(source, { readOnly: true });
  try {
    await sqliteBackup(database, target);
  } finally {
    database.close();
  }
}

export function createBackupService(settings: BackupSettings, clock: () => number = Date.now) {
  function list(): BackupInfo[] {
    if (!existsSync(settings.backupDir)) return [];
    return readdirSync(settings.backupDir).filter((name) => ARCHIVE_PATTERN.test(name)).sort().reverse().map((name) => {
      const file = path.join(settings.backupDir, name);
      const { size } = statSync(file);
      const [, y, mo, d, h, mi, s, ms] = /^sentinel-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(name)!;
      return { path: file, bytes: size, created_at: `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z` };
    });
  }

  /** Reads an archive, checking each entry against the manifest; `sinkFor` decides where an entry's bytes go. */
  async function readChecked(file: string, sinkFor: (name: string) => EntrySink | undefined): Promise<Manifest> {
    if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
    const sidecar = `${file}.sha256`;
    if (!existsSync(sidecar)) throw new BackupError(`${sidecar} is missing: the archive cannot be checked`);
    const expected = readFileSync(sidecar, 'utf8').split(/\s+/)[0];
    if (expected !== (await sha256File(file))) throw new BackupError(`${file} does not match its checksum: it is damaged or incomplete`);
    let manifest: Manifest | undefined;
    const seen = new Set<string>();
    await readTarGz(file, (name, size) => {
      if (!ENTRY_PATTERN.test(name)) throw new BackupError(`the archive holds an unexpected entry: ${name}`);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      const target = name === 'manifest.json' ? undefined : sinkFor(name);
      return {
        async write(chunk) {
          hash.update(chunk);
          if (name === 'manifest.json') chunks.push(Buffer.from(chunk));
          await target?.write(chunk);
        },
        async end() {
          await target?.end();
          if (name === 'manifest.json') {
            manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
            if (manifest.format !== FORMAT) throw new BackupError(`unknown backup format ${manifest.format}`);
            return;
          }
          const listed = manifest?.files.find((entry) => entry.name === name);
          if (listed === undefined || listed.bytes !== size || listed.sha256 !== hash.digest('hex')) throw new BackupError(`${name} in the archive does not match its manifest`);
          seen.add(name);
        },
      };
    });
    if (manifest === undefined) throw new BackupError('the archive has no manifest');
    const missing = manifest.files.filter((entry) => !seen.has(entry.name));
    if (missing.length > 0) throw new BackupError(`the archive lacks ${missing.map((entry) => entry.name).join(', ')}`);
    return manifest;
  }

  /** An entry written to `target` through a temporary file, renamed into place once whole. */
  function fileSink(target: string): EntrySink {
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.restoring`;
    const stream: WriteStream = createWriteStream(partial, { mode: 0o600 });
    return {
      write: (chunk) => new Promise<void>((resolve, reject) => stream.write(chunk, (error) => (error ? reject(error) : resolve()))),
      end: () => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))),
    };
  }

  return {
    list,

    /** Takes a backup now; the oldest beyond `keep` are deleted afterwards. */
    async create(): Promise<{ path: string; bytes: number; sha256: string; files: number; removed: string[] }> {
      const now = clock();
      mkdirSync(settings.backupDir, { recursive: true, mode: 0o700 });
      const staging = mkdtempSync(path.join(settings.backupDir, '.staging-'));
      try {
        const entries: { name: string; path: string }[] = [];
        if (settings.databaseUrl === undefined) {
          await copySqlite(path.join(settings.dataDir, 'sentinel.db'), path.join(staging, 'sentinel.db'));
          entries.push({ name: 'sentinel.db', path: path.join(staging, 'sentinel.db') });
        } else if (dialectOfUrl(settings.databaseUrl) === 'mysql') {
          // One consistent snapshot (InnoDB) without locking the tables; triggers included.
          await runMysqlTool('mysqldump', settings.databaseUrl, ['--single-transaction', '--skip-lock-tables', '--triggers', '--no-tablespaces', `--result-file=${path.join(staging, 'platform.mysql.sql')}`]);
          entries.push({ name: 'platform.mysql.sql', path: path.join(staging, 'platform.mysql.sql') });
        } else {
          // The response cache's change records name this cluster's transaction ids, which mean nothing
          // (or the far future) to the cluster a backup is restored into; the restored service starts with no cached pages.
          await runPgTool('pg_dump', settings.databaseUrl, ['--format=custom', '--no-owner', '--no-privileges', '--exclude-table-data=data_changes', `--file=${path.join(staging, 'platform.pgdump')}`]);
          entries.push({ name: 'platform.pgdump', path: path.join(staging, 'platform.pgdump') });
        }
        for (const tenantId of embeddedPlants(settings.dataDir)) {
          const copy = path.join(staging, `plant-${tenantId}.db`);
          await copySqlite(embeddedPlantFile(settings.dataDir, tenantId), copy);
          entries.push({ name: `tenants/${tenantId}/plant.db`, path: copy });
        }
        const keyFile = path.join(settings.dataDir, 'secret.key');
        if (settings.secretKey === undefined && existsSync(keyFile)) entries.push({ name: 'secret.key', path: keyFile });
        const files = [];
        for (const entry of entries) files.push({ name: entry.name, bytes: statSync(entry.path).size, sha256: await sha256File(entry.path) });
        const manifest: Manifest = { format: FORMAT, created_at: new Date(now).toISOString(), database: settings.databaseUrl === undefined ? 'sqlite' : dialectOfUrl(settings.databaseUrl), files };
        writeFileSync(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2));

        const name = `sentinel-${stamp(now)}.tar.gz`;
        const partial = path.join(staging, name);
        await writeTarGz(partial, [{ name: 'manifest.json', path: path.join(staging, 'manifest.json') }, ...entries]);
        const sha256 = await sha256File(partial);
        const file = path.join(settings.backupDir, name);
        // The checksum first: an archive without one is never taken for a finished backup.
        writeFileSync(`${file}.sha256`, `${sha256}  ${name}\n`, { mode: 0o600 });
        renameSync(partial, file);
        const removed = list().slice(settings.backupKeep).map((old) => {
          rmSync(old.path, { force: true });
          rmSync(`${old.path}.sha256`, { force: true });
          return old.path;
        });
        return { path: file, bytes: statSync(file).size, sha256, files: entries.length, removed };
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    },

    /** Checks the archive's checksum, every file against the manifest, and every SQLite database's integrity. */
    async verify(file: string): Promise<Manifest> {
      const scratch = mkdtempSync(path.join(path.dirname(path.resolve(file)), '.verify-'));
      try {
        const databases: string[] = [];
        const manifest = await readChecked(file, (name) => {
          if (!name.endsWith('.db')) return undefined;
          const target = path.join(scratch, name.replaceAll('/', '_'));
          databases.push(target);
          return fileSink(target);
        });
        for (const database of databases) {
          renameSync(`${database}.restoring`, database);
          const handle = new DatabaseSync(database, { readOnly: true });
          try {
            const result = handle.prepare('PRAGMA integrity_check').get() as { integrity_check: string };
            if (result.integrity_check !== 'ok') throw new BackupError(`${path.basename(database)} fails SQLite's integrity check: ${result.integrity_check}`);
          } finally {
            handle.close();
          }
        }
        return manifest;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },

    /**
     * Restores an archive into the configured data directory (and PostgreSQL database). It must be
     * empty of databases, or `force` says the service is stopped and its data may be replaced.
     */
    async restore(file: string, options: { force?: boolean } = {}): Promise<Manifest> {
      const platformFile = path.join(settings.dataDir, 'sentinel.db');
      const occupied = [platformFile, path.join(settings.dataDir, 'tenants')].filter((existing) => existsSync(existing));
      const server = settings.databaseUrl === undefined ? undefined : dialectOfUrl(settings.databaseUrl) === 'mysql' ? 'MySQL' : 'PostgreSQL';
      const occupiedServer = `the ${server} database in DATABASE_URL`;
      if (settings.databaseUrl !== undefined && (await serverTableCount(settings.databaseUrl)) > 0) occupied.push(occupiedServer);
      if (occupied.length > 0 && options.force !== true) {
        throw new BackupError(`Restore needs an empty data directory and database; found ${occupied.join(', ')}. Stop the service and pass --force to replace them.`);
      }
      if (options.force === true && occupied.includes(occupiedServer)) {
        throw new BackupError(`Restore into ${server} needs an empty database: create a new one (or drop and recreate this one) and point DATABASE_URL at it.`);
      }
      mkdirSync(settings.dataDir, { recursive: true });
      const written: string[] = [];
      const manifest = await readChecked(file, (name) => {
        const dumpOf = name === 'platform.pgdump' ? 'postgres' : name === 'platform.mysql.sql' ? 'mysql' : undefined;
        if (dumpOf !== undefined) {
          const label = dumpOf === 'mysql' ? 'MySQL' : 'PostgreSQL';
          if (settings.databaseUrl === undefined || dialectOfUrl(settings.databaseUrl) !== dumpOf) throw new BackupError(`This backup is of a ${label} database: set DATABASE_URL to an empty ${label} database to restore it into.`);
          const dump = path.join(settings.dataDir, `.restore-${name}`);
          written.push(dump);
          return fileSink(dump);
        }
        if (name === 'sentinel.db' && settings.databaseUrl !== undefined) throw new BackupError('This backup is of a SQLite database: unset DATABASE_URL to restore it.');
        const target = path.join(settings.dataDir, name);
        written.push(target);
        return fileSink(target);
      });
      // Every file arrived whole and matched: only now do they replace anything.
      for (const target of written) {
        for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
        renameSync(`${target}.restoring`, target);
      }
      const dump = written.find((target) => target.endsWith('.pgdump') || target.endsWith('.mysql.sql'));
      if (dump !== undefined) {
        try {
          if (dump.endsWith('.pgdump')) await runPgTool('pg_restore', settings.databaseUrl!, ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', dump]);
          else await runMysqlTool('mysql', settings.databaseUrl!, [], dump);
        } finally {
          rmSync(dump, { force: true });
        }
      }
      return manifest;
    },
  };
}

/** Imported when needed: the two drivers are a fifth of the server bundle, which otherwise loads them only for a database of their kind. */
async function serverTableCount(url: string): Promise<number> {
  if (dialectOfUrl(url) === 'mysql') {
    const { default: mysql } = await import('mysql2/promise');
    const connection = await mysql.createConnection({ uri: url });
    try {
      const [rows] = await connection.query('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()');
      return Number((rows as { n: number }[])[0]!.n);
    } finally {
      await connection.end();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

export type BackupService = ReturnType<typeof createBackupService>;
