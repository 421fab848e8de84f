/**
 * Telemetry (docs/requirements.md, PLT-12): batches of metric points stored all or nothing with
 * their per-minute and per-hour rollups in one transaction, idempotent by batch id; a bounded
 * number of series (metric + label set) per tenant; queries that aggregate per series and step from
 * the coarsest table that answers exactly; retention per tenant.
 */
import { batchRejected, parseInstant } from '../../platform/batches.ts';
import type { Db } from '../../platform/db/database.ts';
import { HttpError, badRequest, type FieldError } from '../../platform/http/errors.ts';
import { toIso } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import type { AggregateRow, RollupCell, SeriesKey, TelemetryRepo, TelemetrySource } from './telemetry.repo.ts';
import type { TelemetryTenantRow } from './telemetry.tables.ts';

export const MAX_BATCH_POINTS = 10_000;
export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'rate'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Device clocks drift; beyond this a time in the future is a mistake. */
const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;
/** Series answered by one query; the answer says when more matched. */
const MAX_QUERY_SERIES = 100;
/** Buckets per series in one query answer. */
const MAX_QUERY_BUCKETS = 11_000;
/**
 * Longest range answered from raw points (steps that are not whole minutes): raw points are keyed
 * time first (for ingest), so a raw read scans every series of its range.
 */
const MAX_RAW_RANGE_MS = 24 * 3_600_000;
/** Tenant metrics whose series this process keeps parsed for queries and rules. */
const METRIC_CACHE_MAX = 10_000;
/** Series ids read again below the newest known one: ids taken earlier may commit later. */
const OUT_OF_ORDER_IDS = 1_000;
/** Series ids this process remembers (all tenants), so a batch of known series costs no lookup. */
const SERIES_CACHE_MAX = 100_000;
/** Characters of label sets kept with their canonical form (all tenants): a few MiB at most. */
const SPELLINGS_MAX_CHARS = 4_000_000;
/** Windows of a metric whose per-series figures are kept for the rules evaluated at the same instant. */
const WINDOW_READS_KEPT = 16;
/** …and for this long at most (points keep arriving in a window that ends now). */
const WINDOW_READ_TTL_MS = 2_000;
/** Most points committed in one group of batches (a larger batch is a group of its own). */
const GROUP_COMMIT_POINTS = 20_000;

/** What applies to a tenant that set nothing itself. */
export const TELEMETRY_DEFAULTS = { max_series: 10_000, raw_retention_days: 7, minute_retention_days: 90, hour_retention_days: 730 } as const;
export type TelemetryLimits = { -readonly [K in keyof typeof TELEMETRY_DEFAULTS]: number };

export interface PointInput {
  metric: string;
  value: number;
  labels?: Record<string, string>;
  timestamp?: string | number;
}

export interface TelemetryBatch {
  batch_id?: string;
  points: PointInput[];
}

export interface TelemetryIngestResult {
  batch_id: string | null;
  accepted: number;
  duplicate: boolean;
}

/**
 * A validated batch, one entry per point in each list: columns rather than an object per point,
 * since a batch is up to 10,000 points and each object would be garbage a moment later.
 */
interface ValidPoints {
  metrics: string[];
  /** Canonical label sets (see canonicalLabels). */
  labels: string[];
  times: number[];
  values: number[];
}

/** Series a batch names that this process does not know yet, by key, with the rows that name them. */
type UnknownSeries = Map<string, { series: SeriesKey; rows: number[] }>;

/** A validated batch waiting for its group commit. */
interface QueuedBatch {
  tenantId: string;
  batchId: string | null;
  points: ValidPoints;
  now: number;
  beforeCommit?: (result: TelemetryIngestResult) => Promise<void>;
  resolve: (result: TelemetryIngestResult) => void;
  reject: (error: unknown) => void;
}

/** Points of one query or rule: a metric and the labels its series must have (a subset match). */
export interface SeriesSelector {
  metric: string;
  labels: Record<string, string>;
}

export interface QueryInput extends SeriesSelector {
  from: number;
  to: number;
  stepMs: number;
  agg: Aggregation;
}

/** Count, sum, min, max of some points. */
export interface Stats {
  n: number;
  total: number;
  low: number;
  high: number;
}

/** One label set as stored: keys sorted, as JSON. */
export function canonicalLabels(labels: Record<string, string> | undefined): string {
  if (labels === undefined) return '{}';
  const keys = Object.keys(labels);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  // Clients mostly send each label set in one order, often sorted: then it is its own JSON.
  if (sorted) return JSON.stringify(labels);
  keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${JSON.stringify(labels[keys[i]!])}`;
  return `${out}}`;
}

/** The value an aggregation gives for some points (`seconds`: the span they cover, for `rate`); null without points. */
export function aggregateValue(agg: Aggregation, stats: Stats | undefined, seconds: number): number | null {
  if (stats === undefined || stats.n === 0) return agg === 'count' || agg === 'sum' || agg === 'rate' ? 0 : null;
  switch (agg) {
    case 'avg': return stats.total / stats.n;
    case 'min': return stats.low;
    case 'max': return stats.high;
    case 'sum': return stats.total;
    case 'count': return stats.n;
    case 'rate': return stats.total / seconds;
  }
}

export function mergeStats(into: Stats | undefined, row: Stats): Stats {
  if (into === undefined) return { n: row.n, total: row.total, low: row.low, high: row.high };
  into.n += row.n;
  into.total += row.total;
  into.low = Math.min(into.low, row.low);
  into.high = Math.max(into.high, row.high);
  return into;
}

/**
 * The rollup cells of a group of batches, per bucket and series, added up in memory: the group is
 * upserted once per table, and batches of one instant mostly share their cells.
 */
class RollupCells {
  readonly cells: RollupCell[] = [];
  readonly #buckets = new Map<number, Map<number, RollupCell>>();
  readonly #unitMs: number;

  constructor(unitMs: number) {
    this.#unitMs = unitMs;
  }

  add(seriesIds: readonly number[], points: ValidPoints): void {
    const { times, values } = points;
    let lastBucket = -1;
    let bySeries: Map<number, RollupCell> | undefined;
    for (let i = 0; i < seriesIds.length; i++) {
      const seriesId = seriesIds[i]!;
      const ts = times[i]!;
      const value = values[i]!;
      const bucket = ts - (ts % this.#unitMs);
      // Points of a batch mostly share a bucket: its cells are looked up once.
      if (bucket !== lastBucket || bySeries === undefined) {
        lastBucket = bucket;
        bySeries = this.#buckets.get(bucket);
        if (bySeries === undefined) this.#buckets.set(bucket, (bySeries = new Map()));
      }
      const cell = bySeries.get(seriesId);
      if (cell === undefined) {
        const created = { series_id: seriesId, bucket, value_count: 1, value_sum: value, value_min: value, value_max: value };
        bySeries.set(seriesId, created);
        this.cells.push(created);
      } else {
        cell.value_count++;
        cell.value_sum += value;
        if (value < cell.value_min) cell.value_min = value;
        if (value > cell.value_max) cell.value_max = value;
      }
    }
  }
}

/** The table that answers buckets of `stepMs` exactly with the least reading. */
function sourceFor(stepMs: number): TelemetrySource {
  if (stepMs % HOUR_MS === 0) return 'telemetry_hours';
  if (stepMs % MINUTE_MS === 0) return 'telemetry_minutes';
  return 'telemetry_points';
}

const SOURCE_NAMES: Record<TelemetrySource, 'raw' | 'minute' | 'hour'> = { telemetry_points: 'raw', telemetry_minutes: 'minute', telemetry_hours: 'hour' };

/** Whether a series' stored labels include every wanted label. */
function matches(stored: Record<string, string>, wanted: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(wanted)) if (stored[key] !== value) return false;
  return true;
}

export function createTelemetryService(deps: { repo: TelemetryRepo; db: Pick<Db, 'transaction' | 'savepoint'>; clock?: () => number }) {
  const { repo } = deps;
  const clock = deps.clock ?? Date.now;
  /** Per tenant, per metric: canonical labels → series id. Only committed series: a rolled-back one must not be written to later. */
  const seriesIds = new Map<string, Map<string, Map<string, number>>>();
  let remembered = 0;

  function remember(tenantId: string, series: readonly (SeriesKey & { id: number })[]): void {
    if (series.length === 0) return;
    if (remembered + series.length > SERIES_CACHE_MAX) {
      seriesIds.clear();
      remembered = 0;
    }
    let metrics = seriesIds.get(tenantId);
    if (metrics === undefined) seriesIds.set(tenantId, (metrics = new Map()));
    for (const { metric, labels, id } of series) {
      let ids = metrics.get(metric);
      if (ids === undefined) metrics.set(metric, (ids = new Map()));
      ids.set(labels, id);
    }
    remembered += series.length;
  }

  function limitsOf(row: TelemetryTenantRow | undefined): TelemetryLimits {
    return {
      max_series: row?.max_series ?? TELEMETRY_DEFAULTS.max_series,
      raw_retention_days: row?.raw_retention_days ?? TELEMETRY_DEFAULTS.raw_retention_days,
      minute_retention_days: row?.minute_retention_days ?? TELEMETRY_DEFAULTS.minute_retention_days,
      hour_retention_days: row?.hour_retention_days ?? TELEMETRY_DEFAULTS.hour_retention_days,
    };
  }

  /**
   * Label sets as clients spell them (JSON in their key order) → canonical. An agent sends the same
   * label sets in every batch: the canonical form is worked out once, and the same string comes
   * back each time, which the series lookups then find without hashing it again.
   */
  const canonicalBySpelling = new Map<string, string>();
  let spellingChars = 0;

  function labelsOf(labels: Record<string, string> | undefined): string {
    if (labels === undefined) return '{}';
    const spelling = JSON.stringify(labels);
    let canonical = canonicalBySpelling.get(spelling);
    if (canonical === undefined) {
      canonical = canonicalLabels(labels);
      if (spellingChars + spelling.length > SPELLINGS_MAX_CHARS) {
        canonicalBySpelling.clear();
        spellingChars = 0;
      }
      canonicalBySpelling.set(spelling, canonical);
      spellingChars += spelling.length;
    }
    return canonical;
  }

  function validate(batch: TelemetryBatch, now: number): ValidPoints {
    const input = batch.points;
    if (!Array.isArray(input) || input.length === 0 || input.length > MAX_BATCH_POINTS) {
      throw badRequest(say('The batch was not stored', 'El lote no se guardó'), [{ field: 'points', message: `must be a list of 1-${MAX_BATCH_POINTS} points`, code: 'items_range', params: { min: 1, max: MAX_BATCH_POINTS } }]);
    }
    const errors: FieldError[] = [];
    const points: ValidPoints = { metrics: [], labels: [], times: [], values: [] };
    for (let index = 0; index < input.length; index++) {
      const point = input[index]!;
      let ts = now;
      if (point.timestamp !== undefined) {
        const parsed = parseInstant(point.timestamp);
        if (parsed === undefined) errors.push({ field: `points[${index}].timestamp`, message: 'must be an ISO 8601 time with its offset, or epoch milliseconds', code: 'timestamp' });
        else if (parsed > now + FUTURE_TOLERANCE_MS) errors.push({ field: `points[${index}].timestamp`, message: 'is more than 5 minutes in the future', code: 'too_far_ahead', params: { minutes: FUTURE_TOLERANCE_MS / 60_000 } });
        else ts = parsed;
      }
      if (!Number.isFinite(point.value)) errors.push({ field: `points[${index}].value`, message: 'must be a finite number', code: 'type', params: { type: 'number' } });
      points.metrics.push(point.metric);
      points.labels.push(labelsOf(point.labels));
      points.times.push(ts);
      points.values.push(point.value);
    }
    if (errors.length > 0) throw batchRejected(errors);
    return points;
  }

  /** Per point, its series id from what this process knows; the series it does not know yet, with their rows. */
  function knownSeries(tenantId: string, points: ValidPoints): { ids: number[]; unknown: UnknownSeries } {
    const known = seriesIds.get(tenantId);
    const ids: number[] = [];
    const unknown: UnknownSeries = new Map();
    let lastMetric: string | undefined;
    let byLabels: Map<string, number> | undefined;
    for (let i = 0; i < points.metrics.length; i++) {
      const metric = points.metrics[i]!;
      // A batch is mostly one metric: its label sets are looked up in one map.
      if (metric !== lastMetric) {
        lastMetric = metric;
        byLabels = known?.get(metric);
      }
      const labels = points.labels[i]!;
      const id = byLabels?.get(labels);
      ids.push(id ?? 0);
      if (id !== undefined) continue;
      const key = `${metric}\n${labels}`;
      const entry = unknown.get(key);
      if (entry === undefined) unknown.set(key, { series: { metric, labels }, rows: [i] });
      else entry.rows.push(i);
    }
    return { ids, unknown };
  }

  /** The ids of series this process does not know, creating new ones within the tenant's limit (else 422, and the batch rolls back). */
  async function resolveSeries(tenantId: string, unknown: UnknownSeries, now: number) {
    const ids = new Map<string, number>();
    const missing = [...unknown.values()].map((entry) => entry.series);
    const learned = await repo.findSeries(tenantId, missing);
    for (const series of learned) ids.set(`${series.metric}\n${series.labels}`, series.id);
    const absent = missing.filter((series) => !ids.has(`${series.metric}\n${series.labels}`));
    if (absent.length > 0) {
      await repo.ensureTenant(tenantId, now);
      const limits = limitsOf(await repo.tenantState(tenantId));
      const created = await repo.insertSeries(tenantId, absent, now);
      if (created.length > 0 && !(await repo.countSeries(tenantId, created.length, limits.max_series, now))) {
        const state = await repo.tenantState(tenantId);
        const firstNew = Math.min(...absent.map((series) => unknown.get(`${series.metric}\n${series.labels}`)!.rows[0]!));
        throw new HttpError(422, say(
          `The batch was not stored: it adds ${created.length} new series (metric and label set) and the tenant has ${state?.series_count ?? 0} of its ${limits.max_series}`,
          `El lote no se guardó: añade ${created.length} series nuevas (métrica y conjunto de etiquetas) y el cliente ya tiene ${state?.series_count ?? 0} de sus ${limits.max_series}`,
        ), { errors: [
          { field: `points[${firstNew}]`, message: 'starts a new series past the tenant\'s series limit; reuse existing label sets or ask for a higher limit', code: 'too_many_series' },
        ] });
      }
      // Series another writer created meanwhile are found again.
      const raced = created.length < absent.length ? await repo.findSeries(tenantId, absent.filter((s) => !created.some((c) => c.metric === s.metric && c.labels === s.labels))) : [];
      for (const series of [...created, ...raced]) ids.set(`${series.metric}\n${series.labels}`, series.id);
      learned.push(...created, ...raced);
    }
    return { ids, learned };
  }

  /**
   * Per tenant and metric, its series with parsed labels: rules read them every evaluation. Series
   * are never deleted but with their tenant, so each read only fetches ids past the newest known,
   * less a margin for ids that commit out of order on PostgreSQL.
   */
  const metricSeries = new Map<string, { newestId: number; labels: Map<number, Record<string, string>> }>();

  async function matchingSeries(tenantId: string, selector: SeriesSelector) {
    const cacheKey = `${tenantId}\n${selector.metric}`;
    let known = metricSeries.get(cacheKey);
    if (known === undefined) {
      if (metricSeries.size >= METRIC_CACHE_MAX) metricSeries.clear();
      metricSeries.set(cacheKey, (known = { newestId: 0, labels: new Map() }));
    }
    for (const row of await repo.listSeries(tenantId, { metric: selector.metric, afterId: Math.max(0, known.newestId - OUT_OF_ORDER_IDS) })) {
      if (!known.labels.has(row.id)) known.labels.set(row.id, JSON.parse(row.labels) as Record<string, string>);
      known.newestId = Math.max(known.newestId, row.id);
    }
    const found: { id: number; labels: Record<string, string> }[] = [];
    for (const [id, labels] of known.labels) if (matches(labels, selector.labels)) found.push({ id, labels });
    return found.sort((a, b) => a.id - b.id);
  }

  /** Raw points while the window is within raw retention (and a day long at most), else minute rollups (the window rounded out to whole minutes). */
  async function readPlan(tenantId: string, from: number, to: number, stepMs: number | null): Promise<{ source: TelemetrySource; start: number; end: number }> {
    const limits = limitsOf(await repo.tenantState(tenantId));
    const raw = from >= clock() - limits.raw_retention_days * DAY_MS && to - from <= MAX_RAW_RANGE_MS && (stepMs === null || stepMs % MINUTE_MS !== 0);
    return raw ? { source: 'telemetry_points', start: from, end: to } : { source: 'telemetry_minutes', start: from - (from % MINUTE_MS), end: Math.ceil(to / MINUTE_MS) * MINUTE_MS };
  }

  /**
   * Per series of a metric, its figures over one window, kept for the last few windows read: a
   * tenant's rules are evaluated at one instant, so the rules on one metric and window share one
   * pass over the window instead of each scanning it again.
   */
  const windowReads = new Map<string, { at: number; read: Promise<{ series: { id: number; labels: Record<string, string> }[]; stats: Map<number, AggregateRow> }> }>();

  function metricWindow(tenantId: string, metric: string, plan: { source: TelemetrySource; start: number; end: number }) {
    const key = `${tenantId}\n${metric}\n${plan.source}\n${plan.start}\n${plan.end}`;
    const now = clock();
    let read = windowReads.get(key)?.read;
    if (read === undefined || now - windowReads.get(key)!.at > WINDOW_READ_TTL_MS) {
      windowReads.delete(key);
      if (windowReads.size >= WINDOW_READS_KEPT) windowReads.delete(windowReads.keys().next().value!);
      read = (async () => {
        const series = await matchingSeries(tenantId, { metric, labels: {} });
        const stats = new Map<number, AggregateRow>();
        for (const row of await repo.aggregateMetric(plan.source, tenantId, metric, plan.start, plan.end)) stats.set(row.series_id, row);
        return { series, stats };
      })();
      windowReads.set(key, { at: now, read });
      read.catch(() => windowReads.delete(key));
    }
    return read;
  }

  /** Batches validated and waiting for the next group commit, oldest first. */
  const queue: QueuedBatch[] = [];
  let writing = false;

  /**
   * One batch's rows, inside the group's transaction: claim its id, resolve its series, insert its
   * points. Its rollups are added with the group's (see writeGroups); `seriesIds` is null for a
   * repeated batch, which adds nothing.
   */
  async function writeBatch(item: QueuedBatch): Promise<{ result: TelemetryIngestResult; seriesIds: number[] | null; learned: (SeriesKey & { id: number })[] }> {
    const { tenantId, batchId, points, now } = item;
    const count = points.metrics.length;
    if (batchId !== null && !(await repo.claimBatch(tenantId, batchId, count, now))) return { result: { batch_id: batchId, accepted: 0, duplicate: true }, seriesIds: null, learned: [] };
    const { ids, unknown } = knownSeries(tenantId, points);
    let learned: (SeriesKey & { id: number })[] = [];
    if (unknown.size > 0) {
      const resolved = await resolveSeries(tenantId, unknown, now);
      for (const [key, { rows }] of unknown) {
        const id = resolved.ids.get(key)!;
        for (const row of rows) ids[row] = id;
      }
      learned = resolved.learned;
    }
    await repo.insertPoints(ids, points.times, points.values);
    return { result: { batch_id: batchId, accepted: count, duplicate: false }, seriesIds: ids, learned };
  }

  /**
   * Group commit: the batches that arrived while the previous transaction was being written go into
   * one transaction, each in its own savepoint (a failing batch is rolled back alone), so that one
   * sync of the database file acknowledges them all. Syncing per batch cost more wall time than
   * storing it, and on SQLite the sync blocks the event loop. The rollups of the batches stored are
   * added up in memory and upserted once per table before the commit: an upsert costs SQLite more
   * than the insert of the points, and batches that arrive together mostly fall in the same minute.
   */
  async function writeGroups(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        // SQLite runs a transaction without giving the event loop back: the requests that came in
        // meanwhile are read first, so that they join this group.
        await new Promise((resolve) => setImmediate(resolve));
        let points = 0;
        let size = 0;
        while (size < queue.length && (size === 0 || points + queue[size]!.points.metrics.length <= GROUP_COMMIT_POINTS)) points += queue[size++]!.points.metrics.length;
        const group = queue.splice(0, size);
        const outcomes: ({ stored: Awaited<ReturnType<typeof writeBatch>> } | { error: unknown })[] = [];
        try {
          await deps.db.transaction(async () => {
            const minutes = new RollupCells(MINUTE_MS);
            const hours = new RollupCells(HOUR_MS);
            for (const item of group) {
              try {
                const stored = await deps.db.savepoint(async () => {
                  const written = await writeBatch(item);
                  await item.beforeCommit?.(written.result);
                  return written;
                });
                outcomes.push({ stored });
                if (stored.seriesIds !== null) {
                  minutes.add(stored.seriesIds, item.points);
                  hours.add(stored.seriesIds, item.points);
                }
              } catch (error) {
                outcomes.push({ error });
              }
            }
            // A failure here fails the whole group: no batch is acknowledged without its rollups.
            await repo.addToRollups('telemetry_minutes', minutes.cells);
            await repo.addToRollups('telemetry_hours', hours.cells);
          });
        } catch (error) {
          for (const item of group) item.reject(error);
          continue;
        }
        group.forEach((item, index) => {
          const outcome = outcomes[index]!;
          if ('error' in outcome) return item.reject(outcome.error);
          // Only committed series are remembered: a rolled-back one must not be written to later.
          remember(item.tenantId, outcome.stored.learned);
          item.resolve(outcome.stored.result);
        });
      }
    } finally {
      writing = false;
    }
  }

  return {
    /**
     * Stores a batch, all or nothing; a batch id stored before is acknowledged and not counted
     * again. `beforeCommit` runs in the batch's transaction after its writes (the caller's audit
     * entry commits with the batch or neither does). The batch commits on its own transaction (with
     * others that arrive meanwhile), never a caller's.
     */
    ingest(tenantId: string, batch: TelemetryBatch, beforeCommit?: (result: TelemetryIngestResult) => Promise<void>): Promise<TelemetryIngestResult> {
      const now = clock();
      const points = validate(batch, now);
      return new Promise((resolve, reject) => {
        queue.push({ tenantId, batchId: batch.batch_id ?? null, points, now, ...(beforeCommit !== undefined ? { beforeCommit } : {}), resolve, reject });
        if (!writing) void writeGroups();
      });
    },

    /** Per series matching the selector: the aggregation per epoch-aligned bucket of `stepMs` over `[from, to)` (rounded out to whole steps). */
    async query(tenantId: string, input: QueryInput) {
      const from = input.from - (input.from % input.stepMs);
      const to = Math.ceil(input.to / input.stepMs) * input.stepMs;
      if (to <= from) throw badRequest(say('from must be before to', 'from debe ser anterior a to'), [{ field: 'from', message: 'is not before to', code: 'before', params: { other: 'to' } }]);
      if ((to - from) / input.stepMs > MAX_QUERY_BUCKETS) {
        const minimumStepS = Math.ceil((to - from) / MAX_QUERY_BUCKETS / 1000);
        throw badRequest(say(`The range holds more than ${MAX_QUERY_BUCKETS} steps`, `El intervalo abarca más de ${MAX_QUERY_BUCKETS} pasos`), [{ field: 'step', message: `must be at least ${minimumStepS} seconds for this range`, code: 'minimum', params: { limit: minimumStepS } }]);
      }
      const source = sourceFor(input.stepMs);
      if (source === 'telemetry_points' && to - from > MAX_RAW_RANGE_MS) {
        throw badRequest(say('Ranges over a day are answered from rollups', 'Los intervalos de más de un día se responden con datos agregados'), [{ field: 'step', message: 'must be a multiple of 60 seconds for a range over 24 hours', code: 'multiple_of', params: { limit: 60 } }]);
      }
      const all = await matchingSeries(tenantId, input);
      const series = all.slice(0, MAX_QUERY_SERIES);
      const rows = await repo.aggregate(source, series.map((s) => s.id), from, to, input.stepMs);
      const bySeries = new Map<number, AggregateRow[]>();
      for (const row of rows) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
      const seconds = input.stepMs / 1000;
      return {
        metric: input.metric, agg: input.agg, step: seconds, from: toIso(from), to: toIso(to), resolution: SOURCE_NAMES[source],
        series: series.map((s) => ({
          labels: s.labels,
          points: (bySeries.get(s.id) ?? []).sort((a, b) => a.bucket - b.bucket).map((row) => ({ time: toIso(row.bucket), value: aggregateValue(input.agg, row, seconds) })),
        })),
        truncated: all.length > series.length,
      };
    },

    /**
     * Every series matching the selector taken together: over `[from, to)` as one window
     * (`stepMs` null), or per epoch-aligned bucket of `stepMs`. Raw points while the window is
     * within raw retention, else minute rollups (the window rounded out to whole minutes).
     */
    async statsAcross(tenantId: string, selector: SeriesSelector, from: number, to: number, stepMs: number | null): Promise<Map<number, Stats>> {
      const out = new Map<number, Stats>();
      const plan = await readPlan(tenantId, from, to, stepMs);
      if (stepMs === null) {
        const window = await metricWindow(tenantId, selector.metric, plan);
        const wanted = Object.entries(selector.labels);
        let total: Stats | undefined;
        for (const series of window.series) {
          const row = window.stats.get(series.id);
          if (row !== undefined && wanted.every(([key, value]) => series.labels[key] === value)) total = mergeStats(total, row);
        }
        if (total !== undefined) out.set(plan.start, total);
        return out;
      }
      const series = await matchingSeries(tenantId, selector);
      if (series.length === 0) return out;
      for (const row of await repo.aggregate(plan.source, series.map((s) => s.id), plan.start, plan.end, stepMs)) out.set(row.bucket, mergeStats(out.get(row.bucket), row));
      return out;
    },

    async listSeries(tenantId: string, filter: { metric?: string; labels?: Record<string, string>; limit: number; cursor?: string }) {
      let afterId: number | undefined;
      if (filter.cursor !== undefined) {
        afterId = Number(Buffer.from(filter.cursor, 'base64url').toString('utf8'));
        if (!Number.isSafeInteger(afterId) || afterId < 0) throw badRequest(say('cursor is not valid', 'cursor no es válido'), [{ field: 'cursor', message: 'is not a cursor this API issued', code: 'cursor' }]);
      }
      const found: { id: number; metric: string; labels: Record<string, string>; created_at: string }[] = [];
      // Label filters are applied here, so pages are read until one is full or the series run out.
      for (;;) {
        const rows = await repo.listSeries(tenantId, { ...(filter.metric !== undefined ? { metric: filter.metric } : {}), ...(afterId !== undefined ? { afterId } : {}), limit: 500 });
        for (const row of rows) {
          const labels = JSON.parse(row.labels) as Record<string, string>;
          if (filter.labels === undefined || matches(labels, filter.labels)) found.push({ id: row.id, metric: row.metric, labels, created_at: toIso(row.created_at) });
        }
        if (found.length > filter.limit || rows.length < 500) break;
        afterId = rows.at(-1)!.id;
      }
      const items = found.slice(0, filter.limit);
      const more = found.length > filter.limit;
      return {
        items: items.map(({ id: _id, ...series }) => series),
        next_cursor: more ? Buffer.from(String(items.at(-1)!.id), 'utf8').toString('base64url') : null,
      };
    },

    async settings(tenantId: string) {
      const row = await repo.tenantState(tenantId);
      return { ...limitsOf(row), series_count: row?.series_count ?? 0 };
    },

    async updateSettings(tenantId: string, changes: Partial<Record<keyof TelemetryLimits, number | null>>) {
      await deps.db.transaction(async () => {
        const now = clock();
        await repo.ensureTenant(tenantId, now);
        await repo.updateTenant(tenantId, { ...changes, updated_at: now });
      });
      return this.settings(tenantId);
    },

    /** Deletes what is past each tenant's retention: raw points, minute and hour rollups, old batch ids. */
    async applyRetention(): Promise<{ tenant_id: string; removed: Record<string, number> }[]> {
      const now = clock();
      const report = [];
      for (const row of await repo.tenantStates()) {
        const limits = limitsOf(row);
        const removed: Record<string, number> = {};
        const plan: [TelemetrySource | 'telemetry_batches', number][] = [
          ['telemetry_points', limits.raw_retention_days], ['telemetry_batches', limits.raw_retention_days],
          ['telemetry_minutes', limits.minute_retention_days], ['telemetry_hours', limits.hour_retention_days],
        ];
        for (const [table, days] of plan) removed[table] = await repo.deleteOlder(row.tenant_id, table, now - days * DAY_MS);
        report.push({ tenant_id: row.tenant_id, removed });
      }
      return report;
    },
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
