import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from './helpers/harness.ts';

/* The README's promise: headers within 10 s, the whole request within 30 s (checked every second). */
const HEADERS_LIMIT_MS = 10_000;
const REQUEST_LIMIT_MS = 30_000;
const TOLERANCE_MS = 2_500;

interface Cut {
  afterMs: number;
  status: number;
  contentType: string | null;
  body: string;
}

/** Opens a connection, sends `head` then one byte of `drip` per second, and reports when and how the server ended it. */
function slowClient(url: string, head: string, drip: string): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    let sent = 0;
    socket.write(head);
    const timer = setInterval(() => {
      if (sent < drip.length && socket.writable) socket.write(drip[sent++]!);
    }, 1_000);
    const giveUp = setTimeout(() => socket.destroy(new Error('the server never cut the connection')), REQUEST_LIMIT_MS + 15_000);
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', (error) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const [responseHead = '', body = ''] = received.split('\r\n\r\n');
      resolve({
        afterMs: Date.now() - started,
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(responseHead)?.[1] ?? 0),
        contentType: /^content-type: (.*)$/im.exec(responseHead)?.[1] ?? null,
        body,
      });
    });
  });
}

describe('request timeouts as documented', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer('sqlite');
  });
  after(() => server.close());

  it(`cuts a client whose headers take longer than ${HEADERS_LIMIT_MS / 1000} s, and one whose body makes the request take longer than ${REQUEST_LIMIT_MS / 1000} s, with 408 problem+json`, { timeout: 60_000 }, async (test) => {
    const [slowHeaders, slowBody] = await Promise.all([
      slowClient(server.url, 'GET /health HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: ' + 'a'.repeat(60)),
      slowClient(server.url, 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n', ' '.repeat(100)),
    ]);
    test.diagnostic(`slow headers cut after ${slowHeaders.afterMs} ms, slow body after ${slowBody.afterMs} ms`);
    for (const [cut, limit] of [[slowHeaders, HEADERS_LIMIT_MS], [slowBody, REQUEST_LIMIT_MS]] as const) {
      assert.ok(cut.afterMs >= limit - 500 && cut.afterMs <= limit + TOLERANCE_MS, `cut after ${cut.afterMs} ms (limit ${limit} ms)`);
      assert.equal(cut.status, 408, cut.body);
      assert.match(cut.contentType ?? '', /^application\/problem\+json/);
      assert.equal(JSON.parse(cut.body).status, 408);
    }
  });
});
