import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/platform/db/database.ts';
import { runSentinel as sentinel, SENTINEL_BIN } from './helpers/cli.ts';
import { useServerSandbox, ApiClient, dialects } from './helpers/harness.ts';

for (const dialect of dialects()) {
  describe(`sentinel CLI (${dialect})`, () => {
    const sandbox = useServerSandbox(dialect, 'sentinel-cli');

    it('migrates safely when two processes start at once, and reports an up-to-date schema after', async () => {
      const runs = await Promise.all([sentinel(['migrate'], sandbox.env), sentinel(['migrate'], sandbox.env)]);
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      assert.equal(runs.filter((r) => r.stdout.includes('Applied: 0001_core')).length, 1, runs.map((r) => r.stdout).join('|'));
      const again = await sentinel(['migrate'], sandbox.env);
      assert.match(again.stdout, /up to date/);
    });

    it('two servers starting at once create exactly one administrator, and print its password once', async () => {
      const ports = [0, 0].map(() => String(20_000 + Math.floor(Math.random() * 20_000)));
      const runs = await Promise.all(ports.map((port) => sentinel(['serve'], { ...sandbox.env, PORT: port, LOG_LEVEL: 'info' }, /Server listening/)));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const printed = runs.filter((r) => /password: \S+/.test(r.stdout));
      assert.equal(printed.length, 1, 'the generated password is printed by exactly one process');
      const password = /password: (\S+)/.exec(printed[0]!.stdout)![1]!;

      const db = openDatabase({ dataDir: sandbox.dataDir, databaseUrl: sandbox.env.DATABASE_URL });
      try {
        const admins = await db.kysely.selectFrom('users').select(['username', 'role']).execute();
        assert.deepEqual(admins.map((row) => ({ ...row })), [{ username: 'admin', role: 'SUPER_ADMIN' }]);
      } finally {
        await db.close();
      }
      const port = String(20_000 + Math.floor(Math.random() * 20_000));
      let loginStatus = 0;
      let login: any;
      // Prove the printed password works against a running server, and that it must be changed first.
      const server = spawn(process.execPath, [SENTINEL_BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', ...sandbox.env, PORT: port, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
      try {
        const api = new ApiClient(`http://127.0.0.1:${port}`);
        // Up to a minute: on a loaded machine the start alone can take tens of seconds.
        for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
          try {
            ({ status: loginStatus, body: login } = await api.post('/api/v1/auth/login', { username: 'admin', password }));
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      } finally {
        server.kill('SIGTERM');
      }
      assert.equal(loginStatus, 200);
      assert.equal(login.password_change_required, true);
      if (dialect === 'sqlite') assert.equal(statSync(path.join(sandbox.dataDir, 'secret.key')).mode & 0o777, 0o600);
      // The generated password is also kept in a file only its owner can read.
      const file = path.join(sandbox.dataDir, 'initial-admin-password');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(readFileSync(file, 'utf8').includes(`password: ${password}\n`));
      assert.match(printed[0]!.stdout, /initial-admin-password/);
    });

    it('creates and lists tenants, creates users and resets passwords', async () => {
      const created = await sentinel(['tenant', 'create', '--name', 'Planta Norte', '--timezone', 'Europe/Madrid', '--language', 'es'], sandbox.env);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /Created tenant planta-norte/);
      const list = await sentinel(['tenant', 'list'], sandbox.env);
      assert.match(list.stdout, /planta-norte\s+active\s+Planta Norte/);

      const user = await sentinel(['user', 'create', '--username', 'Jefe.Turno', '--role', 'manager', '--tenant', 'planta-norte'], sandbox.env);
      assert.equal(user.code, 0, user.stderr);
      assert.match(user.stdout, /Created user jefe.turno/);
      assert.match(user.stdout, /password: \S{20,}/);

      const weak = await sentinel(['user', 'create', '--username', 'weak', '--role', 'VIEWER', '--tenant', 'planta-norte', '--password', 'password'], sandbox.env);
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /password/);
      const reset = await sentinel(['user', 'reset-password', '--username', 'jefe.turno', '--password', 'Nuevo-Turno-2026'], sandbox.env);
      assert.equal(reset.code, 0, reset.stderr);
      const missing = await sentinel(['user', 'reset-password', '--username', 'ghost'], sandbox.env);
      assert.equal(missing.code, 1);
      const noTenant = await sentinel(['user', 'create', '--username', 'x.y', '--role', 'VIEWER', '--tenant', 'nope'], sandbox.env);
      assert.equal(noTenant.code, 1);
      assert.match(noTenant.stderr, /No tenant with slug "nope"/);
    });
  });
}

describe('sentinel CLI usage and configuration errors', () => {
  it('prints usage, and a clear message for a bad setting or an unknown command', async () => {
    assert.match((await sentinel(['--help'], {})).stdout, /Usage: sentinel/);
    const badPort = await sentinel(['migrate'], { PORT: 'eighty' });
    assert.equal(badPort.code, 1);
    assert.match(badPort.stderr, /Configuration error: PORT must be a whole number/);
    const badUrl = await sentinel(['migrate'], { DATABASE_URL: 'mongodb://x' });
    assert.match(badUrl.stderr, /DATABASE_URL must start with postgres:\/\/, postgresql:\/\/, mysql:\/\/ or mariadb:\/\//);
    const unreachableMysql = await sentinel(['migrate'], { DATABASE_URL: 'mysql://sentinel@127.0.0.1:1/sentinel' });
    assert.equal(unreachableMysql.code, 1);
    assert.match(unreachableMysql.stderr, /Cannot reach MySQL at 127\.0\.0\.1:1\/sentinel: connection refused/);
    const unknown = await sentinel(['frobnicate'], { SENTINEL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sentinel-cli-')) });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown command "frobnicate"/);
  });

  it('explains a start-up failure in one line, without a stack trace', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-cli-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const inUse = await sentinel(['serve'], { SENTINEL_DATA_DIR: dataDir, PORT: port, SENTINEL_SYNC: 'off' });
      assert.equal(inUse.code, 1);
      assert.equal(inUse.stderr.trim(), `Cannot listen on 127.0.0.1:${port}: the port is already in use (another Sentinel, or another program). Stop it or set PORT to a free port.`);
      const noDatabase = await sentinel(['serve'], { SENTINEL_DATA_DIR: dataDir, DATABASE_URL: 'postgres://sentinel:secret@127.0.0.1:1/sentinel' });
      assert.equal(noDatabase.code, 1);
      assert.equal(noDatabase.stderr.trim(), 'Cannot reach PostgreSQL at 127.0.0.1:1/sentinel: connection refused. Is the database server running, and is DATABASE_URL right?');
      assert.ok(!noDatabase.stderr.includes('secret'), 'the password is not printed');
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('does not log health probes at info, and logs other requests', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-cli-'));
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const child = spawn(process.execPath, [SENTINEL_BIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', SENTINEL_DATA_DIR: dataDir, PORT: port, LOG_LEVEL: 'info', SENTINEL_SYNC: 'off', SENTINEL_ADMIN_PASSWORD: 'Bootstrap-Root-Pass-9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const closed = new Promise((resolve) => child.on('close', resolve));
    try {
      for (const deadline = Date.now() + 60_000; !stdout.includes('Server listening') && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50));
      const api = new ApiClient(`http://127.0.0.1:${port}`);
      assert.equal((await api.get('/health')).status, 200);
      assert.equal((await api.get('/ready')).status, 200);
      assert.equal((await api.get('/api/v1/auth/me')).status, 401);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      child.kill('SIGTERM');
      await closed;
      rmSync(dataDir, { recursive: true, force: true });
    }
    const urls = stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { req?: { url: string } }).req?.url).filter(Boolean);
    assert.deepEqual(urls, ['/api/v1/auth/me']);
  });
});
