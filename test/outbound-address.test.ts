// Outgoing calls on a client's behalf never reach link-local (cloud metadata), multicast or
// unspecified addresses, even through a host name that resolves to one (docs/decisions.md).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { refusingForbiddenAddresses } from '../src/platform/net/outbound-address.ts';
import { createVendorHttp, ProviderError } from '../src/modules/integrations/vendor-http.ts';

type Answer = { error: Error | null; address: unknown };
const lookupWith = (address: string | { address: string; family: number }[]) =>
  new Promise<Answer>((resolve) => {
    const lookup = refusingForbiddenAddresses((_host, _options, callback) => callback(null, address, 4));
    lookup('vendor.example', { all: typeof address !== 'string' }, (error, found) => resolve({ error, address: found }));
  });

describe('outgoing addresses', () => {
  let server: ReturnType<typeof createServer>;
  let port: number;
  before(async () => {
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a host name that resolves to a forbidden address, in either answer form', async () => {
    assert.match((await lookupWith('169.254.169.254')).error?.message ?? '', /vendor\.example resolves to a link-local/);
    assert.ok((await lookupWith([{ address: '10.0.0.5', family: 4 }, { address: 'fe80::1', family: 6 }])).error);
    assert.deepEqual(await lookupWith([{ address: '10.0.0.5', family: 4 }]), { error: null, address: [{ address: '10.0.0.5', family: 4 }] });
    assert.deepEqual(await lookupWith('127.0.0.1'), { error: null, address: '127.0.0.1' });
  });

  it('still reaches a vendor through a host name (the real resolver behind the guard)', async () => {
    const http = createVendorHttp({ baseUrl: `http://localhost:${port}`, verifyTls: true, timeoutMs: 3000, maxRetries: 0 });
    const answer = await http.request({ path: '/api/health' });
    assert.deepEqual(answer.json(), { ok: true });
  });

  it('refuses a vendor call to a literal forbidden address, without connecting', async () => {
    for (const baseUrl of ['http://169.254.169.254/latest/', 'http://[::ffff:a9fe:a9fe]/', 'http://0.0.0.0:1/']) {
      const http = createVendorHttp({ baseUrl, verifyTls: true, timeoutMs: 3000, maxRetries: 0 });
      await assert.rejects(http.request({ path: '/meta-data' }), (error: unknown) => error instanceof ProviderError && error.kind === 'config', baseUrl);
    }
  });
});
