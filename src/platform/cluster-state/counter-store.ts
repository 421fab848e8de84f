/**
 * Counters that limit what a client may do: the request rate limit (fixed windows) and the sign-in
 * throttle (sliding windows of recorded attempts). In memory for one process; in Redis when every
 * node must count together (redis-shared-state.ts).
 */
export interface CounterStore {
  /** Counts one hit on `key` in its fixed window of `windowMs`; the count so far and the time left in the window. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /**
   * In one atomic step: when every key holds fewer than its `max` entries within its sliding window,
   * records `member` at `now` under each key and answers 0; otherwise records nothing and answers
   * how long until the fullest key frees a place.
   */
  reserve(limits: readonly SlidingLimit[], member: string, now: number): Promise<number>;
  /** Takes `member` back from these keys. */
  remove(keys: readonly string[], member: string): Promise<void>;
  /** Forgets everything recorded under `key`. */
  clear(key: string): Promise<void>;
}

export interface SlidingLimit {
  key: string;
  max: number;
  windowMs: number;
}

/** Beyond this many keys the oldest is dropped, so a flood of addresses cannot exhaust memory. */
const MAX_TRACKED_KEYS = 100_000;

interface Entry {
  at: number;
  member: string;
}

export function createMemoryCounterStore(): CounterStore {
  const windows = new Map<string, { count: number; startedAt: number }>();
  const logs = new Map<string, Entry[]>();

  function track<V>(map: Map<string, V>, key: string, value: V): void {
    if (!map.has(key) && map.size >= MAX_TRACKED_KEYS) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  function recent(key: string, windowMs: number, now: number): Entry[] {
    const entries = (logs.get(key) ?? []).filter((entry) => entry.at > now - windowMs);
    if (entries.length === 0) logs.delete(key);
    else logs.set(key, entries);
    return entries;
  }

  /** Synchronous from the check to the record, so no other reservation can come in between. */
  function reserve(limits: readonly SlidingLimit[], member: string, now: number): number {
    let waitMs = 0;
    const current = limits.map(({ key, max, windowMs }) => {
      const entries = recent(key, windowMs, now);
      if (entries.length >= max) waitMs = Math.max(waitMs, entries[entries.length - max]!.at + windowMs - now);
      return entries;
    });
    if (waitMs > 0) return waitMs;
    limits.forEach(({ key }, i) => track(logs, key, current[i]!.concat({ at: now, member })));
    return 0;
  }

  return {
    async hit(key, windowMs) {
      const now = Date.now();
      let window = windows.get(key);
      if (window === undefined || window.startedAt + windowMs <= now) {
        window = { count: 0, startedAt: now };
        track(windows, key, window);
      }
      window.count += 1;
      return { count: window.count, resetInMs: window.startedAt + windowMs - now };
    },
    reserve: async (limits, member, now) => reserve(limits, member, now),
    async remove(keys, member) {
      for (const key of keys) {
        const entries = logs.get(key);
        const index = entries?.findIndex((entry) => entry.member === member) ?? -1;
        if (index >= 0) entries!.splice(index, 1);
      }
    },
    async clear(key) {
      logs.delete(key);
    },
  };
}
