import { createHash } from 'node:crypto';
import type { Severity } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { plainSeverity } from '../common.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { splunkRequest, type SplunkMessage } from './client.ts';

/** The search that lists open notables: the `notable` macro merges the incident-review state. */
export const NOTABLE_SEARCH = 'search `notable` | search status_end="false"';

type ResultValue = string | string[] | undefined;
type ResultRow = Record<string, ResultValue>;

function first(value: ResultValue): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function joined(value: ResultValue): string | undefined {
  if (Array.isArray(value)) return value.length > 0 ? value.map(String).join(', ') : undefined;
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // _time is ISO 8601 with an offset in JSON output; accept epoch seconds too ("1715682093.000").
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses the export endpoint's NDJSON: keeps final rows (`preview` false or absent), skips preview
 * sets, and turns FATAL/ERROR messages into a ProviderError (a partial result set would make open
 * notables look resolved).
 */
export function parseExportStream(text: string): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let obj: { preview?: boolean; result?: ResultRow; messages?: SplunkMessage[] };
    try {
      obj = JSON.parse(trimmed) as typeof obj;
    } catch {
      throw new ProviderError('bad_response', 'Splunk export stream: a line is not JSON');
    }
    if (obj === null || typeof obj !== 'object') throw new ProviderError('bad_response', 'Splunk export stream: a line is not a JSON object');
    const fatal = (obj.messages ?? []).find((m) => m?.type === 'FATAL' || m?.type === 'ERROR');
    if (fatal) throw new ProviderError('vendor_error', `Splunk search failed: ${fatal.text ?? fatal.type}`);
    if (obj.preview === true) continue;
    if (obj.result !== undefined && obj.result !== null && typeof obj.result === 'object') rows.push(obj.result);
  }
  return rows;
}

export function normalizeNotable(row: ResultRow): NormalizedAlert {
  const urgency = first(row.urgency);
  const fallback = first(row.severity);
  // ES urgency first; when absent or unknown, the correlation search's own severity; else low.
  const severity: Severity = (urgency !== undefined ? plainSeverity(urgency) : undefined) ?? (fallback !== undefined ? plainSeverity(fallback) : undefined) ?? 'low';
  const vendorSeverity = urgency ?? fallback ?? '';

  const time = parseTime(first(row._time));
  if (time === undefined) throw new ProviderError('bad_response', 'Splunk notable without a usable _time');

  const ruleName = first(row.rule_name);
  const asset = first(row.dest) ?? first(row.src) ?? first(row.host) ?? null;
  const eventId =
    first(row.event_id) ??
    `derived:${createHash('sha1').update([ruleName ?? '', first(row._time) ?? '', asset ?? '', first(row.orig_sid) ?? '', first(row.orig_rid) ?? ''].join('\u0000')).digest('hex')}`;

  return {
    external_id: eventId,
    title: first(row.rule_title) ?? ruleName ?? first(row.search_name) ?? 'Splunk notable event',
    description: joined(row.rule_description) ?? '',
    severity,
    vendor_severity: vendorSeverity,
    source: ruleName ?? first(row.security_domain) ?? first(row.source) ?? 'splunk',
    time,
    asset,
  };
}

/**
 * How far back open notables are looked for. The window filters on the notable's creation time, so
 * it is fixed (not "since the last sync"): every sync then sees every open notable of the window,
 * and one an analyst closed is absent and resolved by the sync.
 */
export const NOTABLE_LOOKBACK = '-30d';

export async function fetchAlerts(ctx: ProviderContext): Promise<NormalizedAlert[]> {
  const form = new URLSearchParams({
    search: NOTABLE_SEARCH,
    earliest_time: NOTABLE_LOOKBACK,
    latest_time: 'now',
    output_mode: 'json',
  });
  // The export is read-only, so retrying a 503 (search concurrency quota) is safe.
  const res = await splunkRequest(ctx, {
    method: 'POST',
    path: '/services/search/v2/jobs/export',
    body: form,
    retry: true,
    acceptStatus: [400],
  });
  if (res.status === 400) {
    let text = 'Splunk rejected the search (HTTP 400)';
    try {
      const body = JSON.parse(res.text) as { messages?: SplunkMessage[] };
      const msg = body.messages?.find((m) => typeof m?.text === 'string');
      if (msg?.text) text = msg.text;
    } catch {
      // keep the generic text
    }
    throw new ProviderError('bad_response', text, 400);
  }

  // A notable repeated in the stream is merged by the sync on external_id.
  return parseExportStream(res.text).map(normalizeNotable);
}
