// Telemetry ingest, rollups, queries, cardinality and retention (docs/requirements.md, PLT-12),
// over HTTP on each dialect: figures computed by hand, bad batches change nothing, tenants and
// roles kept apart.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDialect } from './helpers/suite.ts';

const MINUTE = 60_000;

forEachDialect('telemetry', { tenants: 'Telemetry' }, (s) => {
  const api = () => s.server.api;
  const withKey = (key: string, body: unknown) => api().request('POST', '/api/v1/telemetry', { headers: { 'x-api-key': key }, body });
  // A minute boundary well in the past (within raw retention), so every figure below is exact.
  const base = Math.floor((Date.now() - 3 * 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE;
  const at = (ms: number) => new Date(base + ms).toISOString();
  let key: string;

  const count = async (table: 'telemetry_points' | 'telemetry_series' | 'telemetry_minutes' | 'telemetry_hours' | 'telemetry_batches') =>
    Number((await s.server.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const snapshot = async () => Promise.all((['telemetry_points', 'telemetry_series', 'telemetry_minutes', 'telemetry_hours', 'telemetry_batches'] as const).map(count));

  before(async () => {
    const created = await api().post('/api/v1/api-keys', { name: 'Agent', scopes: ['telemetry:write'] }, s.a.admin.token);
    assert.equal(created.status, 201, created.text);
    key = created.body.key;
  });

  it('stores a batch from an API key and from an operator, idempotently by batch_id', async () => {
    const points = [
      { metric: 'cpu', value: 10, labels: { host: 'web-1', env: 'prod' }, timestamp: at(0) },
      { metric: 'cpu', value: 30, labels: { env: 'prod', host: 'web-1' }, timestamp: at(20_000) },
      { metric: 'cpu', value: 50, labels: { host: 'web-1', env: 'prod' }, timestamp: base + 70_000 },
      { metric: 'cpu', value: 5, labels: { host: 'web-2', env: 'prod' }, timestamp: at(10_000) },
    ];
    const first = await withKey(key, { batch_id: 'b-1', points });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(first.body, { batch_id: 'b-1', accepted: 4, duplicate: false });
    const again = await withKey(key, { batch_id: 'b-1', points });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { batch_id: 'b-1', accepted: 0, duplicate: true });
    const byUser = await api().post('/api/v1/telemetry', { points: [{ metric: 'queue.depth', value: 7, timestamp: at(0) }] }, s.a.operator.token);
    assert.equal(byUser.status, 201, byUser.text);

    const query = await api().get(`/api/v1/telemetry/query?metric=cpu&labels=host=web-1&from=${at(0)}&to=${at(2 * MINUTE)}&step=60&agg=avg`, s.a.viewer.token);
    assert.equal(query.status, 200, query.text);
    assert.equal(query.body.resolution, 'minute');
    assert.equal(query.body.series.length, 1, 'the label order does not make another series');
    assert.deepEqual(query.body.series[0].labels, { env: 'prod', host: 'web-1' });
    assert.deepEqual(query.body.series[0].points, [{ time: at(0), value: 20 }, { time: at(MINUTE), value: 50 }], 'the repeated batch was counted once');
  });

  it('aggregates avg, min, max, sum, count and rate the same from raw points and from rollups', async () => {
    const ask = async (agg: string, step: number, labels = 'env:prod') =>
      (await api().get(`/api/v1/telemetry/query?metric=cpu&labels=${encodeURIComponent(labels)}&from=${at(0)}&to=${at(2 * MINUTE)}&step=${step}&agg=${agg}`, s.a.viewer.token)).body;
    const expected: Record<string, [number, number]> = { avg: [20, 5], min: [10, 5], max: [30, 5], sum: [40, 5], count: [2, 1], rate: [40 / 60, 5 / 60] };
    for (const [agg, [web1, web2]] of Object.entries(expected)) {
      const answer = await ask(agg, 60);
      assert.equal(answer.series.length, 2);
      const byHost = Object.fromEntries(answer.series.map((series: { labels: { host: string }; points: { value: number }[] }) => [series.labels.host, series.points[0]!.value]));
      assert.ok(Math.abs(byHost['web-1'] - web1) < 1e-9 && Math.abs(byHost['web-2'] - web2) < 1e-9, `${agg}: ${JSON.stringify(byHost)}`);
    }
    // 30-second steps come from raw points; an hour step from hour rollups.
    const raw = await ask('count', 30, '{"host":"web-1"}');
    assert.equal(raw.resolution, 'raw');
    assert.deepEqual(raw.series[0].points.map((p: { value: number }) => p.value), [2, 1]);
    const hourly = await ask('sum', 3600, 'host=web-1');
    assert.equal(hourly.resolution, 'hour');
    assert.deepEqual(hourly.series[0].points, [{ time: at(0), value: 90 }]);
  });

  it('lists series, filtered by metric and labels, one page at a time', async () => {
    const all = await api().get('/api/v1/telemetry/series?limit=2', s.a.viewer.token);
    assert.equal(all.status, 200);
    assert.equal(all.body.items.length, 2);
    assert.ok(all.body.next_cursor);
    const rest = await api().get(`/api/v1/telemetry/series?limit=2&cursor=${all.body.next_cursor}`, s.a.viewer.token);
    assert.deepEqual(rest.body.items.map((item: { metric: string }) => item.metric), ['queue.depth']);
    assert.equal(rest.body.next_cursor, null);
    const web2 = await api().get('/api/v1/telemetry/series?metric=cpu&labels=host%3Dweb-2', s.a.viewer.token);
    assert.deepEqual(web2.body.items.map((item: { labels: unknown }) => item.labels), [{ env: 'prod', host: 'web-2' }]);
  });

  it('refuses a batch with a bad row as a whole, naming the row, and stores nothing', async () => {
    const before = await snapshot();
    const good = { metric: 'brand.new', value: 1, labels: { a: 'b' }, timestamp: at(0) };
    const cases: [unknown, string][] = [
      [{ points: [good, { metric: 'cpu', value: 'high', timestamp: at(0) }] }, 'points.1.value'],
      [{ points: [good, good, { metric: 'cpu', value: 1, timestamp: 'yesterday' }] }, 'points[2].timestamp'],
      [{ points: [good, { metric: 'cpu', value: 1, timestamp: Date.now() + 3_600_000 }] }, 'points[1].timestamp'],
      [{ points: [good, { metric: '9lives', value: 1 }] }, 'points.1.metric'],
      [{ points: [good, { metric: 'cpu', value: 1, labels: { 'bad key': 'x' } }] }, 'points.1.labels'],
      [{ points: [good, { metric: 'cpu', value: 1, labels: { host: 7 } }] }, 'points.1.labels.host'],
      [{ points: [good, { metric: 'cpu', value: 1, extra: true }] }, 'points.1.extra'],
      [{ points: [] }, 'points'],
    ];
    for (const [body, field] of cases) {
      const response = await withKey(key, body);
      assert.equal(response.status, 400, `${field}: ${response.text}`);
      assert.match(response.headers.get('content-type')!, /problem\+json/);
      assert.ok(response.body.errors.some((error: { field: string }) => error.field.startsWith(field)), `${field}: ${JSON.stringify(response.body.errors)}`);
    }
    const tooMany = await withKey(key, { points: Array.from({ length: 10_001 }, () => good) });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(await snapshot(), before);
  });

  it('bounds the series of a tenant: past the limit the batch is 422 and nothing is stored', async () => {
    const denied = await api().patch('/api/v1/telemetry/settings', { max_series: 4 }, s.a.admin.token);
    assert.equal(denied.status, 403, 'a tenant does not raise its own limit');
    const set = await api().patch(`/api/v1/telemetry/settings?tenant_id=${s.a.id}`, { max_series: 4 }, s.superAdmin);
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.series_count, 3);
    const before = await snapshot();
    const response = await withKey(key, { points: [
      { metric: 'cpu', value: 1, labels: { host: 'web-1', env: 'prod' } },
      { metric: 'cpu', value: 1, labels: { host: 'web-3' } },
      { metric: 'cpu', value: 1, labels: { host: 'web-4' } },
    ] });
    assert.equal(response.status, 422, response.text);
    assert.equal(response.body.errors[0].field, 'points[1]');
    assert.deepEqual(await snapshot(), before);
    const oneMore = await withKey(key, { points: [{ metric: 'cpu', value: 1, labels: { host: 'web-3' } }] });
    assert.equal(oneMore.status, 201, oneMore.text);
    const settings = await api().get('/api/v1/telemetry/settings', s.a.viewer.token);
    assert.deepEqual(settings.body, { max_series: 4, series_count: 4, raw_retention_days: 7, minute_retention_days: 90, hour_retention_days: 730 });
    assert.equal((await api().patch(`/api/v1/telemetry/settings?tenant_id=${s.a.id}`, { max_series: null }, s.superAdmin)).body.max_series, 10_000);
  });

  it('keeps tenants apart and gives each role what it may do', async () => {
    const query = `/api/v1/telemetry/query?metric=cpu&from=${at(0)}&to=${at(2 * MINUTE)}`;
    assert.deepEqual((await api().get(query, s.b.admin.token)).body.series, [], 'tenant B sees none of A\'s series');
    assert.deepEqual((await api().get('/api/v1/telemetry/series', s.b.viewer.token)).body.items, []);
    assert.equal((await api().get(`${query}&tenant_id=${s.a.id}`, s.superAdmin)).body.series.length, 3);
    assert.equal((await api().get(`${query}&tenant_id=${s.a.id}`, s.b.admin.token)).body.series.length, 0, 'a tenant user cannot name another tenant');
    // B's batch with the same batch id is B's own.
    const b = await api().post('/api/v1/telemetry', { batch_id: 'b-1', points: [{ metric: 'cpu', value: 99 }] }, s.b.admin.token);
    assert.equal(b.status, 201, b.text);
    for (const token of [s.a.viewer.token, s.a.manager.token]) assert.equal((await api().post('/api/v1/telemetry', { points: [{ metric: 'cpu', value: 1 }] }, token)).status, 403);
    assert.equal((await api().request('GET', query, { headers: { 'x-api-key': key } })).status, 403, 'an ingest key cannot read');
    assert.equal((await api().get(query)).status, 401);
    assert.equal((await api().get('/api/v1/telemetry/query?metric=cpu&agg=median', s.a.viewer.token)).status, 400);
    assert.equal((await api().get('/api/v1/telemetry/query?metric=cpu&labels=nonsense', s.a.viewer.token)).status, 400);
    assert.equal((await api().get(`/api/v1/telemetry/query?metric=cpu&from=${at(0)}&to=${at(86_400_000)}&step=1`, s.a.viewer.token)).status, 400);
    const longRaw = await api().get(`/api/v1/telemetry/query?metric=cpu&from=${at(0)}&to=${at(2 * 86_400_000)}&step=30`, s.a.viewer.token);
    assert.equal(longRaw.status, 400, 'raw points answer ranges up to a day');
    assert.equal(longRaw.body.errors[0].field, 'step');
  });

  it('deletes raw points past retention and keeps the rollups', async () => {
    const old = Date.now() - 10 * 86_400_000;
    const minute = old - (old % MINUTE);
    assert.equal((await withKey(key, { points: [{ metric: 'old', value: 3, timestamp: minute }, { metric: 'old', value: 5, timestamp: minute + 1_000 }] })).status, 201);
    const report = await s.server.services.telemetry.applyRetention();
    const mine = report.find((entry) => entry.tenant_id === s.a.id)!;
    assert.equal(mine.removed.telemetry_points, 2);
    assert.equal(mine.removed.telemetry_minutes, 0);
    const range = `from=${new Date(minute).toISOString()}&to=${new Date(minute + MINUTE).toISOString()}`;
    const fromMinutes = await api().get(`/api/v1/telemetry/query?metric=old&${range}&step=60&agg=sum`, s.a.viewer.token);
    assert.deepEqual(fromMinutes.body.series[0].points, [{ time: new Date(minute).toISOString(), value: 8 }]);
    const fromRaw = await api().get(`/api/v1/telemetry/query?metric=old&${range}&step=30&agg=sum`, s.a.viewer.token);
    assert.deepEqual(fromRaw.body.series[0].points, []);
  });

  it('commits batches that arrive together in one transaction, each all or nothing, with its audit entry', async () => {
    const telemetry = s.server.services.telemetry;
    const { series_count: seriesCount } = (await api().get('/api/v1/telemetry/settings', s.a.viewer.token)).body;
    assert.equal((await api().patch(`/api/v1/telemetry/settings?tenant_id=${s.a.id}`, { max_series: seriesCount + 1 }, s.superAdmin)).status, 200);
    const batch = (batchId: string, host: string) => ({ batch_id: batchId, points: [{ metric: 'grouped', value: 1, labels: { host }, timestamp: at(0) }] });
    // What a batch announces after the commit (a live event) is announced only if the batch is stored.
    const announced: string[] = [];
    const announce = (batchId: string) => async () => s.server.db.afterCommit(() => announced.push(batchId));
    // Five calls in the same turn of the event loop are committed as one group.
    const settled = await Promise.allSettled([
      telemetry.ingest(s.a.id, batch('g-1', 'h1'), announce('g-1')),
      telemetry.ingest(s.a.id, batch('g-2', 'h1')),
      telemetry.ingest(s.a.id, batch('g-3', 'h2')),
      telemetry.ingest(s.a.id, batch('g-2', 'h1')),
      telemetry.ingest(s.a.id, batch('g-4', 'h1'), async () => {
        await announce('g-4')();
        throw new Error('the audit entry could not be written');
      }),
    ]);
    assert.deepEqual(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as { status?: number }).status ?? (outcome.reason as Error).message)), [
      { batch_id: 'g-1', accepted: 1, duplicate: false },
      { batch_id: 'g-2', accepted: 1, duplicate: false },
      422,
      { batch_id: 'g-2', accepted: 0, duplicate: true },
      'the audit entry could not be written',
    ]);
    const stored = await s.server.db.kysely.selectFrom('telemetry_batches').select('batch_id').where('tenant_id', '=', s.a.id).where('batch_id', 'like', 'g-%').orderBy('batch_id').execute();
    assert.deepEqual(stored.map((row) => row.batch_id), ['g-1', 'g-2'], 'the failed batches left nothing behind');
    assert.deepEqual(announced, ['g-1'], 'a rolled-back batch announces nothing');
    const counted = await api().get(`/api/v1/telemetry/query?metric=grouped&from=${at(0)}&to=${at(MINUTE)}&step=60&agg=count`, s.a.viewer.token);
    assert.deepEqual(counted.body.series.map((series: { labels: unknown; points: unknown }) => [series.labels, series.points]), [[{ host: 'h1' }, [{ time: at(0), value: 2 }]]]);

    // Over HTTP the success entry commits with the batch; a refused batch gets a failure entry.
    assert.equal((await withKey(key, batch('g-5', 'h1'))).status, 201);
    assert.equal((await withKey(key, batch('g-6', 'h3'))).status, 422);
    const entries = await s.server.db.kysely.selectFrom('audit_logs').select(['outcome', 'tenant_id', 'detail']).where('action', '=', 'telemetry.ingest').where('tenant_id', '=', s.a.id).execute();
    const outcomes = entries.map((entry) => [entry.outcome, (JSON.parse(String(entry.detail ?? '{}')) as { batch_id?: string }).batch_id ?? null]);
    assert.ok(outcomes.some(([outcome, batchId]) => outcome === 'success' && batchId === 'g-5'), JSON.stringify(outcomes));
    assert.ok(outcomes.some(([outcome]) => outcome === 'failure'), JSON.stringify(outcomes));
    assert.equal((await api().patch(`/api/v1/telemetry/settings?tenant_id=${s.a.id}`, { max_series: null }, s.superAdmin)).status, 200);
  });

  it('stores one series per label set however its keys are ordered, within a batch and across batches', async () => {
    const labels = { 'z.zone': 'eu "west"', a_host: 'wéb\\1', m: 'line\nbreak' };
    const reordered = { m: labels.m, 'z.zone': labels['z.zone'], a_host: labels.a_host };
    const sorted = { a_host: labels.a_host, m: labels.m, 'z.zone': labels['z.zone'] };
    const point = (value: number, set: Record<string, string>) => ({ metric: 'spelled', value, labels: set, timestamp: at(0) });
    const first = await withKey(key, { points: [point(1, labels), point(2, reordered)] });
    assert.equal(first.status, 201, first.text);
    const second = await withKey(key, { points: [point(3, sorted), point(4, reordered), point(5, { ...sorted, m: 'other' })] });
    assert.equal(second.status, 201, second.text);
    const series = await api().get('/api/v1/telemetry/series?metric=spelled', s.a.viewer.token);
    assert.deepEqual(series.body.items.map((item: { labels: unknown }) => item.labels), [sorted, { ...sorted, m: 'other' }]);
    const sums = await api().get(`/api/v1/telemetry/query?metric=spelled&from=${at(0)}&to=${at(MINUTE)}&step=60&agg=sum`, s.a.viewer.token);
    assert.deepEqual(sums.body.series.map((one: { points: { value: number }[] }) => one.points.map((p) => p.value)), [[10], [5]]);
  });

  it('stores a label set of any length the limits allow (20 labels, keys up to 64, values up to 200 characters) the same on every dialect', async () => {
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${'k'.repeat(62)}${String(i).padStart(2, '0')}`, `v${i}`.repeat(100).slice(0, 200)]));
    assert.ok(JSON.stringify(labels).length > 5_000);
    const point = (value: number) => ({ metric: 'wide', value, labels, timestamp: at(0) });
    assert.equal((await withKey(key, { points: [point(1)] })).status, 201);
    assert.equal((await withKey(key, { points: [point(2)] })).status, 201);
    const series = await api().get('/api/v1/telemetry/series?metric=wide', s.a.viewer.token);
    assert.deepEqual(series.body.items.map((item: { labels: unknown }) => item.labels), [labels], 'one series, its labels in full');
    const summed = await api().get(`/api/v1/telemetry/query?metric=wide&from=${at(0)}&to=${at(MINUTE)}&step=60&agg=sum`, s.a.viewer.token);
    assert.deepEqual(summed.body.series[0].points, [{ time: at(0), value: 3 }]);
    // Past the limits: a 400 naming the field, never a database error.
    for (const [bad, field] of [[{ ...labels, extra: 'x' }, 'points.0.labels'], [{ a: 'v'.repeat(201) }, 'points.0.labels.a'], [{ [`k${'x'.repeat(64)}`]: 'v' }, 'points.0.labels']] as const) {
      const refused = await withKey(key, { points: [{ metric: 'wide', value: 1, labels: bad }] });
      assert.equal(refused.status, 400, refused.text);
      assert.ok(refused.body.errors.some((error: { field: string }) => error.field.startsWith(field)), JSON.stringify(refused.body.errors));
    }
  });
});
