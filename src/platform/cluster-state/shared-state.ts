import { createMemoryEventBus, type EventBus, type LiveEvent } from '../events/event-bus.ts';
import { createMemoryCounterStore, type CounterStore } from './counter-store.ts';
import { createRedisSharedState } from './redis-shared-state.ts';

/** Messages to the other nodes on one channel (never back to the sender). */
export interface NodeBroadcast {
  send(message: string): void;
  receive(listener: (message: string) => void): void;
  /**
   * While this node hears every message sent to it: a number that changes whenever it may have
   * missed one (its subscription was interrupted). Undefined while it cannot hear them (no Redis,
   * Redis away, subscription not yet confirmed). What a receiver cached under one epoch is only as
   * fresh as that epoch is current.
   */
  deliveryEpoch(): number | undefined;
}

export interface SharedStateLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * What the nodes of one deployment share: live events, counters and messages between nodes. Without
 * REDIS_URL it is this process alone (memory, nothing sent); with it, Redis, falling back to this
 * process's own state while Redis is unreachable.
 */
export interface SharedState {
  /** Delivers to this node's listeners at once (synchronously), then to every other node's. */
  bus: EventBus;
  /** One counter store per namespace (`rate`, `login`, …). */
  counters(namespace: string): CounterStore;
  broadcast(channel: string): NodeBroadcast;
  close(): Promise<void>;
}

export function createSharedState(redisUrl: string | undefined, log: SharedStateLog): SharedState {
  if (redisUrl === undefined) return createLocalSharedState();
  const redis = createRedisSharedState(redisUrl, log);
  const counters = new Map<string, CounterStore>();
  return {
    bus: createNodesEventBus(createMemoryEventBus(), redis.broadcast('events')),
    counters: (namespace) => mapOnce(counters, namespace, () => redis.counters(namespace)),
    broadcast: redis.broadcast,
    close: redis.close,
  };
}

export function createLocalSharedState(): SharedState {
  const counters = new Map<string, CounterStore>();
  return {
    bus: createMemoryEventBus(),
    counters: (namespace) => mapOnce(counters, namespace, createMemoryCounterStore),
    broadcast: () => ({ send: () => undefined, receive: () => undefined, deliveryEpoch: () => undefined }),
    close: async () => undefined,
  };
}

/** Events published here reach this node's listeners first, then the other nodes' through the broadcast. */
function createNodesEventBus(local: EventBus, nodes: NodeBroadcast): EventBus {
  nodes.receive((message) => {
    const event = JSON.parse(message) as Partial<LiveEvent> | null;
    // Only what a node publishes: anything else on the channel is dropped, not passed to clients.
    if (typeof event?.type === 'string' && typeof event.tenant_id === 'string' && typeof event.id === 'string') local.publish(event as LiveEvent);
  });
  return {
    publish(event, reach = 'all-nodes') {
      local.publish(event);
      if (reach === 'all-nodes') nodes.send(JSON.stringify(event));
    },
    subscribe: local.subscribe,
  };
}

function mapOnce<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** Log lines in the server log's JSON shape, for the shared state that exists before the HTTP app and its logger. */
export function stderrLog(level: string): SharedStateLog {
  const write = (levelName: 'warn' | 'info', levelNumber: number) => (details: object, message: string) => {
    if (!['trace', 'debug', 'info', 'warn'].includes(level) || (levelName === 'info' && level === 'warn')) return;
    process.stderr.write(`${JSON.stringify({ level: levelNumber, time: Date.now(), pid: process.pid, ...details, msg: message })}\n`);
  };
  return { warn: write('warn', 40), info: write('info', 30) };
}
