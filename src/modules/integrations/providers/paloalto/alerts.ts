import { createHash } from 'node:crypto';
import type { Severity } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { isObject, plainSeverity } from '../common.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { call, sleep, text, toArray, type PaloAltoOptions, type Tracker, type XmlNode } from './client.ts';

/** PAN-OS threat severity → Sentinel severity (unknown values → info). */
export function mapSeverity(value: string): Severity {
  return plainSeverity(value.trim()) ?? 'info';
}

function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** "YYYY/MM/DD HH:MM:SS" in the firewall's time zone (UTC unless given) → epoch ms; NaN when not that format. */
export function parsePanTime(value: string, timeZone?: string): number {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (!timeZone || timeZone === 'UTC') return wall;
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** epoch ms → "YYYY/MM/DD HH:MM:SS" in the firewall's time zone (UTC unless given). */
export function formatPanTime(epochMs: number, timeZone?: string): string {
  const wall = new Date(Math.floor(epochMs / 1000) * 1000 + (timeZone && timeZone !== 'UTC' ? zoneOffsetMs(epochMs, timeZone) : 0));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${wall.getUTCFullYear()}/${p(wall.getUTCMonth() + 1)}/${p(wall.getUTCDate())} ${p(wall.getUTCHours())}:${p(wall.getUTCMinutes())}:${p(wall.getUTCSeconds())}`;
}

function firewallTimeZone(ctx: ProviderContext): string | undefined {
  const tz = ctx.config.timezone;
  if (tz === undefined || tz === null || tz === '') return undefined;
  if (typeof tz !== 'string') throw new ProviderError('config', 'config.timezone must be an IANA time zone name');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ProviderError('config', `config.timezone "${tz}" is not a known time zone`);
  }
  return tz;
}

/** Runs one log-query job to FIN and returns its entries (cancels it on timeout). */
async function runLogJob(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, params: Record<string, string | number>): Promise<XmlNode[]> {
  const enqueued = await call(ctx, o, tracker, { type: 'log', ...params });
  const jobId = text(isObject(enqueued.result) ? enqueued.result.job : undefined).trim();
  if (!/^\d+$/.test(jobId)) throw new ProviderError('bad_response', 'the log query answered without a <job> id');

  const started = Date.now();
  for (let poll = 1; ; poll++) {
    const answer = await call(ctx, o, tracker, { type: 'log', action: 'get', 'job-id': jobId });
    const result = isObject(answer.result) ? answer.result : {};
    const job = isObject(result.job) ? result.job : {};
    const status = text(job.status).trim().toUpperCase();
    if (status === 'FIN') {
      const log = isObject(result.log) ? result.log : undefined;
      const logs = log && isObject(log.logs) ? log.logs : undefined;
      return toArray(logs?.entry as XmlNode | XmlNode[] | undefined).filter(isObject);
    }
    if (status !== 'ACT' && status !== 'PEND') throw new ProviderError('vendor_error', `log query job ${jobId} reported status "${status || 'none'}"`);
    if (poll >= o.maxJobPolls || Date.now() - started + o.jobPollIntervalMs > o.maxJobWaitMs) {
      await call(ctx, o, tracker, { type: 'log', action: 'finish', 'job-id': jobId }).catch(() => undefined);
      throw new ProviderError('timeout', `log query job ${jobId} did not finish within ${Date.now() - started} ms (${poll} polls); it was cancelled`);
    }
    await sleep(o.jobPollIntervalMs);
  }
}

export function normalizeThreat(entry: XmlNode, timeZone?: string): NormalizedAlert {
  const f = (name: string) => text(entry[name]).trim();
  const serial = f('serial') || f('device_name') || 'firewall';
  const seqno = f('seqno') || text(entry['@_logid']).trim();
  const external_id = seqno ? `${serial}:${seqno}` : `${serial}:sha1-${createHash('sha1').update(JSON.stringify(entry)).digest('hex').slice(0, 16)}`;
  const rawTime = f('receive_time') || f('time_generated');
  const time = parsePanTime(rawTime, timeZone);
  if (Number.isNaN(time)) throw new ProviderError('bad_response', `threat log ${external_id} has no usable receive_time ("${rawTime}")`);
  const subtype = f('subtype') || 'threat';
  const threat = f('threatid') || f('threat_name') || 'Unknown threat';
  const vendorSeverity = f('severity');
  const src = f('src') || '?';
  const dst = f('dst');
  const dport = f('dport');
  const parts = [`${src} → ${dst || '?'}${dport ? `:${dport}` : ''}`];
  if (f('app')) parts.push(`app ${f('app')}`);
  if (f('action')) parts.push(`action ${f('action')}`);
  if (f('rule')) parts.push(`rule "${f('rule')}"`);
  const repeat = Number(f('repeatcnt'));
  if (repeat > 1) parts.push(`repeated ${repeat} times`);
  return {
    external_id,
    title: `${threat} (${subtype})`,
    description: parts.join(', '),
    severity: mapSeverity(vendorSeverity),
    vendor_severity: vendorSeverity,
    source: f('thr_category') || subtype,
    time,
    asset: dst || null,
  };
}

export async function fetchAlerts(ctx: ProviderContext, o: PaloAltoOptions, since: number | undefined): Promise<NormalizedAlert[]> {
  const tracker: Tracker = [];
  const timeZone = firewallTimeZone(ctx);
  const from = since !== undefined ? since - o.sinceOverlapMs : Date.now() - o.initialLookbackMs;
  const query = `(receive_time geq '${formatPanTime(from, timeZone)}')`;
  const seen = new Map<string, NormalizedAlert>();
  for (let page = 0; page < o.maxPages; page++) {
    const entries = await runLogJob(ctx, o, tracker, { 'log-type': 'threat', nlogs: o.pageSize, skip: page * o.pageSize, dir: 'backward', query });
    for (const entry of entries) {
      const alert = normalizeThreat(entry, timeZone);
      if (!seen.has(alert.external_id)) seen.set(alert.external_id, alert);
    }
    if (entries.length < o.pageSize) break;
  }
  return [...seen.values()].sort((a, b) => b.time! - a.time!);
}
