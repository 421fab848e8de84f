import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildApp, createServices } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openMemoryDatabase } from '../src/platform/db/database.ts';
import { openApiYaml } from '../src/platform/http/openapi.ts';

describe('OpenAPI document', () => {
  it('matches the committed openapi/openapi.yaml (regenerate with `npm run openapi`)', async () => {
    const db = openMemoryDatabase();
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const app = await buildApp(config, db, createServices(config, db, 'x'.repeat(40)));
    await app.ready();
    try {
      const generated = openApiYaml(app);
      const committed = readFileSync(new URL('../openapi/openapi.yaml', import.meta.url), 'utf8');
      assert.ok(generated === committed, 'openapi/openapi.yaml is out of date: run `npm run openapi` and commit the result');
      const spec = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      for (const path of ['/api/v1/auth/login', '/api/v1/tenants/{id}', '/api/v1/users', '/api/v1/tickets/{id}/comments', '/api/v1/audit-logs', '/api/v1/alerts/bulk', '/api/v1/live']) {
        assert.ok(spec.paths[path], `${path} is documented`);
      }
      for (const [path, operations] of Object.entries(spec.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          // 101: the live feed's WebSocket handshake.
          if (path.startsWith('/api/')) assert.ok(Object.keys(operation.responses).some((s) => s.startsWith('2') || s === '101'), `${method} ${path} documents its success response`);
        }
      }
    } finally {
      await app.close();
      await db.close();
    }
  });
});
