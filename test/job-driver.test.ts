import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJobDriver } from '../src/platform/jobs/job-driver.ts';

describe('local job driver', () => {
  it('keeps a failing ticker going, backing off while it fails and back to its interval once it succeeds', async () => {
    const logged: unknown[] = [];
    const jobs = createLocalJobDriver({ error: (obj) => logged.push(obj) });
    const calls: number[] = [];
    const failures = 4;
    jobs.every('flaky', 10, async () => {
      calls.push(Date.now());
      if (calls.length <= failures) throw new Error('database down');
    });
    jobs.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    await jobs.stop();

    const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
    // While failing: 20, 40, 80, 160 ms apart (twice as long each time) instead of every 10 ms.
    assert.ok(gaps[failures - 1]! >= 150, `backed off: gaps ${gaps.join(' ')}`);
    // Once healthy, every 10 ms again: still backing off, it would have run at most once more (320 ms later).
    assert.ok(calls.length >= failures + 5, `back to the interval once healthy: gaps ${gaps.join(' ')}`);
    assert.equal(logged.length, failures, 'each failure logged once');
  });

  it('waits on stop for a tick under way (it may be using the database about to be closed)', async () => {
    const jobs = createLocalJobDriver({ error: () => undefined });
    let started = false;
    let finished = false;
    jobs.every('slow', 10, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    jobs.start();
    while (!started) await new Promise((resolve) => setTimeout(resolve, 5));
    await jobs.stop();
    assert.equal(finished, true);
  });
});
