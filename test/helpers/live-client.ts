import WebSocket from 'ws';
import type { TestServer } from './harness.ts';

export type LiveEvent = Record<string, unknown>;

/** A client of the live feed: every event it received, and a way to wait for one. */
export interface LiveClient {
  events: LiveEvent[];
  socket: WebSocket;
  waitFor(predicate: (event: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>;
}

/** Opens the live feed; resolves once the server said hello. */
export function connectLive(server: Pick<TestServer, 'url'>, token: string, headers: Record<string, string> = {}): Promise<LiveClient> {
  const url = `${server.url.replace('http', 'ws')}/api/v1/live?access_token=${token}`;
  const socket = new WebSocket(url, { headers });
  const events: LiveEvent[] = [];
  const waiters: { predicate: (e: LiveEvent) => boolean; resolve: (e: LiveEvent) => void }[] = [];
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as LiveEvent;
    events.push(event);
    for (const waiter of [...waiters]) if (waiter.predicate(event)) waiter.resolve(event);
  });
  const client: LiveClient = {
    events,
    socket,
    waitFor(predicate, timeoutMs = 5000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event; got ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ predicate, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    socket.once('error', reject);
    void client.waitFor((e) => e.type === 'hello').then(() => resolve(client), reject);
  });
}
