// The production commands of the CLI: `tenant register` (a tenant with its first ADMIN, who can
// sign in), `plant verify` (exit status 0 on a complete plant database, 1 when a table is missing)
// and `plant init-dynamic-tables`.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { embeddedPlantFile } from '../src/platform/db/plant-registry.ts';
import { runSentinel as sentinel } from './helpers/cli.ts';
import { useServerSandbox, createPostgresDatabase, dialects, PASSWORD } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';

for (const dialect of dialects()) {
  describe(`sentinel production commands (${dialect})`, () => {
    const sandbox = useServerSandbox(dialect, 'sentinel-prod-cli', { SENTINEL_SYNC: 'off', SENTINEL_ADMIN_PASSWORD: 'Bootstrap-Root-Pass-9' });

    it('registers a tenant whose administrator can sign in; a refused password leaves no tenant', async () => {
      const refused = await sentinel(['tenant', 'register', '--name', 'Weak Plant', '--admin-username', 'weak.admin', '--admin-password', 'weak'], sandbox.env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /password/);
      const registered = await sentinel(['tenant', 'register', '--name', 'Acme Plant', '--timezone', 'Europe/Madrid', '--admin-username', 'acme.admin', '--admin-password', PASSWORD], sandbox.env);
      assert.equal(registered.code, 0, registered.stderr);
      assert.match(registered.stdout, /Created tenant acme-plant/);
      const list = await sentinel(['tenant', 'list'], sandbox.env);
      assert.doesNotMatch(list.stdout, /weak-plant/);

      const server = await startServerProcess(sandbox.env);
      try {
        const { access_token } = await server.api.login('acme.admin', PASSWORD);
        assert.equal((await server.api.get('/api/v1/auth/me', access_token)).body.role, 'ADMIN');
      } finally {
        server.child.kill('SIGTERM');
      }
    });

    it('plant verify exits 0 on a fresh embedded plant and 1 when one of its tables is missing', async () => {
      const ok = await sentinel(['plant', 'verify', '--tenant', 'acme-plant'], sandbox.env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /SHIFT\s+ok/);
      const init = await sentinel(['plant', 'init-dynamic-tables', '--tenant', 'acme-plant'], sandbox.env);
      assert.equal(init.code, 0, init.stderr);

      const list = await sentinel(['tenant', 'list'], sandbox.env);
      const tenantId = /^(\S+)\s+acme-plant/m.exec(list.stdout)![1]!;
      const plant = new DatabaseSync(embeddedPlantFile(sandbox.dataDir, tenantId));
      plant.exec('DROP TABLE "SHIFT"');
      plant.close();
      const missing = await sentinel(['plant', 'verify', '--tenant', 'acme-plant'], sandbox.env);
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /SHIFT\s+MISSING/);
      assert.match(missing.stdout, /AREA\s+ok/);

      const unknown = await sentinel(['plant', 'verify', '--tenant', 'nobody'], sandbox.env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /No tenant/);
    });

    it('registers a tenant on the client\'s own plant database and reports its structure; a refused URL leaves no tenant', { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' }, async () => {
      const refused = await sentinel(['tenant', 'register', '--name', 'Ftp Plant', '--admin-username', 'ftp.admin', '--admin-password', PASSWORD, '--plant-url', 'ftp://plant.example/db'], sandbox.env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /url must start with postgres:\/\//);
      assert.doesNotMatch((await sentinel(['tenant', 'list'], sandbox.env)).stdout, /ftp-plant/);

      // An empty database: the tenant is registered, the report names every missing table (exit 1).
      const client = await createPostgresDatabase();
      try {
        const registered = await sentinel(['tenant', 'register', '--name', 'Client Plant', '--admin-username', 'client.admin', '--admin-password', PASSWORD, '--plant-url', client.url], sandbox.env);
        assert.equal(registered.code, 1, registered.stderr);
        assert.match(registered.stdout, /Created tenant client-plant/);
        assert.match(registered.stdout, /Plant database: external \(postgres\)/);
        assert.match(registered.stdout, /PRODUCTION_LINE\s+MISSING/);
        const { username, password } = new URL(client.url);
        assert.ok(!(registered.stdout + registered.stderr).includes(`${username}:${password}@`), 'the URL and its password are never printed');
        const verify = await sentinel(['plant', 'verify', '--tenant', 'client-plant'], sandbox.env);
        assert.equal(verify.code, 1);
        assert.match(verify.stdout, /Plant database: external \(postgres\)/);
      } finally {
        await client.drop();
      }
    });
  });
}
