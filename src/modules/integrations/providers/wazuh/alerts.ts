import type { Severity } from '../../../security-domain/vocabulary.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { get, parseTime, searchHits, str, WazuhSession, type SearchHit } from './client.ts';

/** Alerts: only rule.level >= this (Wazuh's own dashboards treat 7+ as noteworthy; 0-6 is mostly noise). */
export const MIN_ALERT_LEVEL = 7;
/** Alerts window without `since`, and the furthest back a `since` may reach. */
export const DEFAULT_ALERT_WINDOW_MS = 24 * 3600_000;
export const MAX_ALERT_WINDOW_MS = 7 * 24 * 3600_000;
/** Re-read this much before `since`: alerts reach the indexer some time after their timestamp. */
export const ALERT_OVERLAP_MS = 5 * 60_000;
export const ALERTS_PAGE_SIZE = 500;
/** At most 10 000 alerts (the newest) per call. */
export const MAX_ALERT_PAGES = 20;
export const ALERTS_INDEX = 'wazuh-alerts-4.x-*';

/** rule.level → severity (docs/providers/wazuh.md). */
export function levelSeverity(level: number): Severity {
  if (level >= 12) return 'critical';
  if (level >= 10) return 'high';
  if (level >= 7) return 'medium';
  if (level >= 4) return 'low';
  return 'info';
}

export function alertFromHit(hit: SearchHit): NormalizedAlert | null {
  const src = hit._source ?? {};
  const externalId = str(src.id) ?? (hit._id ? `${hit._index ?? ''}/${hit._id}` : undefined);
  const time = parseTime(src.timestamp) ?? parseTime(src['@timestamp']);
  if (!externalId || time === undefined) return null;
  const levelRaw = get(src, 'rule.level');
  const level = typeof levelRaw === 'number' ? levelRaw : Number(levelRaw);
  const ruleId = get(src, 'rule.id');
  const groups = get(src, 'rule.groups');
  const title = str(get(src, 'rule.description')) ?? `Wazuh rule ${String(ruleId ?? '?')}`;
  const location = str(src.location);
  return {
    external_id: externalId,
    title,
    description: str(src.full_log) ?? (location ? `${title} (${location})` : title),
    severity: Number.isFinite(level) ? levelSeverity(level) : 'info',
    vendor_severity: `level ${Number.isFinite(level) ? level : String(levelRaw)}`,
    source: `rule ${String(ruleId ?? '?')}${Array.isArray(groups) && groups.length ? ` (${groups.join(', ')})` : ''}`,
    time,
    asset: str(get(src, 'agent.name')) ?? str(get(src, 'agent.id')) ?? null,
  };
}

export async function fetchAlerts(ctx: ProviderContext, since: number | undefined): Promise<NormalizedAlert[]> {
  const session = new WazuhSession(ctx);
  const now = Date.now();
  const from = since === undefined ? 'now-24h' : new Date(Math.max(since - ALERT_OVERLAP_MS, now - MAX_ALERT_WINDOW_MS)).toISOString();
  const alerts = new Map<string, NormalizedAlert>();
  let searchAfter: unknown[] | undefined;
  for (let page = 0; page < MAX_ALERT_PAGES; page++) {
    const res = await session.indexer({
      method: 'POST',
      path: `/${ALERTS_INDEX}/_search`,
      body: {
        size: ALERTS_PAGE_SIZE,
        // `id` (keyword) breaks timestamp ties so search_after never skips or repeats an alert.
        sort: [{ timestamp: { order: 'desc' } }, { id: { order: 'desc', unmapped_type: 'keyword' } }],
        query: { bool: { filter: [{ range: { timestamp: { gte: from } } }, { range: { 'rule.level': { gte: MIN_ALERT_LEVEL } } }] } },
        _source: ['id', 'timestamp', '@timestamp', 'rule.id', 'rule.level', 'rule.description', 'rule.groups', 'agent.id', 'agent.name', 'full_log', 'location'],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      },
    });
    const { hits } = searchHits(res, ALERTS_INDEX);
    for (const hit of hits) {
      const alert = alertFromHit(hit);
      if (alert && !alerts.has(alert.external_id)) alerts.set(alert.external_id, alert);
    }
    const last = hits[hits.length - 1];
    if (hits.length < ALERTS_PAGE_SIZE || !last || !Array.isArray(last.sort)) break;
    searchAfter = last.sort;
  }
  return [...alerts.values()];
}
