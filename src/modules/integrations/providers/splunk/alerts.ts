import { createHash } from 'node:crypto';
import type { Severity } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { plainSeverity } from '../common.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { firstContent, getJson, splunkRequest, type EntryList, type SplunkMessage } from './client.ts';
import { say } from '../../../../platform/languages.ts';

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

/** Search-job roots, tried in order: v2 (Splunk 9.0.1+, where v1 may be disabled), then v1 (older Splunk). */
export const SEARCH_JOB_ROOTS = ['/services/search/v2/jobs', '/services/search/jobs'] as const;

export interface SplunkSearchOptions {
  /** First wait between two job status polls, ms; it doubles up to `maxPollIntervalMs`. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** Longest wait for the job to be DONE, ms; then it is cancelled and the sync fails as timeout. */
  maxJobWaitMs: number;
  /** Rows per results call (`count`). */
  pageSize: number;
  /** Results calls per search; more open notables than pageSize × maxPages fail rather than look resolved. */
  maxPages: number;
}

export const DEFAULT_SEARCH_OPTIONS: SplunkSearchOptions = { pollIntervalMs: 250, maxPollIntervalMs: 2_000, maxJobWaitMs: 60_000, pageSize: 1_000, maxPages: 50 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const truthy = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

/** The first FATAL/ERROR text of a Splunk `messages` list. */
function fatalText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const fatal = (messages as (SplunkMessage | null)[]).find((m) => m?.type === 'FATAL' || m?.type === 'ERROR');
  return fatal ? (fatal.text ?? fatal.type) : undefined;
}

/** POST {root} creates the job (v2, else v1 when v2 is unknown); a rejected search is bad_response with Splunk's text. */
async function createJob(ctx: ProviderContext, form: URLSearchParams): Promise<string> {
  for (const root of SEARCH_JOB_ROOTS) {
    // Creating a job is not idempotent: only Splunk's refusals (the 503 search quota, a 429) are tried again, never an answer lost after the job may exist.
    const res = await splunkRequest(ctx, { method: 'POST', path: root, body: form, retry: 'unprocessed', acceptStatus: [400, 404] });
    if (res.status === 404) continue;
    if (res.status === 400) {
      let text: string | undefined;
      try {
        text = (JSON.parse(res.text) as { messages?: SplunkMessage[] }).messages?.find((m) => typeof m?.text === 'string')?.text;
      } catch {
        // keep the generic text
      }
      throw new ProviderError('bad_response', text ?? 'Splunk rejected the search (HTTP 400)', 400);
    }
    const sid = res.json<{ sid?: unknown }>()?.sid;
    if (typeof sid !== 'string' || sid === '') throw new ProviderError('bad_response', `Splunk: POST ${root} answered without a sid`);
    return `${root}/${encodeURIComponent(sid)}`;
  }
  throw new ProviderError('not_found', say(
    'Splunk: no search jobs endpoint (neither /services/search/v2/jobs nor /services/search/jobs)',
    'Splunk: no hay punto de conexión de búsquedas (ni /services/search/v2/jobs ni /services/search/jobs)',
  ), 404);
}

interface JobContent {
  dispatchState?: string;
  isDone?: unknown;
  isFailed?: unknown;
  messages?: unknown;
}

/** Polls the job until DONE; FAILED is vendor_error with Splunk's message, too long is timeout. */
async function waitForJob(ctx: ProviderContext, job: string, o: SplunkSearchOptions): Promise<void> {
  const started = Date.now();
  for (let wait = o.pollIntervalMs; ; wait = Math.min(wait * 2, o.maxPollIntervalMs)) {
    const { body } = await getJson<EntryList<JobContent>>(ctx, job);
    const content = firstContent(body, 'search job');
    const state = String(content.dispatchState ?? '').toUpperCase();
    if (state === 'FAILED' || truthy(content.isFailed)) throw new ProviderError('vendor_error', `Splunk search failed: ${fatalText(content.messages) ?? 'no reason given'}`);
    if (state === 'DONE' || truthy(content.isDone)) return;
    if (Date.now() - started + wait > o.maxJobWaitMs) throw new ProviderError('timeout', `Splunk search job did not finish within ${o.maxJobWaitMs} ms; it was cancelled`);
    await sleep(wait);
  }
}

/** Every result row of a finished job, `pageSize` at a time (204 = no results). */
async function jobResults(ctx: ProviderContext, job: string, o: SplunkSearchOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (let page = 0; page < o.maxPages; page++) {
    const res = await splunkRequest(ctx, { path: `${job}/results`, query: { output_mode: 'json', count: o.pageSize, offset: page * o.pageSize } });
    // Only 204 means "no results": an empty or odd 200 fails (bad_response) rather than resolve every notable.
    if (res.status === 204) return rows;
    const body = res.json<{ results?: unknown; messages?: unknown }>();
    const fatal = fatalText(body?.messages);
    if (fatal !== undefined) throw new ProviderError('vendor_error', `Splunk search failed: ${fatal}`);
    if (!Array.isArray(body?.results)) throw new ProviderError('bad_response', 'Splunk search results without a results list');
    rows.push(...(body.results as unknown[]).filter((row): row is ResultRow => row !== null && typeof row === 'object' && !Array.isArray(row)));
    if (body.results.length < o.pageSize) return rows;
  }
  // A partial list would make the open notables left out look resolved.
  throw new ProviderError('vendor_error', `Splunk: more than ${o.pageSize * o.maxPages} open notables; refusing to return a partial list`);
}

/** Open notables through a search job: create → poll dispatchState → results by count/offset; the job is deleted after. */
export async function fetchAlerts(ctx: ProviderContext, _since?: number, o: SplunkSearchOptions = DEFAULT_SEARCH_OPTIONS): Promise<NormalizedAlert[]> {
  const job = await createJob(ctx, new URLSearchParams({
    search: NOTABLE_SEARCH,
    earliest_time: NOTABLE_LOOKBACK,
    latest_time: 'now',
    exec_mode: 'normal',
    output_mode: 'json',
  }));
  try {
    await waitForJob(ctx, job, o);
    // A notable repeated in the results is merged by the sync on external_id.
    return (await jobResults(ctx, job, o)).map(normalizeNotable);
  } finally {
    // Frees the job's disk and search slot now instead of at its TTL; cancels it when unfinished.
    await splunkRequest(ctx, { method: 'DELETE', path: job }).catch(() => undefined);
  }
}
