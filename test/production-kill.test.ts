// No acknowledged batch of detections is lost when the server is killed (kill -9) under ingest load
// (docs/requirements.md, PRD-3 and PLT-10), and a batch is never half stored: after a restart every
// acknowledged batch_id reads back with all its rows, and every row belongs to a whole batch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';

const WRITERS = 8;
const BATCH = 200;
const KILL_AFTER_MS = 1_500;

// The plant database is the tenant's embedded SQLite file whatever the platform database is: one run.
describe('production ingest survives kill -9 (embedded plant database)', () => {
  let dataDir: string;
  before(() => { dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-ingest-kill-')); });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged batch whole, and no batch in part', async () => {
    const env = { SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD };
    let server = await startServerProcess(env);
    const admin = await server.api.adminToken();
    const tenant = await server.api.createTenant(admin, 'Ingest kill');
    const q = `?tenant_id=${tenant.id}`;
    const line = (await server.api.post(`/api/v1/production/lines${q}`, { line_name: 'Line', line_code: 'kill' }, admin)).body.line_id as number;
    const area = (await server.api.post(`/api/v1/production/areas${q}`, { line_id: line, area_name: 'Out', area_type: 'output' }, admin)).body.area_id as number;

    const acknowledged: string[] = [];
    let killed = false;
    const start = Date.now() - 3_600_000;
    const writer = async (w: number) => {
      for (let n = 0; !killed; n++) {
        const batchId = `w${w}-b${n}`;
        const detections = Array.from({ length: BATCH }, (_, i) => ({ detected_at: start + (w * 100_000 + n * BATCH + i) * 10, area_id: area }));
        const response = await server.api.post(`/api/v1/production/lines/${line}/detections${q}`, { batch_id: batchId, detections }, admin).catch(() => undefined);
        if (response?.status === 201) acknowledged.push(batchId);
      }
    };
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
    server.child.kill('SIGKILL');
    killed = true;
    await Promise.all([...writers, exited]);
    assert.ok(acknowledged.length > 0, 'some batches were acknowledged before the kill');

    server = await startServerProcess(env);
    try {
      const token = await server.api.adminToken();
      // Each acknowledged batch id is known again (a resend is a duplicate) …
      for (const batchId of acknowledged) {
        const again = await server.api.post(`/api/v1/production/lines/${line}/detections${q}`, { batch_id: batchId, detections: [{ detected_at: start, area_id: area }] }, token);
        assert.equal(again.status, 200, `${batchId} was acknowledged, so it is stored: ${again.text}`);
        assert.equal(again.body.duplicate, true);
      }
      // … and the rows stored are exactly whole batches (none cut in half by the kill).
      let stored = 0;
      for (let cursor: string | null | undefined; ;) {
        const page = await server.api.get(`/api/v1/production/lines/${line}/detections${q}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, token);
        assert.equal(page.status, 200, page.text);
        stored += page.body.items.length;
        cursor = page.body.next_cursor;
        if (cursor === null) break;
      }
      assert.equal(stored % BATCH, 0, `${stored} rows are whole batches of ${BATCH}`);
      assert.ok(stored >= acknowledged.length * BATCH, `${stored} rows hold the ${acknowledged.length} acknowledged batches`);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
