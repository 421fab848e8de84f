import type { TestServer } from './helpers/harness.ts';
import type { TestTenant } from './helpers/suite.ts';

/* A production line with a half hour of production to look at, for the production pages' tests. */

export const MINUTE = 60_000;

/**
 * A zone whose clocks are at least 45 minutes into one of the line's two 12-hour shifts, so that
 * the half hour of production seeded below lies in today and in one shift whenever the test runs.
 */
function zoneWithRoom(now: number): string {
  for (const zone of ['UTC', 'Asia/Kolkata', 'Asia/Tokyo', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Honolulu', 'Australia/Adelaide']) {
    const [hours, minutes] = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now).split(':').map(Number);
    const intoShift = (hours! * 60 + minutes!) % 720;
    if (intoShift >= 45 && intoShift <= 710) return zone;
  }
  throw new Error('no zone fits');
}

export interface SeededLine {
  lineId: number;
  timezone: string;
  /** Stops stored with an id, oldest first. */
  stopIds: number[];
}

/**
 * A line with half an hour of production: output every 10 s with a 5-minute gap in the middle and
 * none in the last 5 minutes (two stops, the last ongoing), a few rejects, and a shift named like a
 * spreadsheet formula.
 */
export async function seedLine(server: TestServer, tenant: TestTenant, name: string, code: string): Promise<SeededLine> {
  const { structure, production } = server.services;
  const now = Date.now();
  const timezone = zoneWithRoom(now);
  const line = await structure.createLine(tenant.id, { line_name: name, line_code: code, downtime_threshold_seconds: 60, ideal_cycle_seconds: 8, timezone });
  const output = await structure.createArea(tenant.id, { line_id: line.line_id, area_name: 'Out', area_type: 'output' });
  const reject = await structure.createArea(tenant.id, { line_id: line.line_id, area_name: 'Scrap', area_type: 'reject' });
  await structure.createShift(tenant.id, { shift_name: '=HYPERLINK("http://evil.example")', start_time: '00:00', end_time: '12:00', line_id: line.line_id });
  await structure.createShift(tenant.id, { shift_name: 'Late', start_time: '12:00', end_time: '00:00', line_id: line.line_id });
  const start = now - 30 * MINUTE;
  const times = [...Array.from({ length: 60 }, (_, i) => start + i * 10_000), ...Array.from({ length: 60 }, (_, i) => start + 15 * MINUTE + i * 10_000)];
  const detections = [
    ...times.map((at) => ({ detected_at: new Date(at).toISOString(), area_id: output.area_id })),
    ...times.slice(0, 6).map((at) => ({ detected_at: new Date(at + 1000).toISOString(), area_id: reject.area_id })),
  ];
  await production.ingest(tenant.id, line.line_id, { detections });
  await production.settleDowntime(tenant.id);
  const stops = await production.listDowntime(tenant.id, line.line_id, { from: start, to: Date.now() + 1 });
  return { lineId: line.line_id, timezone, stopIds: stops.filter((stop) => stop.id !== null && Date.parse(stop.start) >= start).map((stop) => stop.id!) };
}
