/**
 * Half-open time spans `[start, end)` in epoch ms. A *span set* is sorted, with no two spans
 * overlapping or touching and none empty; `unionOf` makes one from any spans.
 */
export interface Span {
  start: number;
  end: number;
}

export function unionOf(spans: Iterable<Span>): Span[] {
  const sorted = [...spans].filter((span) => span.end > span.start).sort((a, b) => a.start - b.start);
  const set: Span[] = [];
  for (const { start, end } of sorted) {
    const last = set.at(-1);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else set.push({ start, end });
  }
  return set;
}

/** Index of the first span of the set that ends after `instant`. */
function firstEndingAfter(set: readonly Span[], instant: number): number {
  let low = 0;
  let high = set.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (set[middle]!.end <= instant) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The parts of the set inside `[start, end)`. */
export function clipSet(set: readonly Span[], start: number, end: number): Span[] {
  const parts: Span[] = [];
  for (let i = firstEndingAfter(set, start); i < set.length && set[i]!.start < end; i++) {
    parts.push({ start: Math.max(start, set[i]!.start), end: Math.min(end, set[i]!.end) });
  }
  return parts;
}

/** Milliseconds of the set inside `[start, end)`. */
export function lengthWithin(set: readonly Span[], start: number, end: number): number {
  return clipSet(set, start, end).reduce((sum, part) => sum + part.end - part.start, 0);
}

export function setContains(set: readonly Span[], instant: number): boolean {
  const span = set[firstEndingAfter(set, instant)];
  return span !== undefined && span.start <= instant;
}

export function intersectSets(a: readonly Span[], b: readonly Span[]): Span[] {
  return a.flatMap((span) => clipSet(b, span.start, span.end));
}

export function subtractSets(from: readonly Span[], remove: readonly Span[]): Span[] {
  const result: Span[] = [];
  for (const span of from) {
    let cursor = span.start;
    for (const hole of clipSet(remove, span.start, span.end)) {
      if (hole.start > cursor) result.push({ start: cursor, end: hole.start });
      cursor = hole.end;
    }
    if (span.end > cursor) result.push({ start: cursor, end: span.end });
  }
  return result;
}
