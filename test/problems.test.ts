import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { dialects, FOREIGN_CODE, startServer, type ApiResponse, type TestServer } from './helpers/harness.ts';

/** What must never reach a client: driver codes, addresses, SQL, Fastify's own error body. */
const INTERNALS = new RegExp(String.raw`ECONN|57P0|22021|22P02|42P01|\b\d{1,3}(\.\d{1,3}){3}:\d+|\bSELECT\b|\bINSERT\b|audit_logs|${FOREIGN_CODE}|"statusCode"|FST_ERR`);

function assertProblem(response: ApiResponse | { status: number; contentType: string | null; text: string }, status: number): void {
  const contentType = 'headers' in response ? response.headers.get('content-type') : response.contentType;
  assert.equal(response.status, status, response.text);
  assert.match(contentType ?? '', /^application\/problem\+json/, response.text);
  const body = JSON.parse(response.text) as { type: string; title: string; status: number };
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.doesNotMatch(response.text, INTERNALS);
}

/** Sends raw bytes and parses the single HTTP answer. */
function rawRequest(url: string, bytes: string): Promise<{ status: number; contentType: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', text = ''] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, contentType: /^content-type: (.*)$/im.exec(head)?.[1] ?? null, text });
    });
    socket.end(bytes);
  });
}

const dbError = (message: string, code: string) => Object.assign(new Error(message), { code });

for (const dialect of dialects()) {
  describe(`every error answer is problem+json without internals (${dialect})`, () => {
    let server: TestServer;
    let token: string;
    const restore: (() => void)[] = [];

    /** Replaces a service method for one test. */
    function stub<T extends object, K extends keyof T>(target: T, key: K, replacement: T[K]): void {
      const original = target[key];
      target[key] = replacement;
      restore.push(() => (target[key] = original));
    }

    before(async () => {
      server = await startServer(dialect);
      const admin = await server.api.adminToken();
      const tenant = await server.api.createTenant(admin, 'Problems Corp');
      token = (await server.api.createUser(admin, tenant.id, 'problems.admin', 'ADMIN')).token;
    });
    afterEach(() => restore.splice(0).reverse().forEach((undo) => undo()));
    after(() => server.close());

    it('a write whose audit entry cannot be written while the database is down answers 503 with Retry-After', async () => {
      stub(server.services.audit, 'fromRequest', async () => {
        throw dbError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
      });
      const accepted = await server.api.post('/api/v1/tickets', { title: 'audited' }, token);
      assertProblem(accepted, 503);
      assert.ok(accepted.headers.get('retry-after'));
      // The error handler has already answered this one (400) when the audit write fails.
      const rejected = await server.api.post('/api/v1/tickets', { title: '' }, token);
      assertProblem(rejected, 503);
      assert.ok(rejected.headers.get('retry-after'));
    });

    it('an unexpected failure of the audit write is a 500 problem naming no internals', async () => {
      stub(server.services.audit, 'fromRequest', async () => {
        throw dbError('relation "audit_logs" does not exist', '42P01');
      });
      assertProblem(await server.api.post('/api/v1/tickets', { title: 'audited' }, token), 500);
      assertProblem(await server.api.post('/api/v1/tickets', { title: '' }, token), 500);
    });

    it('values the database refuses as input are 400, not 500', async () => {
      for (const [code, message] of [
        ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
        ['22P02', 'invalid input syntax for type uuid: "x"'],
        ['22001', 'value too long for type character varying(200)'],
        ['22003', 'value "99999999999999999999" is out of range for type bigint'],
        ['22007', 'invalid input syntax for type timestamp: "x"'],
        ['22008', 'date/time field value out of range: "2026-13-45"'],
      ]) {
        stub(server.services.tickets, 'list', async () => {
          throw dbError(message!, code!);
        });
        assertProblem(await server.api.get('/api/v1/tickets', token), 400);
      }
    });

    it('a NUL byte in a path parameter is a 400, and the write is still audited', async () => {
      assertProblem(await server.api.post('/api/v1/alerts/%00/ticket', {}, token), 400);
      assertProblem(await server.api.patch('/api/v1/tickets/%00', { title: 'x' }, token), 400);
      assertProblem(await server.api.delete('/api/v1/tickets/a%00b', token), 400);
      assertProblem(await server.api.get('/api/v1/tickets/%00', token), 400);
      const audit = await server.api.get('/api/v1/audit-logs?action=alert.create_ticket', token);
      assert.equal(audit.status, 200, audit.text);
      assert.ok(audit.body.items.some((entry: { outcome: string }) => entry.outcome === 'failure'), audit.text);
    });

    it('malformed percent-encoding and over-long path parameters are problem+json', async () => {
      assertProblem(await server.api.get('/api/v1/tickets/%E0%A4%A', token), 400);
      assertProblem(await server.api.get(`/api/v1/tickets/${'a'.repeat(300)}`, token), 414);
    });

    it('requests the HTTP parser refuses get a problem+json body', async () => {
      assertProblem(await rawRequest(server.url, 'GARBAGE\r\n\r\n'), 400);
      assertProblem(await rawRequest(server.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
    });
  });
}
