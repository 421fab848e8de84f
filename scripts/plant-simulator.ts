/**
 * A simulated plant: the structure of a small factory (lines with input, process, output and
 * reject areas, products with ideal cycle times, three shifts) and the detections its devices would
 * post — cycle jitter, micro-stops shorter than the downtime threshold, real stops, product
 * changeovers and rejects. Used by `npm run demo` (history and live feed) and by the production
 * benchmark; deterministic for a given seed.
 */
import { randomUUID } from 'node:crypto';
import { PLANT_MIGRATIONS } from '../src/migrations/plant/index.ts';
import { type ProductionService, createProductionService } from '../src/modules/production/production.service.ts';
import { type StructureService, createStructureService } from '../src/modules/production/structure.service.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { createPlantRegistry } from '../src/platform/db/plant-registry.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export interface Detection {
  /** Epoch milliseconds (the API accepts them as well as ISO times). */
  detected_at: number;
  area_id: number;
  product_id: number;
  quantity: number;
}

export interface LineBehaviour {
  /** How much slower than ideal the line runs on average (1.1 = 10 % slower). */
  slowdown: number;
  /** Spread of one cycle around its mean (0.08 = ±8 % or so). */
  jitter: number;
  /** Short pauses (below the downtime threshold) per hour of running. */
  microStopsPerHour: number;
  /** Stops longer than the downtime threshold per hour of running. */
  stopsPerHour: number;
  /** Share of pieces that end in the reject area instead of the output. */
  rejectRate: number;
  /** A product runs this long on average before a changeover (itself a stop). */
  runHours: number;
}

export const DEFAULT_BEHAVIOUR: LineBehaviour = {
  slowdown: 1.12, jitter: 0.08, microStopsPerHour: 3, stopsPerHour: 0.25, rejectRate: 0.025, runHours: 6,
};

export interface SimulatedLine {
  line_id: number;
  line_name: string;
  areas: { input: number; process: number; output: number; reject: number };
  /** The products this line makes, with their ideal cycle times in seconds. */
  products: { product_id: number; ideal_cycle_seconds: number }[];
}

/** Small, fast, seedable PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The detections of one line over time, in time order: each piece is seen entering (input), in
 * process and leaving (output, or reject). `until(t)` returns what happened up to `t` and carries
 * on from there next time, so the same feed serves a history and a live simulation.
 */
export class LineFeed {
  private readonly random: () => number;
  private at: number;
  private product = 0;
  private productUntil: number;
  /** Detections of the last piece that did not fit in the previous batch. */
  private pending: Detection[] = [];
  readonly line: SimulatedLine;
  readonly behaviour: LineBehaviour;

  constructor(line: SimulatedLine, behaviour: LineBehaviour, start: number, seed: number) {
    this.line = line;
    this.behaviour = behaviour;
    this.random = seededRandom(seed);
    this.at = start;
    this.productUntil = start + this.productRun();
  }

  /** Time of the next piece entering the line. */
  get next(): number {
    return this.at;
  }

  private productRun(): number {
    return this.behaviour.runHours * HOUR * (0.5 + this.random());
  }

  /** Exponential spacing: whether an event of `perHour` happens during `ms` of running. */
  private happens(perHour: number, ms: number): boolean {
    return this.random() < (perHour * ms) / HOUR;
  }

  /** Appends the detections of pieces entering before `to` to `out`, at most `max` of them, and returns `out`. */
  until(to: number, out: Detection[] = [], max = Infinity): Detection[] {
    while (out.length < max) {
      if (this.pending.length === 0) {
        if (this.at >= to) break;
        this.nextPiece();
      }
      out.push(this.pending.shift()!);
    }
    return out;
  }

  /** One piece (seen at input, in process, then at output or reject) and what follows it. */
  private nextPiece(): void {
    const { areas, products } = this.line;
    const b = this.behaviour;
    const { product_id, ideal_cycle_seconds } = products[this.product]!;
    // Triangular-ish noise around the mean cycle.
    const cycle = ideal_cycle_seconds * SECOND * b.slowdown * (1 + b.jitter * (this.random() + this.random() - 1) * 1.7);
    const start = this.at;
    const done = this.random() < b.rejectRate ? areas.reject : areas.output;
    this.pending.push(
      { detected_at: Math.round(start), area_id: areas.input, product_id, quantity: 1 },
      { detected_at: Math.round(start + cycle * 0.3), area_id: areas.process, product_id, quantity: 1 },
      { detected_at: Math.round(start + cycle * 0.6), area_id: done, product_id, quantity: 1 },
    );
    this.at = start + cycle;
    if (this.at >= this.productUntil) {
      // Changeover: 10-25 minutes without output, then the next product.
      this.product = (this.product + 1) % products.length;
      this.at += (10 + this.random() * 15) * MINUTE;
      this.productUntil = this.at + this.productRun();
    } else if (this.happens(b.stopsPerHour, cycle)) {
      this.at += (6 + this.random() * 40) * MINUTE;
    } else if (this.happens(b.microStopsPerHour, cycle)) {
      this.at += (20 + this.random() * 150) * SECOND;
    }
  }

  /** The line stands still: no more detections until `to` (Infinity: for good). */
  standStill(to: number): void {
    this.at = Math.max(this.at, to);
  }
}

export interface LineDesign {
  line_name: string;
  line_code: string;
  /** Fallback ideal cycle time of the line, seconds. */
  ideal_cycle_seconds: number;
  products: { product_name: string; product_code: string; ideal_cycle_seconds: number }[];
}

export const DEMO_LINES: LineDesign[] = [
  {
    line_name: 'Stamping', line_code: 'stamping', ideal_cycle_seconds: 20,
    products: [{ product_name: 'Bracket S', product_code: 'BR-S', ideal_cycle_seconds: 18 }, { product_name: 'Bracket L', product_code: 'BR-L', ideal_cycle_seconds: 24 }],
  },
  {
    line_name: 'Assembly', line_code: 'assembly', ideal_cycle_seconds: 45,
    products: [{ product_name: 'Hinge kit', product_code: 'HK-1', ideal_cycle_seconds: 40 }, { product_name: 'Hinge kit XL', product_code: 'HK-2', ideal_cycle_seconds: 55 }],
  },
  {
    line_name: 'Packaging', line_code: 'packaging', ideal_cycle_seconds: 30,
    products: [{ product_name: 'Retail box', product_code: 'BOX-R', ideal_cycle_seconds: 30 }],
  },
];

/** Morning, afternoon and night: every hour of the day is planned time. */
export const DEMO_SHIFTS = [
  { shift_name: 'Morning', start_time: '06:00', end_time: '14:00' },
  { shift_name: 'Afternoon', start_time: '14:00', end_time: '22:00' },
  { shift_name: 'Night', start_time: '22:00', end_time: '06:00' },
];

/** The filter panel of the dashboards (the FILTER table): the period (the last 7 days to start with) and a line. */
export const DEMO_FILTERS = [
  { filter_name: 'Period', default_value: { days_back: 7 }, additional_filter: { type: 'daterange', required: true, order: 1 } },
  { filter_name: 'Line', additional_filter: { type: 'line', order: 2 } },
];

/** Creates the lines (with their four areas), products, shifts and filters through the structure service. */
export async function createPlant(structure: StructureService, tenantId: string, designs: LineDesign[] = DEMO_LINES): Promise<SimulatedLine[]> {
  const lines: SimulatedLine[] = [];
  for (const design of designs) {
    const line = await structure.createLine(tenantId, { line_name: design.line_name, line_code: design.line_code, ideal_cycle_seconds: design.ideal_cycle_seconds });
    const area = async (area_type: 'input' | 'process' | 'output' | 'reject', name: string) =>
      (await structure.createArea(tenantId, { line_id: line.line_id, area_name: `${design.line_name} ${name}`, area_type })).area_id;
    const areas = { input: await area('input', 'infeed'), process: await area('process', 'station'), output: await area('output', 'outfeed'), reject: await area('reject', 'scrap') };
    const products = [];
    for (const product of design.products) {
      const created = await structure.createProduct(tenantId, product);
      products.push({ product_id: created.product_id, ideal_cycle_seconds: product.ideal_cycle_seconds });
    }
    lines.push({ line_id: line.line_id, line_name: design.line_name, areas, products });
  }
  for (const shift of DEMO_SHIFTS) await structure.createShift(tenantId, shift);
  for (const filter of DEMO_FILTERS) await structure.createFilter(tenantId, filter);
  return lines;
}

/** Where a feed's detections go: the production service in-process, or the HTTP API. */
export type DetectionSink = (lineId: number, detections: Detection[]) => Promise<void>;

/**
 * Feeds `[from, to)` of every feed into `sink` in batches of `batchSize`, line after line, calling
 * `progress` with the running total.
 */
export async function backfill(feeds: LineFeed[], to: number, sink: DetectionSink, options: { batchSize: number; progress?: (sent: number) => void }): Promise<number> {
  let sent = 0;
  for (const feed of feeds) {
    for (;;) {
      const batch = feed.until(to, [], options.batchSize);
      if (batch.length === 0) break;
      await sink(feed.line.line_id, batch);
      sent += batch.length;
      options.progress?.(sent);
    }
  }
  return sent;
}

export interface PlantServices {
  dataDir: string;
  production: ProductionService;
  structure: StructureService;
  close(): Promise<void>;
}

/**
 * The production services in this process over the embedded plant databases of `dataDir` (the
 * files a Sentinel server with that data directory uses; SQLite lets both write). The platform
 * database is only read for a client database's settings overlay, never for an embedded plant.
 */
export function openPlantServices(dataDir: string, timeZone: string): PlantServices {
  const platform = openDatabase({ dataDir, databaseUrl: undefined });
  const plants = createPlantRegistry({ dataDir, maxOpen: 4, idleMs: 60_000, migrations: PLANT_MIGRATIONS, resolveSource: async () => ({ mode: 'embedded' }) });
  const production = createProductionService({ plants, platform: platform.kysely, tenantTimeZone: async () => timeZone });
  return {
    dataDir,
    production,
    structure: createStructureService(production.access),
    async close() {
      await plants.close();
      await platform.close();
    },
  };
}

/** A sink into the production service of this process. */
export const serviceSink = (production: ProductionService, tenantId: string): DetectionSink => async (lineId, detections) => {
  await production.ingest(tenantId, lineId, { detections });
};

/**
 * A line's devices: each batch is posted to the API with an API key (`X-API-Key`) and a batch id,
 * so a batch retried after a lost answer is counted once.
 */
export const httpSink = (baseUrl: string, apiKey: string): DetectionSink => async (lineId, detections) => {
  const response = await fetch(`${baseUrl}/api/v1/production/lines/${lineId}/detections`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ batch_id: randomUUID(), detections }),
  });
  if (!response.ok) throw new Error(`line ${lineId}: the API answered ${response.status} ${await response.text()}`);
};

export interface DemoPlant {
  lines: SimulatedLine[];
  /** The line that stands still from a while before the start on. */
  stoppedLine: SimulatedLine;
  historyDetections: number;
  stop(): Promise<void>;
}

const LIVE_EVERY_MS = 5_000;

/**
 * The demo tenant's plant: the structure, `historyDays` of detections loaded through the service
 * (batches of 10,000), then a live feed every 5 s in which the last line stays stopped (since 25
 * minutes before the start), sent to `devices(lines)` (the API with a key, in the demo) or else the
 * service. The history's past shifts are settled once loaded; from then on the server's own job
 * settles them every minute.
 */
export async function startDemoPlant(options: {
  dataDir: string; tenantId: string; timeZone: string; historyDays: number; progress?: (sent: number) => void;
  devices?: (lines: SimulatedLine[]) => Promise<DetectionSink>;
}): Promise<DemoPlant> {
  const services = openPlantServices(options.dataDir, options.timeZone);
  const { production, structure } = services;
  const lines = await createPlant(structure, options.tenantId);
  const start = Date.now();
  const feeds = lines.map((line, index) => new LineFeed(line, DEFAULT_BEHAVIOUR, start - options.historyDays * 24 * HOUR, 1000 + index));
  const stoppedLine = lines.at(-1)!;
  const stoppedSince = start - 25 * MINUTE;
  const sink = serviceSink(production, options.tenantId);
  let historyDetections = await backfill(feeds.slice(0, -1), start, sink, { batchSize: 10_000, progress: options.progress });
  historyDetections += await backfill(feeds.slice(-1), stoppedSince, sink, { batchSize: 10_000, progress: (sent) => options.progress?.(historyDetections + sent) });
  feeds.at(-1)!.standStill(Infinity);
  while ((await production.settleDowntime(options.tenantId)).occurrences >= 500);

  // One piece of work at a time: a slow round delays the next instead of overlapping it.
  let busy = Promise.resolve();
  const queue = (work: () => Promise<unknown>) => {
    busy = busy.then(work).then(() => undefined, (error: unknown) => console.error('plant simulator:', error));
  };
  const devices = options.devices === undefined ? sink : await options.devices(lines);
  const live = setInterval(() => queue(() => backfill(feeds, Date.now(), devices, { batchSize: 10_000 })), LIVE_EVERY_MS);
  return {
    lines, stoppedLine, historyDetections,
    async stop() {
      clearInterval(live);
      await busy;
      await services.close();
    },
  };
}
