/**
 * Availability from the sync history: each sync that reached the vendor and found it healthy (its
 * own health not `alert`) is an "up" sample, any other a "down" one, and a sample's state holds
 * until the next sample. Stored as periods (consecutive samples of the same state), so a system
 * synced every minute for a month has a handful of rows, not 43,200.
 */
export interface AvailabilityPeriod {
  up: number;
  started_at: number;
  ended_at: number;
}

/**
 * The percentage of the observed time in [from, to] that the system was up, two decimals; null
 * when nothing was observed in the window. Time before the first sample or after the last one is
 * not counted either way (unknown is not down); a single sample counts as 100 or 0.
 */
export function availabilityPercent(periods: AvailabilityPeriod[], from: number, to: number): number | null {
  let up = 0;
  let observed = 0;
  let samples = 0;
  let upSamples = 0;
  for (const period of periods) {
    const start = Math.max(period.started_at, from);
    const end = Math.min(period.ended_at, to);
    if (end < start) continue;
    samples++;
    if (period.up === 1) upSamples++;
    observed += end - start;
    if (period.up === 1) up += end - start;
  }
  if (samples === 0) return null;
  if (observed === 0) return Math.round((upSamples / samples) * 10_000) / 100;
  return Math.round((up / observed) * 10_000) / 100;
}
