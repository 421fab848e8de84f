import { badRequest, type FieldError } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Grafana's range cap keeps a single panel query bounded. */
const MAX_RANGE_MS = 400 * 86_400_000;

/** "now", "now-6h", "now-15m", epoch milliseconds, or an ISO-8601 time → epoch ms. */
export function parseInstant(value: string, now: number): number | undefined {
  const relative = /^now(?:-(\d{1,6})([smhdw]))?$/.exec(value);
  if (relative) return relative[1] === undefined ? now : now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** A validated [from, to] range; defaults to the last 6 hours. */
export function parseRange(from: string | undefined, to: string | undefined, now = Date.now()): { from: number; to: number } {
  const start = parseInstant(from ?? 'now-6h', now);
  const end = parseInstant(to ?? 'now', now);
  const errors: FieldError[] = [];
  if (start === undefined) errors.push({ field: 'from', message: 'must be an ISO time, epoch milliseconds, or now-<n><s|m|h|d|w>', code: 'time_expression' });
  if (end === undefined) errors.push({ field: 'to', message: 'must be an ISO time, epoch milliseconds, or now-<n><s|m|h|d|w>', code: 'time_expression' });
  if (start !== undefined && end !== undefined) {
    if (start >= end) errors.push({ field: 'from', message: 'must be before to', code: 'before', params: { other: 'to' } });
    else if (end - start > MAX_RANGE_MS) errors.push({ field: 'from', message: 'the range may span at most 400 days', code: 'span_days', params: { limit: MAX_RANGE_MS / 86_400_000 } });
  }
  if (errors.length > 0) throw badRequest(say('The time range is not valid', 'El intervalo de tiempo no es válido'), errors);
  return { from: start!, to: end! };
}
