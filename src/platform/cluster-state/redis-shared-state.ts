import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as IoRedis from 'ioredis';
import { createMemoryCounterStore, type CounterStore } from './counter-store.ts';
import type { NodeBroadcast, SharedStateLog } from './shared-state.ts';

const PREFIX = 'sentinel:';
/** A command that takes longer fails and the caller falls back to this node's own state. */
const COMMAND_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 5_000;
/**
 * How often a subscriber that hears proves its connection alive, and how long its PING may take: a
 * connection that died without a reset (a host crash, a dropped flow) would otherwise look alive
 * until TCP keepalive gave up, hours later. A late answer makes the node stop hearing (its caches
 * fall back to their short TTL) but keeps the connection, whose messages still arrive in order once
 * Redis or this node's event loop catches up; only a PING unanswered for SUBSCRIBER_DEAD_MS
 * reconnects, losing what was sent meanwhile.
 */
const SUBSCRIBER_PING_MS = 1_000;
const SUBSCRIBER_PING_TIMEOUT_MS = 2_000;
const SUBSCRIBER_DEAD_MS = 10_000;
/**
 * After a counter command failed, this node counts on its own until Redis answers a PING (tried this
 * often): a frozen or overloaded Redis would otherwise make every request wait out the command timeout.
 */
const COMMANDS_PROBE_MS = 500;

/**
 * Fixed window: the first hit starts it (with its expiry); the answer is the count and the time
 * left. A counter found without an expiry gets one, so no window can last for ever.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

/**
 * Sliding windows as sorted sets of attempts scored by time. ARGV: now, member, then max and window
 * per key. Nothing is recorded unless every key has room, as in the memory store.
 */
const RESERVE_SCRIPT = `
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= max then
    local oldest = redis.call('ZRANGE', key, count - max, count - max, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, ARGV[2 + 2 * i])
end
return 0`;

type ScriptedRedis = IoRedis.Redis & {
  sentinelHit(key: string, windowMs: number): Promise<[number, number]>;
  sentinelReserve(...keysThenArgs: (string | number)[]): Promise<number>;
};

/**
 * Two connections to one Redis: commands (counters, publish) and a subscriber. Redis may go away
 * at any time: commands then fail at once (no offline queue) and each caller falls back to this
 * node's own state, the outage is logged once, and ioredis reconnects with a growing delay (then
 * subscribes again by itself).
 */
export function createRedisSharedState(url: string, log: SharedStateLog) {
  // ioredis is loaded only when a Redis URL is configured.
  const { Redis } = createRequire(import.meta.url)('ioredis') as typeof IoRedis;
  const nodeId = randomUUID();
  let troubleLogged = false;
  let closing = false;
  const retryStrategy = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), MAX_RECONNECT_DELAY_MS);
  // No auto-pipelining: measured twice, it cost more than the writes it saves (bench/README.md).
  const commands = new Redis(url, {
    retryStrategy, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: `sentinel-${nodeId}`,
  }) as ScriptedRedis;
  // Its SUBSCRIBE waits in the offline queue until the first connection; no timeout (it only listens).
  // Subscriptions are renewed on 'ready' below, with their failures handled: ioredis's own renewal
  // leaves a rejected promise unhandled when the connection closes again at once.
  const subscriber = new Redis(url, { retryStrategy, autoResubscribe: false, connectionName: `sentinel-sub-${nodeId}` });
  commands.defineCommand('sentinelHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  commands.defineCommand('sentinelReserve', { lua: RESERVE_SCRIPT });
  const connected = () => commands.status === 'ready';
  let countersSuspended = false;

  /** Logged once until Redis answers again: an outage is one line, not one per request. */
  const onTrouble = (error: Error) => {
    if (troubleLogged || closing) return;
    troubleLogged = true;
    log.warn({ err: error.message }, 'Redis is unreachable or failing: this node counts and delivers on its own until it is back');
  };
  // Either connection coming back ends the logged outage, so the next trouble of either is logged.
  const onReachable = () => {
    if (troubleLogged) log.info({}, 'Redis is reachable again: shared state resumed');
    troubleLogged = false;
  };
  commands.on('ready', () => {
    countersSuspended = false;
    onReachable();
  });
  subscriber.on('ready', onReachable);
  commands.on('error', onTrouble);
  subscriber.on('error', onTrouble);

  const listeners = new Map<string, Set<(message: string) => void>>();
  // Messages are heard while every channel's SUBSCRIBE is confirmed on the subscriber's current
  // connection and its last PING was answered in time. Each time hearing stops, a new epoch begins.
  let epoch = 0;
  let hearing = false;
  let connection = 0;
  let subscribeRequests = 0;
  let confirmedRequest = 0;
  /** The PING in flight on the subscriber's connection, if any, with its two deadlines. */
  let pendingPing: { late: NodeJS.Timeout; dead: NodeJS.Timeout } | undefined;
  let pingLate = false;
  const updateHearing = () => {
    const hears = subscribeRequests > 0 && confirmedRequest === subscribeRequests && !pingLate && subscriber.status === 'ready';
    if (hearing && !hears) epoch += 1;
    hearing = hears;
  };
  const endPing = () => {
    if (pendingPing !== undefined) {
      clearTimeout(pendingPing.late);
      clearTimeout(pendingPing.dead);
    }
    pendingPing = undefined;
    pingLate = false;
  };
  subscriber.on('close', () => {
    // Whatever was sent after the closed connection's last message is lost.
    connection += 1;
    confirmedRequest = 0;
    endPing();
    updateHearing();
  });
  /** (Re)subscribes to every channel; only the latest request names every channel registered so far. */
  const confirmSubscriptions = () => {
    const subscribedOn = connection;
    const request = ++subscribeRequests;
    updateHearing();
    subscriber.subscribe(...listeners.keys()).then(() => {
      if (connection !== subscribedOn) return;
      confirmedRequest = Math.max(confirmedRequest, request);
      updateHearing();
    }, onTrouble);
  };
  // Also while a SUBSCRIBE is unconfirmed: on a connection that died silently it would never be.
  const liveness = setInterval(() => {
    if (subscribeRequests === 0 || subscriber.status !== 'ready' || pendingPing !== undefined) return;
    const ping = {
      late: setTimeout(() => {
        pingLate = true;
        updateHearing();
        onTrouble(new Error('the Redis subscriber did not answer a PING in time'));
      }, SUBSCRIBER_PING_TIMEOUT_MS).unref(),
      // A connection this silent is gone (a dropped flow, a crashed host): connect again.
      dead: setTimeout(() => subscriber.disconnect(true), SUBSCRIBER_DEAD_MS).unref(),
    };
    pendingPing = ping;
    subscriber.ping().then(() => {
      if (pendingPing !== ping) return;
      // Everything sent before the answer has arrived: hearing resumes on the same connection.
      if (pingLate) onReachable();
      endPing();
      updateHearing();
    }, (error: unknown) => {
      if (pendingPing !== ping) return;
      onTrouble(error instanceof Error ? error : new Error(String(error)));
      subscriber.disconnect(true);
    });
  }, SUBSCRIBER_PING_MS);
  liveness.unref();
  subscriber.on('ready', () => {
    if (listeners.size > 0) confirmSubscriptions();
  });
  subscriber.on('message', (channel: string, raw: string) => {
    let envelope: { from: string; message: string };
    try {
      envelope = JSON.parse(raw) as typeof envelope;
    } catch {
      return;
    }
    if (envelope.from === nodeId) return;
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(envelope.message);
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error), channel }, 'a shared-state message could not be handled');
      }
    }
  });

  /** Counts on this node until a PING on the command connection is answered (or it reconnects). */
  let suspensions = 0;
  const suspendCounters = () => {
    if (countersSuspended) return;
    countersSuspended = true;
    // A probe of an earlier suspension must not end this one.
    const suspension = ++suspensions;
    const probe = () => {
      if (!countersSuspended || suspension !== suspensions || closing) return;
      commands.ping().then(() => {
        if (suspension !== suspensions) return;
        countersSuspended = false;
        onReachable();
      }, () => setTimeout(probe, COMMANDS_PROBE_MS).unref());
    };
    setTimeout(probe, COMMANDS_PROBE_MS).unref();
  };

  /** Runs `shared` against Redis, or `local` when Redis is not there (or fails on the way). */
  async function withFallback<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (!connected() || countersSuspended) return local();
    try {
      return await shared();
    } catch (error) {
      // A slow or failing command: this one and those after it count here until Redis answers again.
      onTrouble(error instanceof Error ? error : new Error(String(error)));
      suspendCounters();
      return local();
    }
  }

  return {
    counters(namespace: string): CounterStore {
      const local = createMemoryCounterStore();
      const key = (name: string) => `${PREFIX}${namespace}:${name}`;
      return {
        hit: (name, windowMs) => withFallback(async () => {
          const [count, ttl] = await commands.sentinelHit(key(name), windowMs);
          return { count, resetInMs: ttl };
        }, () => local.hit(name, windowMs)),
        reserve: (limits, member, now) => withFallback(
          () => commands.sentinelReserve(limits.length, ...limits.map((limit) => key(limit.key)), now, member, ...limits.flatMap((limit) => [limit.max, limit.windowMs])),
          () => local.reserve(limits, member, now),
        ),
        remove: (names, member) => withFallback(async () => {
          await commands.multi(names.map((name) => ['zrem', key(name), member])).exec();
        }, () => local.remove(names, member)),
        clear: (name) => withFallback(async () => {
          await commands.del(key(name));
        }, () => local.clear(name)),
      };
    },

    broadcast(name: string): NodeBroadcast {
      const channel = `${PREFIX}${name}`;
      return {
        send(message) {
          if (!connected()) return;
          // Lost while Redis is away: the other nodes' fallbacks bound what that costs (documented).
          commands.publish(channel, JSON.stringify({ from: nodeId, message })).catch(onTrouble);
        },
        receive(listener) {
          let set = listeners.get(channel);
          if (set === undefined) {
            set = new Set();
            listeners.set(channel, set);
            confirmSubscriptions();
          }
          set.add(listener);
        },
        deliveryEpoch: () => (hearing ? epoch : undefined),
      };
    },

    /** Waits for what was sent (a last invalidation from a CLI command), then disconnects. */
    async close(): Promise<void> {
      closing = true;
      clearInterval(liveness);
      endPing();
      subscriber.disconnect();
      if (connected()) await commands.quit().catch(() => undefined);
      commands.disconnect();
    },
  };
}
