// The production-lines API over HTTP (docs/requirements.md, PRD-1 to PRD-5): plant structure, ingest,
// downtime, OEE, line status and the plant database, with tenant isolation on every route and the
// role matrix. The service layer's arithmetic is tested in production-store.test.ts; here OEE is
// checked once against a value worked out by hand. Plant ids are each tenant's own integer keys,
// so tenant A gets more lines, areas … than B: A's higher ids exist only on A's side of the wall.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createPostgresDatabase } from './helpers/harness.ts';
import { forEachDialect } from './helpers/suite.ts';

const P = '/api/v1/production';
const DAY = '2026-01-14';
const minute = (hhmm: string, seconds = 30) => `${DAY}T${hhmm}:${String(seconds).padStart(2, '0')}Z`;

/** 08:00-08:59 one piece a minute, nothing 09:00-09:29, 09:30-09:59 one a minute; 10 rejects at 08:30. */
function shiftOfDetections(output: number, reject: number) {
  const rows: { detected_at: string; area_id: number; quantity?: number }[] = [];
  for (let m = 0; m < 60; m++) rows.push({ detected_at: minute(`08:${String(m).padStart(2, '0')}`, 0), area_id: output });
  for (let m = 30; m < 60; m++) rows.push({ detected_at: minute(`09:${String(m).padStart(2, '0')}`, 0), area_id: output });
  rows.push({ detected_at: minute('08:30'), area_id: reject, quantity: 10 });
  return rows;
}

forEachDialect('production API', { tenants: 'Prod' }, (ctx) => {
  const api = () => ctx.server.api;
  /** Tenant A's plant: line 1 (with areas and a shift, and the fixture's detections) and line 2. */
  const a = { line: 0, line2: 0, input: 0, output: 0, reject: 0, line2Area: 0, product: 0, product2: 0, shift: 0, shift2: 0, filter: 0, filter2: 0, downtime: 0, reason: '' };
  const b = { line: 0 };

  async function created(path: string, body: unknown, token: string) {
    const response = await api().post(`${P}${path}`, body, token);
    assert.equal(response.status, 201, `${path}: ${response.text}`);
    return response.body;
  }

  before(async () => {
    const admin = ctx.a.admin.token;
    a.line = (await created('/lines', { line_name: 'Packing A', line_code: 'packing', ideal_cycle_seconds: 30, downtime_threshold_seconds: 300, timezone: 'UTC' }, admin)).line_id;
    a.line2 = (await created('/lines', { line_name: 'Bottling A' }, admin)).line_id;
    a.input = (await created('/areas', { line_id: a.line, area_name: 'Infeed', area_type: 'input' }, admin)).area_id;
    a.output = (await created('/areas', { line_id: a.line, area_name: 'Outfeed', area_type: 'output' }, admin)).area_id;
    a.reject = (await created('/areas', { line_id: a.line, area_name: 'Reject chute', area_type: 'reject' }, admin)).area_id;
    a.line2Area = (await created('/areas', { line_id: a.line2, area_name: 'Bottler', area_type: 'output' }, admin)).area_id;
    a.product = (await created('/products', { product_name: 'Box', product_code: 'BOX' }, admin)).product_id;
    a.product2 = (await created('/products', { product_name: 'Crate', product_code: 'CRATE' }, admin)).product_id;
    a.shift = (await created('/shifts', { shift_name: 'Morning', start_time: '08:00', end_time: '10:00', line_id: a.line }, admin)).shift_id;
    a.shift2 = (await created('/shifts', { shift_name: 'Bottling day', start_time: '06:00', end_time: '14:00', line_id: a.line2 }, admin)).shift_id;
    a.filter = (await created('/filters', { filter_name: 'Colour', default_value: 'red' }, admin)).filter_id;
    a.filter2 = (await created('/filters', { filter_name: 'Size' }, admin)).filter_id;
    a.reason = (await created('/downtime-reasons', { reason: 'Jam', category: 'unplanned' }, admin)).id;
    const ingest = await api().post(`${P}/lines/${a.line}/detections`, { batch_id: 'shift-1', detections: shiftOfDetections(a.output, a.reject) }, ctx.a.operator.token);
    assert.equal(ingest.status, 201, ingest.text);
    const downtime = await api().get(`${P}/lines/${a.line}/downtime?from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z`, ctx.a.viewer.token);
    a.downtime = downtime.body.items[0].id;

    b.line = (await created('/lines', { line_name: 'Packing B' }, ctx.b.admin.token)).line_id;
    await created('/areas', { line_id: b.line, area_name: 'B outfeed', area_type: 'output' }, ctx.b.admin.token);
    await created('/products', { product_name: 'B box', product_code: 'BBOX' }, ctx.b.admin.token);
    await created('/shifts', { shift_name: 'B morning', start_time: '08:00', end_time: '10:00' }, ctx.b.admin.token);
    await created('/filters', { filter_name: 'B filter' }, ctx.b.admin.token);
    await created('/downtime-reasons', { reason: 'B reason', category: 'planned' }, ctx.b.admin.token);
  });

  it('creates, reads, updates and deletes the plant structure, every tenant role reading it', async () => {
    const lines = await api().get(`${P}/lines`, ctx.a.viewer.token);
    assert.equal(lines.status, 200);
    assert.deepEqual(lines.body.items.map((line: { line_name: string }) => line.line_name), ['Packing A', 'Bottling A']);
    const line = await api().get(`${P}/lines/${a.line}`, ctx.a.viewer.token);
    assert.deepEqual(line.body, { line_id: a.line, line_name: 'Packing A', line_code: 'packing', is_active: true, ideal_cycle_seconds: 30, downtime_threshold_seconds: 300, timezone: 'UTC' });
    const renamed = await api().patch(`${P}/lines/${a.line2}`, { line_name: 'Bottling A2', downtime_threshold_seconds: 120 }, ctx.a.admin.token);
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.line_name, 'Bottling A2');
    assert.equal(renamed.body.downtime_threshold_seconds, 120);
    assert.equal((await api().patch(`${P}/lines/${a.line2}`, { line_name: 'x', colour: 'red' }, ctx.a.admin.token)).status, 400, 'unknown fields are 400');
    assert.equal((await api().patch(`${P}/lines/${a.line2}`, {}, ctx.a.admin.token)).status, 400, 'an empty patch is 400');
    assert.equal((await api().post(`${P}/lines`, { line_name: 'Dup', line_code: 'packing' }, ctx.a.admin.token)).status, 409);

    const areas = await api().get(`${P}/areas?line_id=${a.line}`, ctx.a.viewer.token);
    assert.deepEqual(areas.body.items.map((area: { area_name: string }) => area.area_name), ['Infeed', 'Outfeed', 'Reject chute']);
    assert.equal((await api().get(`${P}/areas/${a.input}`, ctx.a.viewer.token)).body.area_type, 'input');
    assert.equal((await api().patch(`${P}/areas/${a.input}`, { area_name: 'Infeed 1' }, ctx.a.admin.token)).body.area_name, 'Infeed 1');
    assert.equal((await api().delete(`${P}/areas/${a.output}`, ctx.a.admin.token)).status, 409, 'an area with detections stays');
    assert.equal((await api().get(`${P}/products/${a.product}`, ctx.a.viewer.token)).body.product_code, 'BOX');
    assert.equal((await api().patch(`${P}/products/${a.product2}`, { ideal_cycle_seconds: 12.5 }, ctx.a.admin.token)).body.ideal_cycle_seconds, 12.5);
    assert.equal((await api().get(`${P}/shifts?line_id=${a.line}`, ctx.a.viewer.token)).body.items.length, 1);
    const overlap = await api().post(`${P}/shifts`, { shift_name: 'Overlap', start_time: '09:00', end_time: '11:00', line_id: a.line }, ctx.a.admin.token);
    assert.equal(overlap.status, 400);
    assert.equal((await api().get(`${P}/filters/${a.filter}`, ctx.a.viewer.token)).body.default_value, 'red');
    assert.equal((await api().patch(`${P}/filters/${a.filter2}`, { filter_status: false }, ctx.a.admin.token)).body.filter_status, false);

    const scratch = await created('/lines', { line_name: 'Scratch' }, ctx.a.admin.token);
    const scratchShift = await created('/shifts', { shift_name: 'Scratch shift', start_time: '00:00', end_time: '01:00', line_id: scratch.line_id }, ctx.a.admin.token);
    assert.equal((await api().delete(`${P}/lines/${scratch.line_id}`, ctx.a.admin.token)).status, 204);
    assert.equal((await api().get(`${P}/lines/${scratch.line_id}`, ctx.a.admin.token)).status, 404);
    assert.equal((await api().get(`${P}/shifts/${scratchShift.shift_id}`, ctx.a.admin.token)).status, 404, 'its shifts go with it');
    assert.equal((await api().delete(`${P}/lines/${a.line}`, ctx.a.admin.token)).status, 409, 'a line with detections stays');
  });

  it('ingests a batch and reads it back; a repeated batch_id is acknowledged and counted once', async () => {
    const page = await api().get(`${P}/lines/${a.line}/detections?limit=5`, ctx.a.viewer.token);
    assert.equal(page.status, 200);
    assert.equal(page.body.items.length, 5);
    assert.equal(page.body.items[0].detected_at, '2026-01-14T09:59:00.000Z', 'newest first');
    const next = await api().get(`${P}/lines/${a.line}/detections?limit=5&cursor=${page.body.next_cursor}`, ctx.a.viewer.token);
    assert.equal(next.body.items[0].detected_at, '2026-01-14T09:54:00.000Z');
    const rejects = await api().get(`${P}/lines/${a.line}/detections?area_id=${a.reject}`, ctx.a.viewer.token);
    assert.deepEqual(rejects.body.items.map((row: { quantity: number }) => row.quantity), [10]);

    const again = await api().post(`${P}/lines/${a.line}/detections`, { batch_id: 'shift-1', detections: shiftOfDetections(a.output, a.reject) }, ctx.a.operator.token);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, { batch_id: 'shift-1', accepted: 0, duplicate: true });
    const window = `from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z&limit=1000`;
    assert.equal((await api().get(`${P}/lines/${a.line}/detections?${window}`, ctx.a.viewer.token)).body.items.length, 91);
  });

  it('refuses a batch with one bad row as a whole, naming the row, even past the default body limit', async () => {
    const detections = Array.from({ length: 10_000 }, (_, i) => ({ detected_at: new Date(Date.parse(`${DAY}T12:00:00Z`) + i * 1000).toISOString(), area_id: a.output, product_id: a.product, quantity: 1 }));
    detections[9_999]!.area_id = a.line2Area;
    const rawBody = JSON.stringify({ batch_id: 'big', detections }, null, 2);
    assert.ok(rawBody.length > 1024 * 1024, 'the body is larger than the 1 MiB default');
    const refused = await api().request('POST', `${P}/lines/${a.line}/detections`, { rawBody, token: ctx.a.operator.token, headers: { 'content-type': 'application/json' } });
    assert.equal(refused.status, 400, refused.text);
    assert.ok(refused.body.errors.some((error: { field: string }) => error.field === 'detections[9999].area_id'), refused.text);
    const after = await api().get(`${P}/lines/${a.line}/detections?from=${DAY}T11:00:00Z&to=${DAY}T23:00:00Z`, ctx.a.viewer.token);
    assert.equal(after.body.items.length, 0, 'nothing of the batch was stored');
    const typed = await api().post(`${P}/lines/${a.line}/detections`, { detections: [{ detected_at: minute('12:00'), area_id: a.output }, { detected_at: minute('12:01'), area_id: 'two' }] }, ctx.a.operator.token);
    assert.equal(typed.status, 400);
    assert.match(JSON.stringify(typed.body.errors), /detections\.1\.area_id/);
    assert.equal((await api().post(`${P}/lines/${a.line}/detections`, { detections: [], extra: 1 }, ctx.a.operator.token)).status, 400);
  });

  it('lists downtime and lets an operator classify a stop, checked against the reason list', async () => {
    const list = await api().get(`${P}/lines/${a.line}/downtime?from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z`, ctx.a.viewer.token);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((event: Record<string, unknown>) => [event.start, event.end, event.duration_seconds, event.category, event.source]), [
      ['2026-01-14T08:59:00.000Z', '2026-01-14T09:30:00.000Z', 1860, 'unplanned', 'auto'],
    ]);
    const offList = await api().patch(`${P}/lines/${a.line}/downtime/${a.downtime}`, { reason: 'Lunch' }, ctx.a.operator.token);
    assert.equal(offList.status, 400, 'a reason off the tenant\'s list');
    const classified = await api().patch(`${P}/lines/${a.line}/downtime/${a.downtime}`, { reason: 'Jam', comment: 'Film jammed the wrapper' }, ctx.a.operator.token);
    assert.equal(classified.status, 200, classified.text);
    assert.equal(classified.body.reason, 'Jam');
    assert.equal(classified.body.category, 'unplanned');
    assert.equal(classified.body.comment, 'Film jammed the wrapper');
    assert.equal((await api().get(`${P}/lines/${a.line}/downtime?from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z&category=planned`, ctx.a.viewer.token)).body.items.length, 0);
    assert.equal((await api().patch(`${P}/lines/${a.line}/downtime/999999`, { comment: 'x' }, ctx.a.operator.token)).status, 404);
    const audit = await api().get(`/api/v1/audit-logs?resource_type=downtime_event&resource_id=${a.downtime}`, ctx.a.admin.token);
    assert.ok(audit.body.items.some((entry: { action: string; outcome: string }) => entry.action === 'production.downtime.update' && entry.outcome === 'success'));
  });

  it('answers OEE equal to the value worked out by hand, and the line status', async () => {
    const oee = await api().get(`${P}/oee?line_id=${a.line}&from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z`, ctx.a.viewer.token);
    assert.equal(oee.status, 200, oee.text);
    // Planned 2 h; one stop 08:59-09:30 (1860 s); 90 good + 10 rejects at 30 s each = 3000 ideal seconds.
    const totals = oee.body.totals;
    assert.equal(totals.planned_seconds, 7200);
    assert.equal(totals.downtime_seconds, 1860);
    assert.equal(totals.run_seconds, 5340);
    assert.deepEqual([totals.good_count, totals.reject_count, totals.total_count, totals.stops], [90, 10, 100, 1]);
    assert.ok(Math.abs(totals.availability - 5340 / 7200) < 1e-9);
    assert.ok(Math.abs(totals.performance - 3000 / 5340) < 1e-9);
    assert.equal(totals.quality, 0.9);
    assert.ok(Math.abs(totals.oee - 0.375) < 1e-9, String(totals.oee));
    const hourly = await api().get(`${P}/oee?line_id=${a.line}&from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z&group_by=hour`, ctx.a.viewer.token);
    assert.deepEqual(hourly.body.buckets.map((bucket: { good_count: number }) => bucket.good_count), [60, 30]);
    assert.equal((await api().get(`${P}/oee?line_id=${a.line}&from=${DAY}T10:00:00Z&to=${DAY}T08:00:00Z`, ctx.a.viewer.token)).status, 400);
    assert.equal((await api().get(`${P}/oee?line_id=${a.line}&from=yesterday&to=${DAY}T08:00:00Z`, ctx.a.viewer.token)).status, 400);

    const status = await api().get(`${P}/lines/${a.line}/status`, ctx.a.viewer.token);
    assert.equal(status.status, 200, status.text);
    assert.equal(status.body.line_id, a.line);
    assert.equal(status.body.line_name, 'Packing A');
    assert.ok(['running', 'stopped', 'outside_shift'].includes(status.body.state));
  });

  it('refuses OEE and stop-list windows of decades (each would block the server for seconds), naming the limit', async () => {
    for (const url of [
      `${P}/oee?line_id=${a.line}&from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&group_by=day`,
      `${P}/oee?from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
      `${P}/lines/${a.line}/downtime?from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
      `${P}/lines/${a.line}/downtime?from=0000-01-01T00:00:00Z&to=${DAY}T10:00:00Z`,
      `/api/v1/widgets/downtime_pareto/data?line_id=${a.line}&from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
    ]) {
      const started = performance.now();
      const answer = await api().get(url, ctx.a.viewer.token);
      assert.equal(answer.status, 400, `${url} → ${answer.status} ${answer.text.slice(0, 200)}`);
      assert.ok(answer.body.errors.some((error: { field: string; message: string }) => /from$/.test(error.field) && /at most \d+ days|valid time/.test(error.message)), answer.text);
      assert.ok(performance.now() - started < 2_000, `${url} took ${Math.round(performance.now() - started)} ms`);
    }
    // A year of stops and three years of OEE by month are still answered.
    assert.equal((await api().get(`${P}/lines/${a.line}/downtime?from=2025-01-14T00:00:00Z&to=${DAY}T00:00:00Z`, ctx.a.viewer.token)).status, 200);
    assert.equal((await api().get(`${P}/oee?line_id=${a.line}&from=2023-01-15T00:00:00Z&to=${DAY}T00:00:00Z&group_by=month`, ctx.a.viewer.token)).status, 200);
  });

  it('reports the embedded plant database as verified', async () => {
    for (const request of [api().get(`${P}/plant`, ctx.a.viewer.token), api().post(`${P}/plant/verify`, undefined, ctx.a.admin.token)]) {
      const report = await request;
      assert.equal(report.status, 200, report.text);
      assert.equal(report.body.mode, 'embedded');
      assert.equal(report.body.dialect, 'sqlite');
      const byName = new Map(report.body.tables.map((table: { name: string }) => [table.name, table]));
      assert.deepEqual(byName.get('PRODUCTION_LINE'), { name: 'PRODUCTION_LINE', ok: true, exists: true, rows: 2, missing_columns: [] });
      assert.ok(report.body.tables.every((table: { ok: boolean }) => table.ok));
    }
  });

  it('keeps every route to its tenant: B never sees or changes A\'s plant (404)', async () => {
    const token = ctx.b.admin.token;
    const mine = (await api().get(`${P}/lines`, token)).body.items;
    assert.deepEqual(mine.map((line: { line_name: string }) => line.line_name), ['Packing B'], 'B\'s page is not empty and holds only B\'s line');
    assert.equal((await api().get(`${P}/lines/${b.line}`, token)).body.line_name, 'Packing B', 'the same id is B\'s own line');
    for (const [path, own] of [['/areas', 'B outfeed'], ['/products', 'B box'], ['/shifts', 'B morning'], ['/filters', 'B filter'], ['/downtime-reasons', 'B reason']] as const) {
      const items = (await api().get(`${P}${path}`, token)).body.items;
      assert.ok(items.length > 0, path);
      assert.ok(JSON.stringify(items).includes(own) && !/ A|Outfeed|Box"|Colour|Jam/.test(JSON.stringify(items)), `${path}: ${JSON.stringify(items)}`);
    }
    const notFound: [string, string, unknown?][] = [
      ['GET', `/lines/${a.line2}`], ['PATCH', `/lines/${a.line2}`, { line_name: 'Mine now' }], ['DELETE', `/lines/${a.line2}`],
      ['GET', `/areas/${a.line2Area}`], ['PATCH', `/areas/${a.line2Area}`, { area_name: 'x' }], ['DELETE', `/areas/${a.line2Area}`],
      ['GET', `/products/${a.product2}`], ['PATCH', `/products/${a.product2}`, { product_name: 'x' }], ['DELETE', `/products/${a.product2}`],
      ['GET', `/shifts/${a.shift2}`], ['PATCH', `/shifts/${a.shift2}`, { shift_name: 'x' }], ['DELETE', `/shifts/${a.shift2}`],
      ['GET', `/filters/${a.filter2}`], ['PATCH', `/filters/${a.filter2}`, { filter_name: 'x' }], ['DELETE', `/filters/${a.filter2}`],
      ['GET', `/lines/${a.line2}/detections`], ['POST', `/lines/${a.line2}/detections`, { detections: [{ detected_at: minute('08:00'), area_id: a.line2Area }] }],
      ['GET', `/lines/${a.line2}/downtime`], ['PATCH', `/lines/${a.line2}/downtime/${a.downtime}`, { comment: 'x' }],
      ['PATCH', `/lines/${b.line}/downtime/${a.downtime}`, { comment: 'x' }],
      ['GET', `/lines/${a.line2}/status`], ['GET', `/oee?line_id=${a.line2}&from=${DAY}T08:00:00Z&to=${DAY}T10:00:00Z`],
      ['DELETE', `/downtime-reasons/${a.reason}`],
    ];
    for (const [method, path, body] of notFound) {
      const response = await api().request(method, `${P}${path}`, { token, ...(body === undefined ? {} : { body }) });
      assert.equal(response.status, 404, `${method} ${path}: ${response.text}`);
    }
    const aLines = (await api().get(`${P}/lines`, ctx.a.admin.token)).body.items;
    assert.ok(aLines.some((line: { line_name: string }) => line.line_name === 'Bottling A2'), 'A\'s line is unchanged');
    assert.equal((await api().get(`${P}/lines?tenant_id=${ctx.b.id}`, ctx.superAdmin)).body.items.length, 1, 'a SUPER_ADMIN names the tenant');
    assert.equal((await api().get(`${P}/lines?tenant_id=${ctx.a.id}`, token)).body.items[0].line_name, 'Packing B', 'a tenant user\'s tenant_id is ignored');
    assert.equal((await api().request('PUT', `/api/v1/tenants/${ctx.a.id}/plant-database`, { token, body: { mode: 'embedded' } })).status, 403);
  });

  it('lets each role do what the role table says', async () => {
    const batch = { detections: [{ detected_at: minute('07:00'), area_id: a.output }] };
    const expectations: [string, string, string, unknown, number][] = [
      ['viewer', 'POST', `/lines/${a.line}/detections`, batch, 403],
      ['viewer', 'PATCH', `/lines/${a.line}/downtime/${a.downtime}`, { comment: 'x' }, 403],
      ['manager', 'POST', `/lines/${a.line}/detections`, batch, 403],
      ['manager', 'PATCH', `/lines/${a.line}/downtime/${a.downtime}`, { comment: 'checked' }, 200],
      ['operator', 'POST', '/lines', { line_name: 'No' }, 403],
      ['operator', 'POST', '/downtime-reasons', { reason: 'No', category: 'planned' }, 403],
      ['operator', 'POST', `/plant/verify`, undefined, 403],
      ['operator', 'POST', `/lines/${a.line}/detections`, batch, 201],
    ];
    for (const [role, method, path, body, status] of expectations) {
      const token = ctx.a[role as 'viewer'].token;
      const response = await api().request(method, `${P}${path}`, { token, ...(body === undefined ? {} : { body }) });
      assert.equal(response.status, status, `${role} ${method} ${path}: ${response.text}`);
    }
  });

  it('takes detections from an API key with the production:write scope, and nothing else from it', async () => {
    const created = await api().post('/api/v1/api-keys', { name: 'Packing scanner', scopes: ['production:write'] }, ctx.a.admin.token);
    assert.equal(created.status, 201, created.text);
    const withKey = (method: string, path: string, body?: unknown) => api().request(method, `${P}${path}`, { headers: { 'x-api-key': created.body.key }, ...(body === undefined ? {} : { body }) });
    const ingest = await withKey('POST', `/lines/${a.line}/detections`, { batch_id: 'scanner-1', detections: [{ detected_at: minute('06:00'), area_id: a.input }] });
    assert.equal(ingest.status, 201, ingest.text);
    assert.equal((await withKey('GET', `/lines/${a.line}/detections`)).status, 403);
  });

  it('refuses detections from an API key limited to other lines', async () => {
    const other = (await api().post(`${P}/lines`, { line_name: 'Other line' }, ctx.a.admin.token)).body as { line_id: number };
    const created = await api().post('/api/v1/api-keys', { name: 'Other line scanner', scopes: ['production:write'], line_ids: [other.line_id] }, ctx.a.admin.token);
    assert.equal(created.status, 201, created.text);
    const count = async () => (await api().get(`${P}/lines/${a.line}/detections?limit=1000`, ctx.a.admin.token)).body.items.length as number;
    const before = await count();
    const ingest = await api().request('POST', `${P}/lines/${a.line}/detections`, {
      headers: { 'x-api-key': created.body.key }, body: { batch_id: 'other-line-1', detections: [{ detected_at: minute('06:00'), area_id: a.input }] },
    });
    assert.equal(ingest.status, 403, ingest.text);
    assert.equal(await count(), before, 'nothing was stored');
  });

  it('points a tenant at its own database and back, never returning the URL', { skip: !process.env.TEST_DATABASE_URL }, async () => {
    const tenant = await api().createTenant(ctx.superAdmin, `Prod external ${ctx.dialect}`);
    const plant = await createPostgresDatabase();
    try {
      const put = (body: unknown) => api().request('PUT', `/api/v1/tenants/${tenant.id}/plant-database`, { token: ctx.superAdmin, body });
      assert.equal((await put({ url: 'ftp://host/db' })).status, 400);
      assert.equal((await put({ url: plant.url, mode: 'embedded' })).status, 400);
      assert.equal((await put({ url: plant.url, password: 'x' })).status, 400);
      assert.equal((await api().request('PUT', `/api/v1/tenants/00000000-0000-7000-8000-000000000000/plant-database`, { token: ctx.superAdmin, body: { mode: 'embedded' } })).status, 404);
      const set = await put({ url: plant.url });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual({ mode: set.body.mode, dialect: set.body.dialect }, { mode: 'external', dialect: 'postgres' });
      const password = new URL(plant.url).password;
      if (password !== '') assert.ok(!set.text.includes(password), 'the password is never returned');
      const report = await api().get(`${P}/plant?tenant_id=${tenant.id}`, ctx.superAdmin);
      assert.equal(report.status, 200, report.text);
      assert.equal(report.body.mode, 'external');
      const background = await ctx.server.services.plantTenants();
      assert.deepEqual(background.filter((t) => t.tenantId === tenant.id), [{ tenantId: tenant.id, mode: 'external' }], 'background work sees the external source');
      assert.ok(report.body.tables.some((table: { name: string; exists: boolean }) => /production_line/i.test(table.name) && !table.exists), report.text);
      assert.equal((await api().get(`${P}/lines?tenant_id=${tenant.id}`, ctx.superAdmin)).status, 409, 'the structure is missing');
      const wrong = new URL(plant.url);
      wrong.username = 'no_such_role';
      wrong.password = 'Wrong-Secret-42';
      assert.equal((await put({ url: wrong.toString() })).status, 200);
      const refused = await api().get(`${P}/lines?tenant_id=${tenant.id}`, ctx.superAdmin);
      assert.equal(refused.status, 502, refused.text);
      assert.ok(!refused.text.includes('no_such_role') && !refused.text.includes('Wrong-Secret-42'), refused.text);
      const back = await put({ mode: 'embedded' });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.mode, 'embedded');
      assert.deepEqual((await api().get(`${P}/lines?tenant_id=${tenant.id}`, ctx.superAdmin)).body.items, []);
      assert.deepEqual((await ctx.server.services.plantTenants()).filter((t) => t.tenantId === tenant.id), [{ tenantId: tenant.id, mode: 'embedded' }]);
    } finally {
      await ctx.server.services.plants.invalidate(tenant.id);
      await plant.drop();
    }
  });
});
