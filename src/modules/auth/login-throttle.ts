import { randomUUID } from 'node:crypto';
import { createMemoryCounterStore, type CounterStore, type SlidingLimit } from '../../platform/cluster-state/counter-store.ts';

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
 * The counts live in a counter store: this process's memory, or Redis shared by every node
 * (REDIS_URL), where the reservation is one atomic script.
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

export function createLoginThrottle(store: CounterStore = createMemoryCounterStore()): LoginThrottle {
  const accountIpKey = (account: string, ip: string) => `ai|${account}|${ip}`;
  const keysFor = (account: string, ip: string): SlidingLimit[] =>
    RULES.map((rule) => ({
      key: rule.name === 'ip' ? `ip|${ip}` : rule.name === 'account' ? `a|${account}` : accountIpKey(account, ip),
      max: rule.maxFailures,
      windowMs: rule.windowMs,
    }));

  return {
    async reserve(account, ip, now = Date.now()) {
      const limits = keysFor(account, ip);
      const member = randomUUID();
      const waitMs = await store.reserve(limits, member, now);
      if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
      const withdraw = () => store.remove(limits.map((limit) => limit.key), member);
      return {
        allowed: true,
        attempt: {
          withdraw,
          async succeeded() {
            await withdraw();
            await store.clear(accountIpKey(account, ip));
          },
        },
      };
    },
  };
}
