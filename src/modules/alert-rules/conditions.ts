/**
 * What a rule's condition means over time, apart from where its values come from: a comparison,
 * and the hold (`for`) that turns a condition that keeps holding into a firing rule. The
 * evaluator steps it once per evaluation; the preview replays a day of samples through the same step.
 */
export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export function compare(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
    case '==': return value === threshold;
    case '!=': return value !== threshold;
  }
}

export interface HoldState {
  /** Since when the condition has held; null while it does not. */
  pending_since: number | null;
  /** When the rule started firing (the condition had held for the hold time); null while not firing. */
  firing_since: number | null;
}

export const CLEAR: HoldState = { pending_since: null, firing_since: null };

/**
 * The state after an evaluation at `now`. `since` is when the condition began if the source knows
 * it (a line stopped at 08:02), else the first evaluation that saw it is taken. A rule fires once
 * the condition has held for `holdMs`, dated to the moment it had; it stops as soon as it clears.
 */
export function advance(previous: HoldState, holds: boolean, now: number, holdMs: number, since?: number): HoldState {
  if (!holds) return CLEAR;
  const pendingSince = previous.pending_since ?? Math.min(since ?? now, now);
  const firingSince = previous.firing_since ?? (now - pendingSince >= holdMs ? pendingSince + holdMs : null);
  return { pending_since: pendingSince, firing_since: firingSince };
}

export interface Firing {
  start: number;
  /** Null while still firing at the end of the replay. */
  end: number | null;
  /** The value when it started firing. */
  value: number | null;
}

/** Replays samples (oldest first) through `advance`: the firings they would have caused. */
export function replay(samples: Iterable<{ at: number; holds: boolean; value: number | null }>, holdMs: number): Firing[] {
  const firings: Firing[] = [];
  let state = CLEAR;
  for (const sample of samples) {
    const next = advance(state, sample.holds, sample.at, holdMs);
    if (state.firing_since === null && next.firing_since !== null) firings.push({ start: next.firing_since, end: null, value: sample.value });
    if (state.firing_since !== null && next.firing_since === null) firings.at(-1)!.end = sample.at;
    state = next;
  }
  return firings;
}
