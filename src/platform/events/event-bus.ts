/**
 * What live clients receive; every event names its tenant and the resource it is about. Its type
 * is one of the event names a module declares (`events` in its definition).
 */
export interface LiveEvent {
  type: string;
  tenant_id: string;
  id: string;
  [field: string]: unknown;
}

/**
 * Who hears an event: the listeners of every node (the default), or only this node's, for events
 * that each node derives on its own (a watcher that runs on every node): sent everywhere, those
 * would reach each client once per node.
 */
export type EventReach = 'all-nodes' | 'this-node';

/**
 * Fan-out of live events to the clients of each tenant. In-memory here (one process); with
 * REDIS_URL the same interface also carries them to the other nodes over Redis pub/sub.
 */
export interface EventBus {
  /** Delivers to this node's listeners synchronously, before it returns. */
  publish(event: LiveEvent, reach?: EventReach): void;
  /** Calls `listener` with the tenant's events until the returned function is called. */
  subscribe(tenantId: string, listener: (event: LiveEvent) => void): () => void;
}

export function createMemoryEventBus(): EventBus {
  const listeners = new Map<string, Set<(event: LiveEvent) => void>>();
  return {
    publish(event) {
      for (const listener of listeners.get(event.tenant_id) ?? []) listener(event);
    },
    subscribe(tenantId, listener) {
      let set = listeners.get(tenantId);
      if (set === undefined) {
        set = new Set();
        listeners.set(tenantId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(tenantId);
      };
    },
  };
}
