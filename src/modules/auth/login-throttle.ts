/**
 * Brute-force protection for login. Failures are counted in sliding windows under three keys:
 *  - account + IP: a few guesses, then wait a few minutes (the real user at another IP is unaffected);
 *  - IP: one address guessing many accounts;
 *  - account: many addresses guessing one account (a cap that only a distributed attack reaches).
 * Every block ends by itself when its window slides, so nobody is locked out for good.
 *
 * An attempt is counted as a failure before its password is checked, in the same step as the
 * check of the limits: concurrent guesses cannot all pass the check before any of them is counted.
 * The count is taken back when the password turns out right (or the attempt could not be judged).
 * State is per process; on a scale-out deployment each node counts on its own (documented). The
 * interface is asynchronous so that a shared store can implement the same atomic reservation.
 */
interface Rule {
  name: 'account_ip' | 'ip' | 'account';
  maxFailures: number;
  windowMs: number;
}

const RULES: Rule[] = [
  { name: 'account_ip', maxFailures: 5, windowMs: 5 * 60_000 },
  { name: 'ip', maxFailures: 30, windowMs: 15 * 60_000 },
  { name: 'account', maxFailures: 100, windowMs: 15 * 60_000 },
];

const MAX_TRACKED_KEYS = 100_000;

/** A login attempt that counts as a failure until told otherwise. */
export interface LoginAttempt {
  /** The password was right: the attempt is no failure, and this account's failures from this IP are forgiven. */
  succeeded(): Promise<void>;
  /** The attempt could not be judged (an internal error): it does not count. */
  withdraw(): Promise<void>;
}

export type Reservation = { allowed: true; attempt: LoginAttempt } | { allowed: false; retryAfterSeconds: number };

export interface LoginThrottle {
  /** Checks the limits and, when the attempt may go ahead, counts it as a failure in the same step. */
  reserve(account: string, ip: string, now?: number): Promise<Reservation>;
}

export function createLoginThrottle(): LoginThrottle {
  const failures = new Map<string, number[]>();

  const keysFor = (account: string, ip: string): [Rule, string][] =>
    RULES.map((rule) => [rule, rule.name === 'ip' ? `ip|${ip}` : rule.name === 'account' ? `a|${account}` : `ai|${account}|${ip}`]);

  function recent(key: string, windowMs: number, now: number): number[] {
    const times = (failures.get(key) ?? []).filter((t) => t > now - windowMs);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  }

  function forget(key: string, time: number): void {
    const times = failures.get(key);
    const index = times?.indexOf(time) ?? -1;
    if (index >= 0) times!.splice(index, 1);
  }

  /** Synchronous from the check to the count, so no other attempt can come in between. */
  function reserve(account: string, ip: string, now: number): Reservation {
    const keys = keysFor(account, ip);
    let waitMs = 0;
    const windows = keys.map(([rule, key]) => {
      const times = recent(key, rule.windowMs, now);
      if (times.length >= rule.maxFailures) {
        const oldestThatCounts = times[times.length - rule.maxFailures]!;
        waitMs = Math.max(waitMs, oldestThatCounts + rule.windowMs - now);
      }
      return times;
    });
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };

    if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
    keys.forEach(([, key], i) => failures.set(key, windows[i]!.concat(now)));
    const withdraw = async () => {
      for (const [, key] of keys) forget(key, now);
    };
    return {
      allowed: true,
      attempt: {
        withdraw,
        async succeeded() {
          await withdraw();
          failures.delete(`ai|${account}|${ip}`);
        },
      },
    };
  }

  return {
    reserve: async (account, ip, now = Date.now()) => reserve(account, ip, now),
  };
}
