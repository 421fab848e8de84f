// Notifications from a running `sentinel serve` (docs/requirements.md, NTF-2): the background worker
// announces an alert a feed wrote, by e-mail (a real SMTP server) and a signed webhook, then its
// resolution by hand through the API; an alert written while the server was down (kill -9) is
// announced after the restart. Time from the alert's write to the e-mail is printed (noisy on a
// shared machine; never asserted beyond the 15 s target).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { newId } from '../src/platform/ids.ts';
import { ADMIN_PASSWORD, createServerDatabase, dialects } from './helpers/harness.ts';
import { startServerProcess } from './helpers/server-process.ts';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.ts';
import { startWebhookReceiver } from './helpers/webhook-receiver.ts';

const SECRET = 'whsec_process_test_secret';

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const dialect of dialects()) {
  describe(`notifications from a running server (${dialect})`, () => {
    let dataDir: string;
    let dropDatabase: (() => Promise<void>) | undefined;
    let env: Record<string, string>;
    let sink: SmtpSink;
    let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-notify-process-'));
      sink = await startSmtpSink();
      hook = await startWebhookReceiver();
      const pgDb = await createServerDatabase(dialect);
      dropDatabase = pgDb?.drop;
      env = {
        SENTINEL_DATA_DIR: dataDir, SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD, SENTINEL_SYNC: 'on', SENTINEL_SMTP_URL: sink.url,
        SENTINEL_NOTIFY_POLL_SECONDS: '1', ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
      };
    });
    after(async () => {
      await sink.close();
      await hook.close();
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('announces a new alert and its resolution, and what changed while it was down', async () => {
      let server = await startServerProcess(env);
      const db = openDatabase(loadConfig(env));
      try {
        const admin = await server.api.adminToken();
        const tenant = await server.api.createTenant(admin, 'Notify process');
        const q = `?tenant_id=${tenant.id}`;
        assert.equal((await server.api.post(`/api/v1/notification-channels${q}`, { name: 'Mail', type: 'email', config: { recipients: ['soc@example.com'] } }, admin)).status, 201);
        assert.equal((await server.api.post(`/api/v1/notification-channels${q}`, { name: 'Hook', type: 'webhook', config: { url: `${hook.url}/in`, secret: SECRET } }, admin)).status, 201);

        const insertAlert = async (title: string) => {
          const now = Date.now();
          const id = newId(now);
          await db.kysely.insertInto('alerts').values({
            id, tenant_id: tenant.id, integration_id: null, system_id: null, external_id: id, title, description: '', severity: 'critical', vendor_severity: null,
            source: 'Sentinel rules', asset: null, status: 'active', first_seen: now, last_seen: now, occurrences: 1, acknowledged_at: null, acknowledged_by: null,
            resolved_at: null, resolved_by: null, resolution_note: null, created_at: now, updated_at: now,
          }).execute();
          return { id, at: now };
        };

        const first = await insertAlert('Exfiltration suspected');
        const mail = await until('the e-mail', () => sink.messages().find((m) => m.headers.subject?.includes('Exfiltration suspected')));
        console.log(`# ${dialect}: first alert written → e-mail received in ${Date.now() - first.at} ms (includes the worker thread's start-up)`);
        assert.match(mail.headers.subject!, /Alert opened/);
        const request = await until('the webhook', () => hook.received.find((r) => r.body?.alert?.id === first.id));
        const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-sentinel-signature']))!;
        assert.equal(v1, createHmac('sha256', SECRET).update(`${t}.${request.raw}`).digest('hex'));

        const resolvedAt = Date.now();
        const resolved = await server.api.post(`/api/v1/alerts/${first.id}/resolve${q}`, { note: 'Blocked at the firewall' }, admin);
        assert.equal(resolved.status, 200, resolved.text);
        await until('the resolution e-mail', () => sink.messages().find((m) => /Alert resolved: \[CRITICAL\] Exfiltration suspected/.test(m.headers.subject ?? '')));
        console.log(`# ${dialect}: alert resolved → e-mail received in ${Date.now() - resolvedAt} ms (poll 1 s)`);
        await until('the resolution webhook', () => hook.received.find((r) => r.body?.type === 'alert.resolved' && r.body.alert.id === first.id));
        // Killed only once both resolution deliveries are recorded: one received but not yet recorded
        // stays `sending` until its lease lapses (2 min) and is then sent again, after this test.
        for (const deadline = Date.now() + 15_000; ;) {
          const recorded = await db.kysely.selectFrom('notification_deliveries').select('status').where('tenant_id', '=', tenant.id).where('event', '=', 'alert.resolved').execute();
          if (recorded.length === 2 && recorded.every((delivery) => delivery.status === 'delivered')) break;
          if (Date.now() > deadline) throw new Error('timed out waiting for the resolution deliveries to be recorded');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }

        // Down (kill -9): an alert written meanwhile is announced once the server is back.
        const exited = new Promise((resolve) => server.child.once('exit', resolve));
        server.child.kill('SIGKILL');
        await exited;
        const whileDown = await insertAlert('Written while down');
        server = await startServerProcess(env);
        await until('the e-mail after the restart', () => sink.messages().find((m) => m.headers.subject?.includes('Written while down')), 30_000);
        await until('the webhook after the restart', () => hook.received.find((r) => r.body?.alert?.id === whileDown.id));
        const token = await server.api.adminToken();
        const log = await server.api.get(`/api/v1/notifications/deliveries${q}`, token);
        assert.deepEqual(log.body.items.map((d: { event: string; status: string }) => `${d.event}:${d.status}`).sort(), [
          'alert.opened:delivered', 'alert.opened:delivered', 'alert.opened:delivered', 'alert.opened:delivered', 'alert.resolved:delivered', 'alert.resolved:delivered',
        ]);
        assert.equal(sink.messages().length, 3, 'each change once');
      } finally {
        server.child.kill('SIGKILL');
        await db.close();
      }
    });
  });
}
