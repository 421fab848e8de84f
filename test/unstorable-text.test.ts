import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unstorableText } from '../src/platform/http/validation.ts';
import { dialects, startServer, type TestServer } from './helpers/harness.ts';

/** Text that no supported database stores as given: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates (not UTF-8). */
const UNSTORABLE = { nul: 'Firewall\u0000down', 'lone high surrogate': 'Firewall \uD800', 'lone low surrogate': '\uDC00 down' };

describe('unstorableText', () => {
  it('finds NUL and unpaired surrogates in nested values and keys, and nothing in well-formed text', () => {
    const paths = (data: unknown) => unstorableText(data).map((issue) => issue.instancePath).sort();
    assert.deepEqual(paths({ a: [{ b: 'x\u0000' }, 'ok'], 'k\uD800': 1, 'a/b': ['\uDFFF'] }), ['/a/0/b', '/a~1b/0', '/k\uD800']);
    assert.deepEqual(paths('\uD83D'), ['']);
    assert.deepEqual(paths({ text: '😀 \uD83D\uDE00 \u0001 \uFFFD \uFFFF', n: 1, none: null, list: [true] }), []);
  });

  it('walks deeply nested input without overflowing the stack', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    assert.equal(unstorableText(deep).length, 1);
  });
});

for (const dialect of dialects()) {
  describe(`text no database can store is refused up front (${dialect})`, () => {
    let server: TestServer;
    let admin: string;
    let token: string;
    let ticketId: string;

    before(async () => {
      server = await startServer(dialect);
      admin = await server.api.adminToken();
      const tenant = await server.api.createTenant(admin, 'Text Corp');
      token = (await server.api.createUser(admin, tenant.id, 'text.op', 'OPERATOR')).token;
      ticketId = (await server.api.post('/api/v1/tickets', { title: 'Kept as it is' }, token)).body.id;
    });
    after(() => server.close());

    for (const [name, text] of Object.entries(UNSTORABLE)) {
      it(`answers 400 naming the field for a ${name} in a ticket title or description, and stores nothing`, async () => {
        for (const [field, body] of [['title', { title: text }], ['description', { title: 'Fine', description: text }]] as const) {
          const created = await server.api.post('/api/v1/tickets', body, token);
          assert.equal(created.status, 400, `${field}: ${created.text}`);
          assert.equal(created.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          assert.deepEqual(created.body.errors.map((e: { field: string }) => e.field), [field]);
          const updated = await server.api.patch(`/api/v1/tickets/${ticketId}`, body, token);
          assert.equal(updated.status, 400, `${field}: ${updated.text}`);
          const comment = await server.api.post(`/api/v1/tickets/${ticketId}/comments`, { body: text }, token);
          assert.equal(comment.status, 400, comment.text);
        }
        const tickets = await server.api.get('/api/v1/tickets', token);
        assert.deepEqual(tickets.body.items.map((t: { title: string }) => t.title), ['Kept as it is']);
        const ticket = await server.api.get(`/api/v1/tickets/${ticketId}`, token);
        assert.equal(ticket.body.description, '');
        assert.deepEqual(ticket.body.comments, []);
      });
    }

    it('answers 400 for NUL in a query string or a path parameter', async () => {
      const search = await server.api.get('/api/v1/tickets?q=%00', token);
      assert.equal(search.status, 400, search.text);
      assert.deepEqual(search.body.errors.map((e: { field: string }) => e.field), ['q']);
      assert.equal((await server.api.get('/api/v1/tickets?q=a%00b', token)).status, 400);
      const byId = await server.api.get('/api/v1/tickets/%00', token);
      assert.equal(byId.status, 400, byId.text);
    });

    it('audits a refused write whose path holds NUL, with the character replaced', async () => {
      const response = await server.api.patch('/api/v1/tickets/bad%00id', { title: 'x' }, token);
      assert.equal(response.status, 400, response.text);
      const audit = await server.api.get('/api/v1/audit-logs?action=ticket.update&outcome=failure', admin);
      assert.equal(audit.status, 200, audit.text);
      assert.ok(audit.body.items.some((e: { resource_id: string }) => e.resource_id === 'bad\uFFFDid'), audit.text);
    });

    it('still stores every other character, including control characters and astral-plane text', async () => {
      const title = 'Tab\there, bell \u0007, emoji 😀, CJK 防火墙, RTL \u202Eabc';
      const created = await server.api.post('/api/v1/tickets', { title, description: 'line\r\nbreak \uFFFD' }, token);
      assert.equal(created.status, 201, created.text);
      const read = await server.api.get(`/api/v1/tickets/${created.body.id}`, token);
      assert.equal(read.body.title, title);
      assert.equal(read.body.description, 'line\r\nbreak \uFFFD');
      assert.equal((await server.api.get(`/api/v1/tickets?q=${encodeURIComponent('防火墙')}`, token)).body.items.length, 1);
    });
  });
}
