import type { AssetStatus, SystemStatus } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { mean, stringRecord } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { api } from './client.ts';

interface Target {
  labels?: Record<string, string>;
  scrapePool?: string;
  scrapeUrl?: string;
  health?: string;
  lastError?: string;
  lastScrape?: string;
  lastScrapeDuration?: number;
  scrapeInterval?: string;
}

/** Targets beyond this are cut (a sane bound on one report). */
const MAX_TARGETS = 10_000;

const TARGET_STATUS: Record<string, AssetStatus> = { up: 'online', down: 'offline', unknown: 'unknown' };

export async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const targets = await api<{ activeTargets?: Target[] }>(ctx, '/api/v1/targets', { state: 'active' });
  latencies.push(targets.response.latencyMs);
  const active = targets.data?.activeTargets;
  if (!Array.isArray(active)) throw new ProviderError('bad_response', 'the targets answer has no activeTargets list');

  // Uptime: the server's own start time (runtimeinfo, Prometheus ≥ 2.14); null when not exposed.
  let uptime: number | null = null;
  let reloadFailed = false;
  const runtime = await api<{ startTime?: string; reloadConfigSuccess?: boolean }>(ctx, '/api/v1/status/runtimeinfo', {}, true);
  latencies.push(runtime.response.latencyMs);
  const startTime = runtime.data?.startTime ? Date.parse(runtime.data.startTime) : Number.NaN;
  if (Number.isFinite(startTime)) uptime = Math.max(0, Math.round((Date.now() - startTime) / 1000));
  if (runtime.data?.reloadConfigSuccess === false) reloadFailed = true;

  const assets: NormalizedAsset[] = [];
  const seen = new Set<string>();
  for (const target of active.slice(0, MAX_TARGETS)) {
    const labels = stringRecord(target.labels);
    const job = labels.job ?? target.scrapePool ?? 'unknown job';
    const instance = labels.instance ?? target.scrapeUrl ?? 'unknown instance';
    let id = target.scrapeUrl ?? `${job}/${instance}`;
    if (seen.has(id)) id = `${id} (${target.scrapePool ?? job})`;
    seen.add(id);
    assets.push({
      external_id: id,
      name: `${job} (${instance})`,
      kind: 'target',
      status: TARGET_STATUS[target.health ?? 'unknown'] ?? 'unknown',
      detail: {
        job, instance, scrape_pool: target.scrapePool ?? null, health: target.health ?? 'unknown', last_error: target.lastError || null,
        last_scrape: target.lastScrape ?? null, last_scrape_duration_s: target.lastScrapeDuration ?? null, scrape_interval: target.scrapeInterval ?? null, labels,
      },
    });
  }

  const total = assets.length;
  const down = assets.filter((a) => a.status === 'offline');
  const unknown = assets.filter((a) => a.status === 'unknown').length;
  let status: SystemStatus;
  let summary: string;
  if (total === 0) {
    status = 'alert';
    summary = 'no active scrape targets';
  } else if (down.length === total) {
    status = 'alert';
    summary = `all ${total} scrape targets down`;
  } else if (down.length > 0) {
    status = 'warning';
    const names = down.slice(0, 3).map((a) => a.name).join(', ');
    summary = `${down.length} of ${total} scrape targets down (${names}${down.length > 3 ? ', …' : ''})`;
  } else if (unknown === total) {
    status = 'warning';
    summary = `none of ${total} scrape targets scraped yet`;
  } else {
    status = 'online';
    summary = unknown > 0 ? `${total - unknown} of ${total} scrape targets up, ${unknown} not scraped yet` : `all ${total} scrape targets up`;
  }
  if (reloadFailed) {
    if (status === 'online') status = 'warning';
    summary += '; the last configuration reload failed';
  }
  return { status, metrics: { uptime, response_time_avg: mean(latencies) }, assets, summary };
}
