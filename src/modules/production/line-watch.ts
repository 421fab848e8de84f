/**
 * Live line state for the WebSocket (docs/requirements.md, PRD-5), in the API process where
 * detections are stored and the live clients are connected. Per active line it keeps when output
 * was last seen and the shifts it works, and one deadline: when the line would cross its downtime
 * threshold (or its shift ends). Deadlines sit in one min-heap checked every second, so a silent
 * line is announced within about a second of crossing, without waiting for a detection, and a
 * detection only moves its line's deadline (no timer per detection).
 *
 * Events: `line.stopped` (silent past its threshold during a shift; checked against the stored
 * state first, so another node's or a client's own writes count), `line.started` (output again),
 * `downtime.updated` (a stop began or ended, or was classified) and, every minute,
 * `production.counts` (each line's counts by area type in the last complete minute).
 */
import type { EventBus, EventReach, LiveEvent } from '../../platform/events/event-bus.ts';
import { toIso } from '../../platform/ids.ts';
import { DAY_MS, MINUTE_MS } from './local-time.ts';
import { allLines } from './plant-context.ts';
import type { PlantTenants } from './plant-tenants.ts';
import { lineShifts, type ProductionService } from './production.service.ts';
import { type ShiftDefinition, type ShiftInstance, shiftInstances } from './shift-calendar.ts';

const TICK_MS = 1_000;
/** Lines, thresholds and shifts are read again this often (and a line seen for the first time at once). */
const RELOAD_MS = 5 * MINUTE_MS;

interface WatchedLine {
  tenantId: string;
  lineId: number;
  thresholdMs: number;
  timeZone: string;
  shifts: ShiftDefinition[];
  lastOutputAt: number | null;
  /** The start of the shift occurrence the line was announced stopped in; null while it runs. */
  stoppedIn: number | null;
  /** When the line must be looked at next. */
  due: number;
  /** The earliest time it sits in the heap at (undefined: not in the heap). */
  queuedAt: number | undefined;
  removed: boolean;
}

interface LineSnapshot {
  lineId: number;
  thresholdMs: number;
  timeZone: string;
  shifts: ShiftDefinition[];
  lastOutputAt: number | null;
}

/** A binary min-heap of deadlines. */
class DeadlineHeap {
  private readonly items: { at: number; line: WatchedLine }[] = [];

  push(at: number, line: WatchedLine): void {
    const items = this.items;
    items.push({ at, line });
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  /** The earliest item if it is due by `now`. */
  popDue(now: number): { at: number; line: WatchedLine } | undefined {
    const items = this.items;
    if (items.length === 0 || items[0]!.at > now) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left]!.at < items[smallest]!.at) smallest = left;
        if (right < items.length && items[right]!.at < items[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

export interface LineWatchDeps {
  production: Pick<ProductionService, 'access'>;
  /** Also heard: the `line.started` other nodes announce, so that this node's view of the line follows. */
  bus: Pick<EventBus, 'publish' | 'subscribe'>;
  /** The tenants whose lines are watched from the start; others are picked up at their first detection. */
  plantTenants: PlantTenants;
  clock?: () => number;
  log?: { error(obj: unknown, msg: string): void };
}

export function createLineWatch(deps: LineWatchDeps) {
  const clock = deps.clock ?? Date.now;
  const { withPlant } = deps.production.access;
  const lines = new Map<string, WatchedLine>();
  const heap = new DeadlineHeap();
  const timers: NodeJS.Timeout[] = [];
  let checking = false;
  let lastCountedMinute: number | undefined;
  /** Per watched tenant: stops listening to its events. */
  const listening = new Map<string, () => void>();
  const keyOf = (tenantId: string, lineId: number) => `${tenantId}\u0000${lineId}`;
  const logError = (error: unknown, msg: string) => deps.log?.error({ err: error }, msg);

  function schedule(line: WatchedLine, due: number): void {
    line.due = due;
    if (line.queuedAt === undefined || due < line.queuedAt) {
      line.queuedAt = due;
      heap.push(due, line);
    }
  }

  /** The occurrence `at` falls in, and the next one to start. */
  function occurrencesAround(line: Pick<WatchedLine, 'shifts' | 'timeZone'>, at: number): { current?: ShiftInstance; next?: ShiftInstance } {
    const occurrences = shiftInstances(line.shifts, line.timeZone, at - DAY_MS, at + 2 * DAY_MS);
    return { current: occurrences.find((o) => o.start <= at && at < o.end), next: occurrences.find((o) => o.start > at) };
  }

  /** The stored state of the tenant's active lines (of one line, if given): settings, shifts, last output of the current shift. */
  async function readLines(tenantId: string, lineId?: number): Promise<LineSnapshot[]> {
    const now = clock();
    return withPlant(tenantId, async (plant) => {
      const snapshots: LineSnapshot[] = [];
      for (const line of await allLines(plant)) {
        if (!line.is_active || (lineId !== undefined && line.line_id !== lineId)) continue;
        const shifts = await lineShifts(plant, line.line_id);
        const { current } = occurrencesAround({ shifts, timeZone: line.timezone }, now);
        const lastOutputAt = current === undefined ? null : (await plant.store.shiftStates(line.line_id, current.start, current.start + 1)).get(current.start) ?? null;
        snapshots.push({ lineId: line.line_id, thresholdMs: line.downtime_threshold_seconds * 1000, timeZone: line.timezone, shifts, lastOutputAt });
      }
      return snapshots;
    });
  }

  /**
   * Another node stored output for a line this node saw stopped, and announced it started: this
   * node's watch takes the output in, so it counts the line running (and announces its next stop).
   */
  function followStarted(event: LiveEvent): void {
    if (event.type !== 'line.started' || typeof event.line_id !== 'number' || typeof event.at !== 'string') return;
    const line = lines.get(keyOf(event.tenant_id, event.line_id));
    const at = Date.parse(event.at);
    if (line === undefined || Number.isNaN(at)) return;
    line.lastOutputAt = Math.max(line.lastOutputAt ?? at, at);
    if (line.stoppedIn === null) return;
    line.stoppedIn = null;
    schedule(line, at + line.thresholdMs);
  }

  function stopListening(tenantId: string): void {
    listening.get(tenantId)?.();
    listening.delete(tenantId);
  }

  /** Takes in what was read: new lines are watched (a line already past its threshold counts as announced), gone ones dropped. */
  function apply(tenantId: string, snapshots: LineSnapshot[], complete: boolean): void {
    const now = clock();
    if (!listening.has(tenantId)) listening.set(tenantId, deps.bus.subscribe(tenantId, followStarted));
    const seen = new Set<string>();
    for (const snapshot of snapshots) {
      const key = keyOf(tenantId, snapshot.lineId);
      seen.add(key);
      let line = lines.get(key);
      if (line === undefined) {
        line = { tenantId, lineId: snapshot.lineId, thresholdMs: 0, timeZone: '', shifts: [], lastOutputAt: null, stoppedIn: null, due: now, queuedAt: undefined, removed: false };
        lines.set(key, line);
        const { current } = occurrencesAround(snapshot, now);
        if (current !== undefined && now - Math.max(snapshot.lastOutputAt ?? current.start, current.start) > snapshot.thresholdMs) line.stoppedIn = current.start;
      }
      line.thresholdMs = snapshot.thresholdMs;
      line.timeZone = snapshot.timeZone;
      line.shifts = snapshot.shifts;
      line.lastOutputAt = Math.max(line.lastOutputAt ?? -Infinity, snapshot.lastOutputAt ?? -Infinity);
      if (line.lastOutputAt === -Infinity) line.lastOutputAt = null;
      schedule(line, now);
    }
    if (!complete) return;
    for (const [key, line] of lines) {
      if (line.tenantId === tenantId && !seen.has(key)) {
        line.removed = true;
        lines.delete(key);
      }
    }
  }

  async function reload(): Promise<void> {
    const tenants = await deps.plantTenants();
    const current = new Set(tenants.map((tenant) => tenant.tenantId));
    for (const [key, line] of lines) {
      if (!current.has(line.tenantId)) {
        line.removed = true;
        lines.delete(key);
      }
    }
    for (const tenantId of listening.keys()) if (!current.has(tenantId)) stopListening(tenantId);
    for (const { tenantId } of tenants) {
      try {
        apply(tenantId, await readLines(tenantId), true);
      } catch (error) {
        logError(error, 'line watch: reading a tenant\'s lines failed');
      }
    }
  }

  /** What the watch sees on its own ticks, every node's watch sees too: those events stay on this node. */
  function publish(line: WatchedLine, type: string, fields: Record<string, unknown>, reach: EventReach = 'this-node'): void {
    deps.bus.publish({ type, tenant_id: line.tenantId, id: String(line.lineId), line_id: line.lineId, ...fields }, reach);
  }

  /** Looks at a line whose deadline came: announces a stop, or the end of its shift, and sets the next deadline. */
  async function evaluate(line: WatchedLine): Promise<void> {
    let now = clock();
    const { current, next } = occurrencesAround(line, now);
    if (line.stoppedIn !== null && line.stoppedIn !== current?.start) {
      // The shift the stop was in has ended, and the stop with it.
      publish(line, 'downtime.updated', { start: null, end: toIso(now), reason: 'shift_ended' });
      line.stoppedIn = null;
    }
    if (current === undefined) {
      schedule(line, next?.start ?? now + RELOAD_MS);
      return;
    }
    if (line.stoppedIn !== null) {
      schedule(line, current.end);
      return;
    }
    let lastPoint = Math.max(line.lastOutputAt ?? current.start, current.start);
    if (now < lastPoint + line.thresholdMs) {
      schedule(line, Math.min(lastPoint + line.thresholdMs, current.end));
      return;
    }
    // Output may have been stored where this process did not see it (another node, the client's own writers).
    const [stored] = await readLines(line.tenantId, line.lineId);
    if (stored === undefined || line.removed) return;
    line.lastOutputAt = Math.max(line.lastOutputAt ?? -Infinity, stored.lastOutputAt ?? -Infinity);
    if (line.lastOutputAt === -Infinity) line.lastOutputAt = null;
    lastPoint = Math.max(line.lastOutputAt ?? current.start, current.start);
    now = clock();
    if (now < lastPoint + line.thresholdMs) {
      schedule(line, Math.min(lastPoint + line.thresholdMs, current.end));
      return;
    }
    line.stoppedIn = current.start;
    publish(line, 'line.stopped', { since: toIso(lastPoint), threshold_seconds: line.thresholdMs / 1000, shift: { shift_id: current.shift_id, shift_name: current.shift_name, end: toIso(current.end) } });
    publish(line, 'downtime.updated', { start: toIso(lastPoint), end: null });
    schedule(line, current.end);
  }

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      for (let item = heap.popDue(clock()); item !== undefined; item = heap.popDue(clock())) {
        const { line } = item;
        if (line.removed || item.at !== line.queuedAt) continue;
        line.queuedAt = undefined;
        if (line.due > clock()) schedule(line, line.due);
        else {
          try {
            await evaluate(line);
          } catch (error) {
            logError(error, 'line watch: checking a line failed');
            if (line.queuedAt === undefined) schedule(line, clock() + TICK_MS * 5);
          }
        }
      }
    } finally {
      checking = false;
    }
  }

  /** Each watched line's counts by area type in the last complete minute, one event per tenant. */
  async function publishCounts(): Promise<void> {
    const minute = Math.floor(clock() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    if (minute === lastCountedMinute) return;
    lastCountedMinute = minute;
    const byTenant = new Map<string, number[]>();
    for (const line of lines.values()) byTenant.set(line.tenantId, [...(byTenant.get(line.tenantId) ?? []), line.lineId]);
    for (const [tenantId, lineIds] of byTenant) {
      try {
        const counts = await withPlant(tenantId, async (plant) => {
          const result = [];
          for (const lineId of lineIds) {
            const types = new Map((await plant.core.areas(lineId)).map((area) => [area.area_id, area.area_type]));
            const totals: Record<string, number> = { input: 0, process: 0, output: 0, reject: 0 };
            for (const cell of await plant.store.sumRollups('minute', lineId, [{ start: minute, end: minute + MINUTE_MS }])) {
              const type = types.get(cell.area_id);
              if (type !== undefined) totals[type] = (totals[type] ?? 0) + cell.quantity;
            }
            result.push({ line_id: lineId, ...totals });
          }
          return result;
        });
        deps.bus.publish({ type: 'production.counts', tenant_id: tenantId, id: toIso(minute), from: toIso(minute), to: toIso(minute + MINUTE_MS), lines: counts }, 'this-node');
      } catch (error) {
        logError(error, 'line watch: counting a tenant\'s minute failed');
      }
    }
  }

  return {
    /** Output was stored for the line at `at` (the ingest path calls this after its transaction). */
    noteOutput(tenantId: string, lineId: number, at: number): void {
      const line = lines.get(keyOf(tenantId, lineId));
      if (line === undefined) {
        // First output of a line (or tenant) not watched yet: read it, then take this output in.
        void readLines(tenantId, lineId).then((snapshots) => {
          apply(tenantId, snapshots, false);
          if (lines.has(keyOf(tenantId, lineId))) this.noteOutput(tenantId, lineId, at);
        }, (error: unknown) => logError(error, 'line watch: reading a line failed'));
        return;
      }
      if (line.lastOutputAt !== null && at <= line.lastOutputAt) return;
      line.lastOutputAt = at;
      const now = clock();
      const { current } = occurrencesAround(line, now);
      if (line.stoppedIn !== null && current?.start === line.stoppedIn && at >= current.start && now - at <= line.thresholdMs) {
        line.stoppedIn = null;
        // Output stored through this node: the other nodes' watches did not see it.
        publish(line, 'line.started', { at: toIso(at) }, 'all-nodes');
        publish(line, 'downtime.updated', { start: null, end: toIso(at) }, 'all-nodes');
        schedule(line, at + line.thresholdMs);
        return;
      }
      // Only ever later while it runs: the heap entry is moved when it comes up.
      if (line.stoppedIn === null) line.due = Math.max(line.due, Math.min(at + line.thresholdMs, current?.end ?? Infinity));
    },

    /** An operator classified one of the line's stops. */
    noteClassified(tenantId: string, lineId: number, eventId: number): void {
      deps.bus.publish({ type: 'downtime.updated', tenant_id: tenantId, id: String(lineId), line_id: lineId, event_id: eventId });
    },

    async start(): Promise<void> {
      await reload().catch((error: unknown) => logError(error, 'line watch: loading the lines failed'));
      const every = (ms: number, fn: () => Promise<void>) => {
        const timer = setInterval(() => void fn().catch((error: unknown) => logError(error, 'line watch failed')), ms);
        timer.unref();
        timers.push(timer);
      };
      every(TICK_MS, check);
      every(RELOAD_MS, reload);
      every(TICK_MS, async () => {
        if (clock() % MINUTE_MS < 5 * TICK_MS) await publishCounts();
      });
    },

    stop(): void {
      for (const timer of timers.splice(0)) clearInterval(timer);
      for (const tenantId of [...listening.keys()]) stopListening(tenantId);
    },
  };
}

export type LineWatch = ReturnType<typeof createLineWatch>;
export const LIVE_PRODUCTION_EVENTS = ['line.stopped', 'line.started', 'downtime.updated', 'production.counts'] as const;
