// Daily reports (docs/requirements.md): the security summary and production OEE of a tenant's
// previous local day as PDF and CSV, made on schedule and e-mailed to subscribers, downloadable.
// The PDF is read back with pdftotext (poppler-utils) and must show the day's figures.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { makeAlert, makeVulnerability } from './helpers/factories.ts';
import { startSmtpSink } from './helpers/smtp-sink.ts';
import { forEachDialect } from './helpers/suite.ts';

const sink = await startSmtpSink();
after(() => sink.close());

const DAY = '2026-01-14';
const at = (iso: string) => Date.parse(iso);

function pdfText(pdf: Buffer): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sentinel-report-')), 'report.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

/** The CSV as rows of cells (it quotes only what needs it). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.trim().split('\r\n')) {
    const cells: string[] = [];
    for (const match of line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)) {
      if (match.index === line.length && match[0] === '') break;
      cells.push(match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replaceAll('""', '"') : match[1]!);
    }
    rows.push(cells);
  }
  return rows;
}

async function download(ctx: { server: { url: string } }, url: string, token: string): Promise<{ status: number; type: string; body: Buffer }> {
  const response = await fetch(`${ctx.server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
}

forEachDialect('daily reports', { tenants: 'Reports', env: { SENTINEL_SMTP_URL: sink.url } }, (ctx) => {
  const P = '/api/v1/production';
  let reader: { id: string; token: string };

  before(async () => {
    const api = ctx.server.api;
    assert.equal((await api.patch(`/api/v1/tenants/${ctx.a.id}`, { config: { timezone: 'Europe/Madrid' } }, ctx.superAdmin)).status, 200);
    // Tenant A's plant: one line with a 08:00-10:00 UTC shift; 90 good pieces, 10 rejects and a 31-minute stop on the day (OEE 37.5 %).
    const post = async (p: string, body: unknown) => {
      const response = await api.post(`${P}${p}`, body, ctx.a.admin.token);
      assert.equal(response.status, 201, response.text);
      return response.body;
    };
    const line = (await post('/lines', { line_name: 'Packing "A", east', line_code: 'packing', ideal_cycle_seconds: 30, downtime_threshold_seconds: 300, timezone: 'UTC' })).line_id;
    const output = (await post('/areas', { line_id: line, area_name: 'Outfeed', area_type: 'output' })).area_id;
    const reject = (await post('/areas', { line_id: line, area_name: 'Reject', area_type: 'reject' })).area_id;
    await post('/shifts', { shift_name: 'Morning', start_time: '08:00', end_time: '10:00', line_id: line });
    const detections: unknown[] = [];
    for (let m = 0; m < 60; m++) detections.push({ detected_at: `${DAY}T08:${String(m).padStart(2, '0')}:00Z`, area_id: output });
    for (let m = 30; m < 60; m++) detections.push({ detected_at: `${DAY}T09:${String(m).padStart(2, '0')}:00Z`, area_id: output });
    detections.push({ detected_at: `${DAY}T08:30:30Z`, area_id: reject, quantity: 10 });
    assert.equal((await api.post(`${P}/lines/${line}/detections`, { detections }, ctx.a.operator.token)).status, 201);

    // Security on A's local day (Europe/Madrid: 2026-01-13T23:00Z to 2026-01-14T23:00Z).
    await makeAlert(ctx.server, ctx.a.id, { title: 'Ransomware beacon', severity: 'critical', first_seen: at(`${DAY}T10:00:00Z`), status: 'resolved', resolved_at: at(`${DAY}T10:30:00Z`) });
    await makeAlert(ctx.server, ctx.a.id, { title: 'Port scan from 10.0.0.7', severity: 'high', first_seen: at(`${DAY}T12:00:00Z`) });
    await makeAlert(ctx.server, ctx.a.id, { title: 'The day before, local time', severity: 'medium', first_seen: at('2026-01-13T22:30:00Z') });
    await makeAlert(ctx.server, ctx.a.id, { title: 'The day after', severity: 'low', first_seen: at(`${DAY}T23:30:00Z`) });
    await makeVulnerability(ctx.server, ctx.a.id, { severity: 'high', first_seen: at(`${DAY}T09:00:00Z`) });
    // B's data must never show in A's report.
    await makeAlert(ctx.server, ctx.b.id, { title: 'B secret alert', severity: 'critical', first_seen: at(`${DAY}T11:00:00Z`) });
    reader = { ...(await api.createUser(ctx.superAdmin, ctx.a.id, 'reports.reader.a', 'VIEWER', { email: 'reader@a.example' })) };
  });

  it('makes the report of a day: the PDF and CSV show the day\'s security and OEE figures', async () => {
    const made = await ctx.server.api.post('/api/v1/reports', { day: DAY }, ctx.a.admin.token);
    assert.equal(made.status, 201, made.text);
    const report = made.body;
    assert.equal(report.day, DAY);
    assert.equal(report.time_zone, 'Europe/Madrid');
    assert.equal(report.from, '2026-01-13T23:00:00.000Z');
    assert.equal(report.to, '2026-01-14T23:00:00.000Z');
    const s = report.summary.security;
    assert.equal(s.alerts_opened, 2);
    assert.deepEqual(s.alerts_opened_by_severity, { critical: 1, high: 1, medium: 0, low: 0, info: 0 });
    assert.equal(s.alerts_resolved, 1);
    assert.equal(s.mean_time_to_resolve_minutes, 30);
    assert.equal(s.alerts_open_at_end, 2, 'the high one and the one from the day before');
    assert.equal(s.vulnerabilities_found, 1);
    assert.deepEqual(s.top_alerts.map((a: { title: string }) => a.title), ['Ransomware beacon', 'Port scan from 10.0.0.7']);
    const lineFigures = report.summary.production.lines[0];
    assert.equal(lineFigures.good_count, 90);
    assert.equal(lineFigures.reject_count, 10);
    assert.ok(Math.abs(lineFigures.oee - 0.375) < 1e-9, String(lineFigures.oee));

    const pdf = await download(ctx, report.pdf_url, ctx.a.viewer.token);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.type, 'application/pdf');
    assert.equal(pdf.body.subarray(0, 5).toString(), '%PDF-');
    const text = pdfText(pdf.body);
    for (const expected of ['Daily report', 'Reports A', '2026-01-14', 'Europe/Madrid', 'Alerts opened', 'Ransomware beacon', 'Port scan from 10.0.0.7', '30 min', 'Packing "A", east', '37.5 %', 'Page 1 of 1']) {
      assert.ok(text.includes(expected), `the PDF shows ${expected}:\n${text}`);
    }
    assert.match(text, /Critical\s+1\s+0\s+0/);
    assert.match(text, /High\s+1\s+1\s+1/);
    assert.doesNotMatch(text, /B secret alert|The day after/);

    const csv = await download(ctx, report.csv_url, ctx.a.viewer.token);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    const rows = parseCsv(csv.body.toString('utf8'));
    const value = (section: string, subject: string, metric: string) => rows.find((r) => r[0] === section && r[1] === subject && r[2] === metric)?.[3];
    assert.deepEqual(rows[0], ['section', 'subject', 'metric', 'value']);
    assert.equal(value('report', '', 'day'), DAY);
    assert.equal(value('security', 'alerts', 'opened'), '2');
    assert.equal(value('security', 'alerts_critical', 'opened'), '1');
    assert.equal(value('security', 'alerts', 'mean_time_to_resolve_minutes'), '30');
    assert.equal(value('production', 'Packing "A", east', 'oee'), '0.375');
    assert.equal(value('production', 'Packing "A", east', 'good_count'), '90');

    const listed = await ctx.server.api.get('/api/v1/reports', ctx.a.viewer.token);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((r: { day: string }) => r.day), [DAY]);
    // Made again: the same report, brought up to date.
    await makeAlert(ctx.server, ctx.a.id, { title: 'Late arrival', severity: 'info', first_seen: at(`${DAY}T15:00:00Z`) });
    const again = await ctx.server.api.post('/api/v1/reports', { day: DAY }, ctx.a.admin.token);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, report.id);
    assert.equal(again.body.summary.security.alerts_opened, 3);
  });

  it('refuses days that are not past days, and bad input, making nothing', async () => {
    const count = async () => (await ctx.server.db.kysely.selectFrom('reports').select('id').execute()).length;
    const before = await count();
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    for (const body of [{ day: tomorrow }, { day: '2026-02-30' }, { day: 'yesterday' }, { day: '2026-1-5' }, { day: DAY, extra: 1 }, { day: 20260114 }]) {
      const response = await ctx.server.api.post('/api/v1/reports', body, ctx.a.admin.token);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
    }
    for (const body of [{}, { send_at: '25:00' }, { send_at: '7:00' }, { enabled: 'yes' }]) {
      assert.equal((await ctx.server.api.request('PUT', '/api/v1/reports/settings', { token: ctx.a.admin.token, body })).status, 400, JSON.stringify(body));
    }
    assert.equal((await ctx.server.api.request('PUT', '/api/v1/reports/subscription', { token: ctx.a.viewer.token, body: { subscribed: 'yes' } })).status, 400);
    assert.equal(await count(), before);
    assert.equal((await ctx.server.api.get('/api/v1/reports/01900000-0000-7000-8000-000000000000.pdf', ctx.a.viewer.token)).status, 404);
    assert.equal((await ctx.server.api.get('/api/v1/reports/not-an-id.pdf', ctx.a.viewer.token)).status, 400);
  });

  it('makes the previous local day\'s report once its send time has passed, and e-mails it to subscribers', async () => {
    const api = ctx.server.api;
    assert.deepEqual((await api.get('/api/v1/reports/settings', ctx.a.viewer.token)).body, { send_at: '07:00', enabled: true });
    assert.deepEqual((await api.request('PUT', '/api/v1/reports/settings', { token: ctx.a.admin.token, body: { send_at: '06:45' } })).body, { send_at: '06:45', enabled: true });
    assert.deepEqual((await api.get('/api/v1/reports/subscription', reader.token)).body, { subscribed: false });
    assert.deepEqual((await api.request('PUT', '/api/v1/reports/subscription', { token: reader.token, body: { subscribed: true } })).body, { subscribed: true });
    // B does not make reports (disabled), so only A's is made.
    assert.equal((await api.request('PUT', '/api/v1/reports/settings', { token: ctx.b.admin.token, body: { enabled: false } })).status, 200);
    const mailsBefore = sink.messages().length;

    // The 15th was over long before tenant A was created (today): nothing to report, whatever the hour.
    assert.equal(await ctx.server.services.reports.runSchedule(at('2026-01-16T06:00:00Z')), 0);
    await ctx.server.db.kysely.updateTable('tenants').set({ created_at: at('2026-01-01T00:00:00Z') }).where('id', '=', ctx.a.id).execute();
    // 06:30 in Madrid on the 16th: not yet.
    assert.equal(await ctx.server.services.reports.runSchedule(at('2026-01-16T05:30:00Z')), 0);
    // 07:00 in Madrid: the 15th's report, once, however often the schedule runs.
    assert.equal(await ctx.server.services.reports.runSchedule(at('2026-01-16T06:00:00Z')), 1);
    assert.equal(await ctx.server.services.reports.runSchedule(at('2026-01-16T06:01:00Z')), 0);
    const days = (await api.get('/api/v1/reports', ctx.a.viewer.token)).body.items.map((r: { day: string }) => r.day);
    assert.deepEqual(days.sort(), [DAY, '2026-01-15']);
    assert.equal((await api.get('/api/v1/reports', ctx.b.admin.token)).body.items.length, 0);

    await ctx.server.services.notificationsDispatch.deliverDue();
    const [mail] = (await sink.waitFor(mailsBefore + 1)).slice(mailsBefore);
    assert.deepEqual(mail!.rcptTos, ['reader@a.example']);
    assert.match(mail!.headers.subject!, /Daily report 2026-01-15 - Reports A/);
    assert.match(mail!.text, /Alerts: 1 opened \(0 critical, 0 high, 0 medium, 1 low, 0 info\)/, 'the alert of 23:30 UTC on the 14th is on the 15th in Madrid');
    const attached = mail!.attachments['sentinel-report-2026-01-15.pdf'];
    assert.ok(attached !== undefined, `attachments: ${Object.keys(mail!.attachments).join(', ')}`);
    assert.match(pdfText(attached), /Daily report/);
    assert.match(mail!.attachments['sentinel-report-2026-01-15.csv']!.toString('utf8'), /report,,day,2026-01-15/);
    const log = await api.get('/api/v1/notifications/deliveries?event=report.daily', ctx.a.admin.token);
    assert.equal(log.body.items.length, 1);
    assert.equal(log.body.items[0].status, 'delivered');

    assert.deepEqual((await api.request('PUT', '/api/v1/reports/subscription', { token: reader.token, body: { subscribed: false } })).body, { subscribed: false });
    assert.equal((await api.request('PUT', '/api/v1/reports/subscription', { token: ctx.superAdmin, body: { subscribed: true }, headers: {} })).status, 400, 'a SUPER_ADMIN must name a tenant');
    assert.equal((await api.request('PUT', `/api/v1/reports/subscription?tenant_id=${ctx.a.id}`, { token: ctx.superAdmin, body: { subscribed: true } })).status, 403, 'and is no user of it');
  });

  it('keeps tenants apart and lets ADMIN make reports and set the schedule, every role read and subscribe', async () => {
    const api = ctx.server.api;
    const ours = (await api.get('/api/v1/reports', ctx.a.viewer.token)).body.items;
    assert.ok(ours.length > 0);
    for (const url of [ours[0].pdf_url, ours[0].csv_url]) {
      assert.equal((await download(ctx, url, ctx.b.admin.token)).status, 404, `${url} from B`);
      assert.equal((await download(ctx, url, ctx.a.viewer.token)).status, 200);
    }
    assert.equal((await download(ctx, `${ours[0].pdf_url}?tenant_id=${ctx.a.id}`, ctx.superAdmin)).status, 200);
    assert.equal((await download(ctx, `${ours[0].pdf_url}?tenant_id=${ctx.b.id}`, ctx.superAdmin)).status, 404);
    const theirs = await api.post('/api/v1/reports', { day: DAY }, ctx.b.admin.token);
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal(theirs.body.summary.security.alerts_opened, 1, 'B\'s own alert only');
    assert.equal(theirs.body.summary.production, null, 'B has no plant');
    assert.ok((await api.get('/api/v1/reports', ctx.a.admin.token)).body.items.every((r: { tenant_id: string }) => r.tenant_id === ctx.a.id));

    for (const [who, token] of [['MANAGER', ctx.a.manager.token], ['OPERATOR', ctx.a.operator.token], ['VIEWER', ctx.a.viewer.token]] as const) {
      assert.equal((await api.get('/api/v1/reports', token)).status, 200, who);
      assert.equal((await api.get('/api/v1/reports/settings', token)).status, 200, who);
      assert.equal((await api.get('/api/v1/reports/subscription', token)).status, 200, who);
      assert.equal((await api.request('PUT', '/api/v1/reports/subscription', { token, body: { subscribed: true } })).status, 200, who);
      assert.equal((await api.post('/api/v1/reports', { day: DAY }, token)).status, 403, who);
      assert.equal((await api.request('PUT', '/api/v1/reports/settings', { token, body: { enabled: false } })).status, 403, who);
    }
    assert.deepEqual((await api.get('/api/v1/reports/settings', ctx.a.admin.token)).body.enabled, true, 'nothing changed');
    assert.equal((await api.get('/api/v1/reports')).status, 401);
    const audit = await api.get(`/api/v1/audit-logs?resource_id=${ours[0].id}`, ctx.a.admin.token);
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === 'report.download'));
  });

  it('writes the PDF in the tenant\'s language', async () => {
    const api = ctx.server.api;
    assert.equal((await api.patch('/api/v1/tenant/settings', { language: 'es' }, ctx.b.admin.token)).status, 200);
    const made = await api.post('/api/v1/reports', { day: '2026-01-13' }, ctx.b.admin.token);
    assert.equal(made.status, 201, made.text);
    const text = pdfText((await download(ctx, made.body.pdf_url, ctx.b.admin.token)).body);
    for (const expected of ['Informe diario', 'Seguridad', 'Alertas nuevas', 'Alertas abiertas al final', 'T. medio resolución', 'Severidad', 'Crítica', 'Producción', 'No hay líneas de producción.', 'Página 1 de 1']) {
      assert.ok(text.includes(expected), `the PDF shows ${expected}:\n${text}`);
    }
    assert.doesNotMatch(text, /Daily report|Alerts opened/);
    assert.equal((await api.patch('/api/v1/tenant/settings', { language: 'en' }, ctx.b.admin.token)).status, 200);
  });
});
