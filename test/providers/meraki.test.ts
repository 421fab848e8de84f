import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { nextLink } from '../../src/modules/integrations/providers/meraki/client.ts';
import { definition } from '../../src/modules/integrations/providers/meraki/index.ts';
import { deriveStatus } from '../../src/modules/integrations/providers/meraki/status.ts';
import type { NormalizedAsset, ProviderContext } from '../../src/modules/integrations/providers/types.ts';
import { defaultMerakiData, merakiAlert, merakiDevice, startMerakiSimulator, type MerakiSimulator } from '../simulators/meraki.ts';
import { providerContext, rejectsWithKind } from '../helpers/providers.ts';

const provider = definition.provider;


const ctxFor = (url: string, secret: ProviderContext['secret'], organizationId: string, timeoutMs = 2_000) =>
  providerContext(url, secret, { timeoutMs, config: { organization_id: organizationId } });
const rejectsWith = rejectsWithKind;

const pagesOf = (sim: MerakiSimulator, suffix: string) => sim.requests.filter((r) => r.path.endsWith(suffix));

describe('meraki provider', () => {
  let sim: MerakiSimulator;
  let ctx: ProviderContext;

  before(async () => {
    // A generous bucket for the functional tests; the rate-limit test uses its own simulator.
    sim = await startMerakiSimulator({ rateLimit: { perSecond: 1000, burst: 1000 } });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.data = defaultMerakiData({ organizationId: sim.organizationId });
    for (const key of Object.keys(sim.faults)) delete (sim.faults as Record<string, unknown>)[key];
    sim.requests.length = 0;
    sim.authSchemes = 'both';
    ctx = ctxFor(sim.apiUrl, sim.apiKey, sim.organizationId);
  });

  describe('check', () => {
    test('ok: GET /organizations/{id} with the API key header', async () => {
      const result = await provider.check(ctx);
      assert.deepEqual({ ok: result.ok, detail: result.detail }, { ok: true, detail: 'Meraki organization "Acme Corp" (549236)' });
      const call = sim.requests.at(-1)!;
      assert.equal(call.path, '/api/v1/organizations/549236');
      assert.equal(call.headers['x-cisco-meraki-api-key'], sim.apiKey);
    });

    for (const scheme of ['bearer', 'header'] as const) {
      test(`a Meraki that accepts only the ${scheme === 'bearer' ? 'Authorization: Bearer' : 'X-Cisco-Meraki-API-Key'} scheme still works`, async () => {
        sim.authSchemes = scheme;
        assert.equal((await provider.check(ctx)).ok, true);
        assert.equal((await provider.fetchStatus(ctx)).assets.length, 2_500);
        const call = sim.requests.at(-1)!;
        assert.equal(call.headers.authorization, `Bearer ${sim.apiKey}`);
        assert.equal(call.headers['x-cisco-meraki-api-key'], sim.apiKey);
      });
    }

    test('bad key → ok:false without the key in the detail', async () => {
      const result = await provider.check(ctxFor(sim.apiUrl, 'deadbeef-wrong', sim.organizationId));
      assert.equal(result.ok, false);
      assert.match(result.detail, /rejected the API key/);
      assert.equal(result.reason, 'auth');
      assert.doesNotMatch(result.detail, /deadbeef/);
    });

    test('unknown organization → ok:false (404)', async () => {
      const result = await provider.check(ctxFor(sim.apiUrl, sim.apiKey, '999999'));
      assert.equal(result.ok, false);
      assert.equal(result.detail, 'Meraki organization 999999 not found, or this API key has no access to it');
      assert.equal(result.reason, 'not_found');
    });

    test('API disabled for the organization → ok:false', async () => {
      sim.data.organization.api.enabled = false;
      const result = await provider.check(ctx);
      assert.equal(result.ok, false);
      assert.match(result.detail, /API access is disabled/);
      assert.equal(result.reason, 'auth');
    });

    test('unreachable (closed port) → ok:false', async () => {
      const other = await startMerakiSimulator();
      const url = other.apiUrl;
      await other.close();
      const result = await provider.check(ctxFor(url, 'k', '1'));
      assert.equal(result.ok, false);
      assert.match(result.detail, /unreachable/);
    });
  });

  describe('fetchStatus', () => {
    test('2,500 devices over 3 pages (perPage 1000, Link rel=next), statuses mapped', async () => {
      const report = await provider.fetchStatus(ctx);
      const pages = pagesOf(sim, '/devices/statuses');
      assert.equal(pages.length, 3);
      assert.equal(pages[0]!.query.get('perPage'), '1000');
      assert.equal(pages[0]!.query.get('startingAfter'), null);
      assert.ok(pages[1]!.query.get('startingAfter'), 'second page follows the next link');
      assert.equal(report.assets.length, 2_500);
      assert.equal(new Set(report.assets.map((a) => a.external_id)).size, 2_500);

      const count = (s: string) => sim.data.devices.filter((d) => d.status === s).length;
      const [online, alerting, offline, dormant] = ['online', 'alerting', 'offline', 'dormant'].map(count) as [number, number, number, number];
      assert.ok(alerting > 0 && offline > 0 && dormant > 0);
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, `2500 devices: ${online} online, ${alerting} alerting, ${offline} offline, ${dormant} dormant`);
      assert.equal(report.metrics.uptime, null);
      assert.equal(typeof report.metrics.response_time_avg, 'number');
      assert.equal(report.assets.filter((a) => a.status === 'warning').length, alerting);
      assert.equal(report.assets.filter((a) => a.status === 'offline').length, offline + dormant);

      const raw = sim.data.devices[0]!;
      assert.deepEqual(report.assets.find((a) => a.external_id === raw.serial), {
        external_id: raw.serial,
        name: raw.name,
        kind: 'wireless',
        status: 'online',
        detail: { model: raw.model, networkId: raw.networkId, lanIp: raw.lanIp, lastReportedAt: raw.lastReportedAt, meraki_status: 'online' },
      });
      const unnamed = sim.data.devices[7]!;
      assert.equal(unnamed.name, null);
      assert.equal(report.assets.find((a) => a.external_id === unnamed.serial)!.name, unnamed.serial);
      const dormantDevice = sim.data.devices.find((d) => d.status === 'dormant')!;
      assert.equal(report.assets.find((a) => a.external_id === dormantDevice.serial)!.status, 'offline');
    });

    test('status rule: all online → online; more than half offline → alert; none → warning', async () => {
      sim.data.devices = Array.from({ length: 10 }, (_, i) => merakiDevice(i, 'online'));
      let report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'online');
      assert.equal(report.summary, '10 devices: 10 online');
      assert.equal(pagesOf(sim, '/devices/statuses').length, 1);

      for (let i = 0; i < 5; i++) sim.data.devices[i]!.status = 'offline';
      assert.equal((await provider.fetchStatus(ctx)).status, 'warning', 'exactly half offline is not more than half');
      sim.data.devices[5]!.status = 'dormant';
      report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'alert');
      assert.equal(report.summary, '10 devices: 4 online, 5 offline, 1 dormant');

      sim.data.devices = [];
      report = await provider.fetchStatus(ctx);
      assert.equal(report.status, 'warning');
      assert.equal(report.summary, 'no devices in Meraki organization 549236');
    });

    test('wrong key → auth; unknown org → not_found', async () => {
      await rejectsWith(provider.fetchStatus(ctxFor(sim.apiUrl, 'nope', sim.organizationId)), 'auth', /Invalid API key/);
      await rejectsWith(provider.fetchStatus(ctxFor(sim.apiUrl, sim.apiKey, '42')), 'not_found');
    });

    test('Authorization: Bearer is accepted by the simulator too', async () => {
      const res = await request(`${sim.apiUrl}/organizations/${sim.organizationId}`, { headers: { authorization: `Bearer ${sim.apiKey}` } });
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as any).name, 'Acme Corp');
      const bad = await request(`${sim.apiUrl}/organizations/${sim.organizationId}`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(await bad.body.json(), { errors: ['Invalid API key'] });
    });

    test('429 with Retry-After (injected) is retried and succeeds', async () => {
      sim.faults.rateLimit = { count: 1, retryAfterSeconds: 1 };
      const started = Date.now();
      assert.equal((await provider.fetchStatus(ctx)).assets.length, 2_500);
      assert.ok(Date.now() - started >= 900);
    });

    test('503 retried then succeeds; persistent 500 → vendor_error', async () => {
      sim.faults.status = { code: 503, count: 2 };
      assert.equal((await provider.fetchStatus(ctx)).assets.length, 2_500);
      sim.faults.status = { code: 500, count: 10 };
      await rejectsWith(provider.fetchStatus(ctx), 'vendor_error', /HTTP 500/);
    });

    test('a redirect on the same host (curl -L, as Meraki\'s docs call it) is followed with the key; POST keeps its body on 307', async () => {
      sim.faults.redirect = { code: 308, count: 1 };
      assert.equal((await provider.fetchStatus(ctx)).assets.length, 2_500);
      const [moved, again] = sim.requests;
      assert.equal(again!.path, moved!.path);
      assert.equal(again!.query.get('perPage'), '1000');
      assert.equal(again!.headers['x-cisco-meraki-api-key'], sim.apiKey);

      sim.requests.length = 0;
      sim.faults.redirect = { code: 307, count: 1 };
      const writeCtx = ctxFor(sim.apiUrl, sim.apiKey, sim.organizationId);
      const open = sim.data.alerts.find((a) => a.resolvedAt === null && a.dismissedAt === null)!;
      assert.equal(await provider.writeBackResolutions!(writeCtx, [open.id]), 1);
      assert.deepEqual(sim.requests.map((r) => [r.method, JSON.parse(r.body)]), [['POST', { alertIds: [open.id] }], ['POST', { alertIds: [open.id] }]]);
      assert.notEqual(open.dismissedAt, null);
    });

    test('a redirect to another host is not followed (the key stays home) → bad_response naming the host', async () => {
      sim.faults.redirect = { code: 302, count: 1, location: (path) => `http://127.0.0.2:9${path}` };
      await rejectsWith(provider.fetchStatus(ctx), 'bad_response', /redirected \(HTTP 302\) to another host \(http:\/\/127\.0\.0\.2:9\)/);
      sim.faults.redirect = { code: 301, count: 10 };
      await rejectsWith(provider.fetchStatus(ctx), 'bad_response', /more than 5 redirects/);
    });

    test('bad JSON → bad_response; timeout → timeout', async () => {
      sim.faults.badJson = { count: 1 };
      await rejectsWith(provider.fetchStatus(ctx), 'bad_response');
      sim.faults.latencyMs = 400;
      await rejectsWith(provider.fetchStatus(ctxFor(sim.apiUrl, sim.apiKey, sim.organizationId, 150)), 'timeout');
    });
  });

  describe('fetchAlerts', () => {
    test('open alerts only, normalised with the severity table', async () => {
      const alerts = await provider.fetchAlerts!(ctx, Date.now());
      const call = pagesOf(sim, '/assurance/alerts')[0]!;
      assert.equal(call.query.get('perPage'), '300');
      assert.equal(call.query.get('active'), 'true');
      assert.equal(call.query.get('dismissed'), 'false');
      assert.equal(call.query.get('resolved'), 'false');
      assert.equal(call.query.get('tsStart'), null, 'since does not narrow the open alerts');

      const open = sim.data.alerts.filter((a) => a.resolvedAt === null && a.dismissedAt === null);
      assert.equal(alerts.length, 6);
      assert.deepEqual(alerts.map((a) => a.external_id), open.map((a) => a.id), 'ascending by startedAt');
      const first = open[0]!;
      const device = first.scope.devices[0]!;
      assert.deepEqual(alerts[0], {
        external_id: first.id,
        title: 'Appliance is unreachable',
        description: 'The security appliance has not contacted the Meraki cloud for more than 5 minutes.',
        severity: 'critical',
        vendor_severity: 'critical',
        source: 'connectivity/appliance_unreachable',
        time: Date.parse(first.startedAt),
        asset: device.name || device.serial,
      });
      assert.deepEqual(alerts.map((a) => [a.vendor_severity, a.severity]), [
        ['critical', 'critical'], ['critical', 'critical'], ['warning', 'medium'], ['warning', 'medium'], ['informational', 'info'], ['informational', 'info'],
      ]);
      assert.equal(alerts[5]!.asset, null, 'no device in scope');
      assert.equal(alerts[5]!.source, 'insights/wan_usage_spike');
    });

    test('unknown severity → low; unnamed device → serial', async () => {
      const device = merakiDevice(7, 'alerting');
      assert.equal(device.name, null);
      sim.data.alerts = [merakiAlert({ severity: 'major', device, title: '', type: 'vpn_tunnel_down', categoryType: 'connectivity' })];
      const [alert] = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(alert!.severity, 'low');
      assert.equal(alert!.vendor_severity, 'major');
      assert.equal(alert!.title, 'vpn_tunnel_down');
      assert.equal(alert!.asset, device.serial);
    });

    test('700 alerts over 3 pages (perPage 300); ids stable; dismissed/resolved ones disappear', async () => {
      const base = Date.now() - 86_400_000;
      sim.data.alerts = Array.from({ length: 700 }, (_, i) =>
        merakiAlert({ severity: ['critical', 'warning', 'informational'][i % 3]!, device: sim.data.devices[i]!, startedAt: new Date(base + i * 1000).toISOString() }));
      const alerts = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(pagesOf(sim, '/assurance/alerts').length, 3);
      assert.equal(alerts.length, 700);
      assert.deepEqual(alerts.map((a) => a.external_id), sim.data.alerts.map((a) => a.id));

      const again = await provider.fetchAlerts!(ctx, undefined);
      assert.deepEqual(again, alerts);

      sim.data.alerts[0]!.resolvedAt = new Date().toISOString();
      const dismiss = await request(`${sim.apiUrl}/organizations/${sim.organizationId}/assurance/alerts/dismiss`, {
        method: 'POST',
        headers: { 'x-cisco-meraki-api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ alertIds: [sim.data.alerts[1]!.id] }),
      });
      assert.equal(dismiss.statusCode, 204);
      await dismiss.body.dump();
      const later = await provider.fetchAlerts!(ctx, undefined);
      assert.equal(later.length, 698);
      assert.ok(!later.some((a) => a.external_id === sim.data.alerts[0]!.id || a.external_id === sim.data.alerts[1]!.id));
    });

    test('wrong key → auth; bad JSON → bad_response', async () => {
      await rejectsWith(provider.fetchAlerts!(ctxFor(sim.apiUrl, 'nope', sim.organizationId), undefined), 'auth');
      // Scoped to the alerts path so that a late retry from an earlier test cannot use it up.
      sim.faults.pathPrefix = `${new URL(sim.apiUrl).pathname}/organizations/${sim.organizationId}/assurance/alerts`;
      sim.faults.badJson = { count: 1 };
      try {
        await rejectsWith(provider.fetchAlerts!(ctx, undefined), 'bad_response');
      } finally {
        sim.faults.pathPrefix = undefined;
      }
    });
  });

  describe('rate limit (token bucket per organization)', () => {
    test('a full sync of many pages gets through 429s by honouring Retry-After', async () => {
      const limited = await startMerakiSimulator({ rateLimit: { perSecond: 3, burst: 0 } });
      try {
        limited.data.alerts = Array.from({ length: 900 }, (_, i) =>
          merakiAlert({ severity: 'warning', device: limited.data.devices[i]!, startedAt: new Date(Date.now() - 1e6 + i).toISOString() }));
        const c = ctxFor(limited.apiUrl, limited.apiKey, limited.organizationId);
        assert.equal((await provider.check(c)).ok, true);
        const report = await provider.fetchStatus(c);
        const alerts = await provider.fetchAlerts!(c, undefined);
        assert.equal(report.assets.length, 2_500);
        assert.equal(alerts.length, 900);
        assert.ok(limited.throttled > 0, 'the bucket did refuse some requests');
        const refused = limited.requests.length - (1 + 3 + 3);
        assert.equal(refused, limited.throttled);
      } finally {
        await limited.close();
      }
    });

    test('the default bucket (10/s + burst 10) answers 429 with Retry-After and Meraki\'s body', async () => {
      const fresh = await startMerakiSimulator({ deviceCount: 5 });
      try {
        const responses = await Promise.all(Array.from({ length: 25 }, () =>
          request(`${fresh.apiUrl}/organizations/${fresh.organizationId}`, { headers: { 'x-cisco-meraki-api-key': fresh.apiKey } })
            .then(async (r) => ({ status: r.statusCode, retryAfter: r.headers['retry-after'], body: await r.body.json() }))));
        const ok = responses.filter((r) => r.status === 200).length;
        const limited = responses.filter((r) => r.status === 429);
        assert.ok(ok >= 20 && ok <= 21, `ok=${ok}`);
        assert.equal(limited.length, 25 - ok);
        assert.equal(limited[0]!.retryAfter, '1');
        assert.deepEqual(limited[0]!.body, { errors: ['API rate limit exceeded for organization'] });
      } finally {
        await fresh.close();
      }
    });
  });

  describe('simulator pagination and validation', () => {
    test('perPage bounds → 400 {"errors":[…]}; Link has first/prev/next/last absolute URLs', async () => {
      const headers = { 'x-cisco-meraki-api-key': sim.apiKey };
      const tooSmall = await request(`${sim.apiUrl}/organizations/${sim.organizationId}/devices/statuses?perPage=2`, { headers });
      assert.equal(tooSmall.statusCode, 400);
      assert.deepEqual(await tooSmall.body.json(), { errors: ["'perPage' must be an integer between 3 and 1000"] });
      const alertsTooBig = await request(`${sim.apiUrl}/organizations/${sim.organizationId}/assurance/alerts?perPage=301`, { headers });
      assert.equal(alertsTooBig.statusCode, 400);
      await alertsTooBig.body.dump();

      const first = await request(`${sim.apiUrl}/organizations/${sim.organizationId}/devices/statuses?perPage=3&statuses[]=offline`, { headers });
      const items = (await first.body.json()) as any[];
      assert.equal(items.length, 3);
      assert.ok(items.every((d) => d.status === 'offline'));
      const link = String(first.headers.link);
      assert.match(link, /rel=first/);
      assert.match(link, /rel=last/);
      assert.doesNotMatch(link, /rel=prev/);
      const next = nextLink(link)!;
      assert.ok(next.startsWith(`${sim.apiUrl}/organizations/`), next);
      assert.match(next, /statuses%5B%5D=offline/);
      const second = await request(next, { headers });
      const secondItems = (await second.body.json()) as any[];
      assert.ok(secondItems[0].serial > items[2].serial);
      assert.match(String(second.headers.link), /rel=prev/);

      // endingBefore: the page just before a token.
      const before = await request(`${sim.apiUrl}/organizations/${sim.organizationId}/devices/statuses?perPage=3&statuses[]=offline&endingBefore=${encodeURIComponent(secondItems[0].serial)}`, { headers });
      assert.deepEqual(((await before.body.json()) as any[]).map((d) => d.serial), items.map((d) => d.serial));
    });

    test('nextLink parses RFC 5988 headers', () => {
      assert.equal(nextLink('<https://a/x?p=1>; rel=first, <https://a/x?p=2>; rel=next'), 'https://a/x?p=2');
      assert.equal(nextLink('<https://a/x?p=1>; rel="first", <https://a/x?p=3>; rel="next last"'), 'https://a/x?p=3');
      assert.equal(nextLink('<https://a/x?p=1>; rel=first, <https://a/x?p=9>; rel=last'), undefined);
      assert.equal(nextLink(undefined), undefined);
    });

    test('deriveStatus', () => {
      const a = (status: NormalizedAsset['status']): NormalizedAsset => ({ external_id: status, name: status, kind: 'x', status });
      assert.equal(deriveStatus([]), 'warning');
      assert.equal(deriveStatus([a('online'), a('online')]), 'online');
      assert.equal(deriveStatus([a('online'), a('warning')]), 'warning');
      assert.equal(deriveStatus([a('online'), a('offline')]), 'warning');
      assert.equal(deriveStatus([a('offline'), a('offline'), a('online')]), 'alert');
    });
  });
});
