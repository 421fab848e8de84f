// The hold of an alert rule, step by step and replayed (no database).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLEAR, advance, compare, replay } from '../src/modules/alert-rules/conditions.ts';

describe('alert rule conditions', () => {
  it('compares with each operator', () => {
    assert.deepEqual(['>', '>=', '<', '<=', '==', '!='].map((op) => compare(5, op as never, 5)), [false, true, false, true, true, false]);
  });

  it('fires once the condition has held for the hold time, dated to that moment, and clears at once', () => {
    let state = advance(CLEAR, true, 1_000, 30_000);
    assert.deepEqual(state, { pending_since: 1_000, firing_since: null });
    state = advance(state, true, 20_000, 30_000);
    assert.equal(state.firing_since, null);
    state = advance(state, true, 40_000, 30_000);
    assert.deepEqual(state, { pending_since: 1_000, firing_since: 31_000 });
    assert.deepEqual(advance(state, true, 50_000, 30_000), state, 'firing stays as it began');
    assert.deepEqual(advance(state, false, 60_000, 30_000), CLEAR);
  });

  it('takes when the condition began from the source when it knows (a line stopped at 08:02)', () => {
    assert.deepEqual(advance(CLEAR, true, 600_000, 300_000, 120_000), { pending_since: 120_000, firing_since: 420_000 });
  });

  it('replays samples into firings, the last one still open', () => {
    const samples = [0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1].map((on, i) => ({ at: i * 60_000, holds: on === 1, value: on * 10 }));
    assert.deepEqual(replay(samples, 120_000), [
      { start: 180_000, end: 240_000, value: 10 },
      { start: 600_000, end: null, value: 10 },
    ]);
  });
});
