/**
 * Brute-force protection for login. Failures are counted in sliding windows under three keys:
 *  - account + IP: a few guesses, then wait a few minutes (the real user at another IP is unaffected);
 *  - IP: one address guessing many accounts;
 *  - account: many addresses guessing one account (a cap that only a distributed attack reaches).
 * Every block ends by itself when its window slides, so nobody is locked out for good.
 * State is per process; on a scale-out deployment each node counts on its own (documented).
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

export interface LoginThrottle {
  /** Seconds to wait before trying again, or 0 when the attempt may go ahead. */
  retryAfterSeconds(account: string, ip: string, now?: number): number;
  recordFailure(account: string, ip: string, now?: number): void;
  recordSuccess(account: string, ip: string): void;
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

  return {
    retryAfterSeconds(account, ip, now = Date.now()) {
      let wait = 0;
      for (const [rule, key] of keysFor(account, ip)) {
        const times = recent(key, rule.windowMs, now);
        if (times.length >= rule.maxFailures) {
          const oldestThatCounts = times[times.length - rule.maxFailures]!;
          wait = Math.max(wait, oldestThatCounts + rule.windowMs - now);
        }
      }
      return Math.ceil(wait / 1000);
    },

    recordFailure(account, ip, now = Date.now()) {
      if (failures.size > MAX_TRACKED_KEYS) failures.delete(failures.keys().next().value as string);
      for (const [rule, key] of keysFor(account, ip)) {
        const times = recent(key, rule.windowMs, now);
        times.push(now);
        failures.set(key, times.slice(-rule.maxFailures));
      }
    },

    recordSuccess(account, ip) {
      failures.delete(`ai|${account}|${ip}`);
    },
  };
}
