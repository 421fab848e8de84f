import { createHash } from 'node:crypto';
import type { Severity } from '../../security-domain/vocabulary.ts';
import { ProviderError, type ProviderErrorKind } from '../vendor-http.ts';
import type { CheckResult, ProviderContext } from './types.ts';

/** Helpers every provider uses: parsing vendor JSON, credentials, latencies, the connection check. */

export const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The string-valued entries of an object (labels, annotations); anything else is dropped. */
export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  }
  return out;
}

/** The rounded mean of call latencies in ms; null when no call was made. */
export function mean(values: number[]): number | null {
  return values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
}

/** The integration's credential when it is a single string (token, API key); `missing` says which. */
export function secretString(ctx: ProviderContext, missing: string): string {
  if (typeof ctx.secret !== 'string' || ctx.secret.trim() === '') throw new ProviderError('config', missing);
  return ctx.secret.trim();
}

/** Severity words most vendors use as they are ("informational" for info). */
const PLAIN_SEVERITIES: Record<string, Severity> = { critical: 'critical', high: 'high', medium: 'medium', low: 'low', informational: 'info', info: 'info' };

/** A vendor's severity word → Sentinel's severity when it is one of the plain ones (any case). */
export function plainSeverity(word: string): Severity | undefined {
  return PLAIN_SEVERITIES[word.toLowerCase()];
}

/**
 * Runs a connection check: a vendor failure (ProviderError) becomes `ok: false` with `describe`'s
 * text and the time spent; `probe` gets the elapsed-time clock for its own result.
 */
export async function checkConnection(probe: (elapsed: () => number) => Promise<CheckResult>, describe: (error: ProviderError) => string = (error) => error.message): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    return await probe(elapsed);
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, latency_ms: elapsed(), detail: describe(error), reason: error.kind };
    throw error;
  }
}

/** A failed check in words: the vendor's own wording for some kinds, the same phrasing for every vendor otherwise. */
export function describeFailure(vendor: string, error: ProviderError, own: Partial<Record<ProviderErrorKind, string>>): string {
  const text = own[error.kind];
  if (text !== undefined) return text;
  if (error.kind === 'unreachable') return `${vendor} is unreachable: ${error.message}`;
  if (error.kind === 'timeout') return `${vendor} did not answer in time: ${error.message}`;
  return error.message;
}

/** A credential a vendor issues for a username and password (a session or an API key), kept in ctx.state. */
interface IssuedCredential {
  /** Hash of the username and password: changed credentials never reuse what the old ones obtained. */
  owner: string;
  key?: string;
  pending?: Promise<string>;
}

/**
 * The credential kept under `stateKey` for this username and password, or a new one from `obtain`:
 * concurrent calls share one login, and a failed login is not kept. `fresh` says it was just
 * obtained (the vendor refusing it then means the credentials are wrong, not that it expired).
 */
export async function issuedCredential(ctx: ProviderContext, stateKey: string, login: { username: string; password: string }, obtain: () => Promise<string>): Promise<{ key: string; fresh: boolean }> {
  const owner = createHash('sha256').update(`${login.username}\0${login.password}`).digest('hex');
  const cached = ctx.state.get(stateKey) as IssuedCredential | undefined;
  if (cached?.owner === owner && cached.key) return { key: cached.key, fresh: false };
  if (cached?.owner === owner && cached.pending) return { key: await cached.pending, fresh: true };
  const entry: IssuedCredential = { owner };
  entry.pending = obtain().then(
    (key) => {
      entry.key = key;
      delete entry.pending;
      return key;
    },
    (error: unknown) => {
      if (ctx.state.get(stateKey) === entry) ctx.state.delete(stateKey);
      throw error;
    },
  );
  ctx.state.set(stateKey, entry);
  return { key: await entry.pending, fresh: true };
}

/** The credential kept under `stateKey`, if one was obtained. */
export const keptCredential = (ctx: ProviderContext, stateKey: string): string | undefined => (ctx.state.get(stateKey) as IssuedCredential | undefined)?.key;

/** Forgets the kept credential when it is `key` (the vendor refused it), so the next call obtains another. */
export function forgetCredential(ctx: ProviderContext, stateKey: string, key: string): void {
  if (keptCredential(ctx, stateKey) === key) ctx.state.delete(stateKey);
}
