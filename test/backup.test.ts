// Backups and restore (docs/requirements.md, PLT-16): a backup holds the platform database and every
// embedded plant database; restored into an empty data directory (or database) every row of every
// table is identical, and the service starts on the restored data. Damaged archives are refused,
// only the newest N are kept, and a restore never lands on a directory that holds data.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.ts';
import { backupSettings, BackupError, createBackupService } from '../src/modules/operations/backup.service.ts';
import { ADMIN_PASSWORD, createServerDatabase, dialects, startServer, type TestServer } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';

type Tables = Record<string, string[]>;

/** Every row of every table, each row as JSON, sorted: equal when the databases hold the same data. */
function sqliteTables(file: string): Tables {
  const database = new DatabaseSync(file, { readOnly: true });
  try {
    const names = (database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    return Object.fromEntries(names.map((name) => [name, database.prepare(`SELECT * FROM "${name}"`).all().map((row) => JSON.stringify(row)).sort()]));
  } finally {
    database.close();
  }
}

async function postgresTables(url: string): Promise<Tables> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    const tables: Tables = {};
    for (const { name } of rows) tables[name] = (await client.query(`SELECT * FROM "${name}"`)).rows.map((row) => JSON.stringify(row)).sort();
    return tables;
  } finally {
    await client.end();
  }
}

async function mysqlTables(url: string): Promise<Tables> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [rows] = await connection.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name');
    const tables: Tables = {};
    for (const { name } of rows as { name: string }[]) tables[name] = ((await connection.query(`SELECT * FROM \`${name}\``))[0] as object[]).map((row) => JSON.stringify(row)).sort();
    return tables;
  } finally {
    await connection.end();
  }
}

const serverTables = (dialect: string, url: string) => (dialect === 'mysql' ? mysqlTables(url) : postgresTables(url));

function plantFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'tenants');
  return existsSync(root) ? readdirSync(root).filter((id) => existsSync(path.join(root, id, 'plant.db'))).sort() : [];
}

for (const dialect of dialects()) {
  describe(`backup and restore (${dialect})`, () => {
    let server: TestServer;
    let target: { dataDir: string; pg?: Awaited<ReturnType<typeof createServerDatabase>> };
    let archive: string;
    const tenantIds: string[] = [];

    before(async () => {
      server = await startServer(dialect);
      const token = await server.api.adminToken();
      for (const name of ['Backup A', 'Backup B']) {
        const tenant = await server.api.createTenant(token, name);
        tenantIds.push(tenant.id);
        const q = `?tenant_id=${tenant.id}`;
        await server.api.post(`/api/v1/tickets${q}`, { title: `Ticket of ${name}` }, token);
        const line = (await server.api.post(`/api/v1/production/lines${q}`, { line_name: 'Line', line_code: 'main' }, token)).body.line_id as number;
        const area = (await server.api.post(`/api/v1/production/areas${q}`, { line_id: line, area_name: 'Out', area_type: 'output' }, token)).body.area_id as number;
        const detections = Array.from({ length: 500 }, (_, i) => ({ detected_at: Date.now() - 3_600_000 + i * 1000, area_id: area }));
        const stored = await server.api.post(`/api/v1/production/lines/${line}/detections${q}`, { batch_id: 'b1', detections }, token);
        assert.equal(stored.status, 201, stored.text);
      }
      await server.services.audit.flushReads();
      target = { dataDir: mkdtempSync(path.join(tmpdir(), 'sentinel-restore-')) };
      target.pg = await createServerDatabase(dialect);
    });
    after(async () => {
      await server.close();
      await target.pg?.drop();
      rmSync(target.dataDir, { recursive: true, force: true });
    });

    const targetConfig = (): Config => loadConfig({ SENTINEL_DATA_DIR: target.dataDir, ...(target.pg ? { DATABASE_URL: target.pg.url } : {}) });

    it('backs up the platform database and every plant database, compressed and checksummed', async () => {
      const backup = await server.services.backups.create();
      archive = backup.path;
      assert.ok(backup.path.startsWith(server.config.backupDir));
      assert.match(readFileSync(`${backup.path}.sha256`, 'utf8'), new RegExp(`^${backup.sha256}  ${path.basename(backup.path)}\\n$`));
      const manifest = await server.services.backups.verify(backup.path);
      const names = manifest.files.map((entry) => entry.name).sort();
      assert.deepEqual(names, [{ sqlite: 'sentinel.db', postgres: 'platform.pgdump', mysql: 'platform.mysql.sql' }[dialect], 'secret.key', ...tenantIds.map((id) => `tenants/${id}/plant.db`)].sort());
      assert.deepEqual(server.services.backups.list().map((entry) => entry.path), [backup.path]);
    });

    it('restores every row of every database, and the service starts on the restored data', { timeout: 60_000 }, async () => {
      await createBackupService(backupSettings(targetConfig())).restore(archive);
      if (dialect === 'sqlite') {
        assert.deepEqual(sqliteTables(path.join(target.dataDir, 'sentinel.db')), sqliteTables(path.join(server.config.dataDir, 'sentinel.db')));
      } else {
        const [restored, original] = await Promise.all([serverTables(dialect, target.pg!.url), serverTables(dialect, server.config.databaseUrl!)]);
        assert.ok(Object.keys(original).length > 10);
        if (dialect === 'postgres') {
          // The response cache's change records name the original cluster's transactions: left out on purpose.
          assert.ok(original.data_changes!.length > 0);
          assert.deepEqual(restored.data_changes, []);
          delete original.data_changes;
          delete restored.data_changes;
        }
        assert.deepEqual(restored, original);
      }
      assert.deepEqual(plantFiles(target.dataDir), [...tenantIds].sort());
      for (const id of tenantIds) {
        const restored = sqliteTables(path.join(target.dataDir, 'tenants', id, 'plant.db'));
        assert.deepEqual(restored, sqliteTables(path.join(server.config.dataDir, 'tenants', id, 'plant.db')));
        assert.ok(Object.values(restored).some((rows) => rows.length === 500), 'the detections are there');
      }

      const restoredServer = await startServerProcess({ SENTINEL_DATA_DIR: target.dataDir, ...(target.pg ? { DATABASE_URL: target.pg.url } : {}) });
      try {
        const token = await restoredServer.api.adminToken();
        const tickets = await restoredServer.api.get(`/api/v1/tickets?tenant_id=${tenantIds[0]}`, token);
        assert.equal(tickets.status, 200);
        assert.deepEqual(tickets.body.items.map((ticket: { title: string }) => ticket.title), ['Ticket of Backup A']);
        const detections = await restoredServer.api.get(`/api/v1/production/lines/1/detections?tenant_id=${tenantIds[1]}&limit=1000&from=${new Date(Date.now() - 7_200_000).toISOString()}`, token);
        assert.equal(detections.status, 200, detections.text);
        assert.equal(detections.body.items.length, 500);
      } finally {
        restoredServer.child.kill('SIGKILL');
      }
    });

    it('refuses to restore over data unless told the service is stopped', async () => {
      await assert.rejects(createBackupService(backupSettings(targetConfig())).restore(archive), (error: Error) => error instanceof BackupError && /--force/.test(error.message));
      if (dialect === 'sqlite') {
        // Stopped: --force replaces the data directory's databases.
        await createBackupService(backupSettings(targetConfig())).restore(archive, { force: true });
        assert.deepEqual(sqliteTables(path.join(target.dataDir, 'sentinel.db')), sqliteTables(path.join(server.config.dataDir, 'sentinel.db')));
      }
    });

    it('refuses a damaged archive, and keeps only the newest backups', async () => {
      const damaged = path.join(server.config.backupDir, 'sentinel-20200101T000000000Z.tar.gz');
      const bytes = readFileSync(archive);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      writeFileSync(damaged, bytes);
      writeFileSync(`${damaged}.sha256`, readFileSync(`${archive}.sha256`, 'utf8').replace(path.basename(archive), path.basename(damaged)));
      await assert.rejects(server.services.backups.verify(damaged), /does not match its checksum/);
      rmSync(damaged);
      rmSync(`${damaged}.sha256`);

      const keep2 = createBackupService({ ...backupSettings(server.config), backupKeep: 2 });
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await keep2.create()).path);
      assert.deepEqual(keep2.list().map((entry) => entry.path), [made[2], made[1]]);
      assert.ok(!existsSync(archive) && !existsSync(`${archive}.sha256`), 'the oldest went with its checksum');
    });
  });
}

describe('sentinel backup (command line)', () => {
  it('creates, lists, verifies and restores', { timeout: 120_000 }, async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = new URL('../bin/sentinel.js', import.meta.url).pathname;
    const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-backup-cli-'));
    try {
      const run = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD }, encoding: 'utf8' });
      const source = path.join(dir, 'source');
      assert.equal(run(source, 'tenant', 'create', '--name', 'Cli').status, 0);
      assert.equal(run(source, 'backup', 'create').status, 0);
      const listed = run(source, 'backup', 'list').stdout.trim().split('\n');
      assert.equal(listed.length, 1);
      assert.match(listed[0]!, /sentinel-\d{8}T\d{9}Z\.tar\.gz$/);
      const verified = run(source, 'backup', 'verify', listed[0]!);
      assert.equal(verified.status, 0, verified.stderr);
      assert.match(verified.stdout, /^OK: /);
      const restored = path.join(dir, 'restored');
      assert.equal(run(restored, 'backup', 'restore', listed[0]!).status, 0);
      assert.deepEqual(sqliteTables(path.join(restored, 'sentinel.db')), sqliteTables(path.join(source, 'sentinel.db')));
      const refused = run(restored, 'backup', 'restore', listed[0]!);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /--force/);
      assert.doesNotMatch(refused.stderr, /at .*\.ts:\d+/, 'a message, not a stack trace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
