import { createRequire } from 'node:module';
import type * as FastXmlParser from 'fast-xml-parser';
import { ProviderError, type ProviderErrorKind, type VendorRequest, type VendorResponse } from '../../vendor-http.ts';
import { forgetCredential, isObject, issuedCredential, keptCredential } from '../common.ts';
import type { ProviderContext } from '../types.ts';

export interface PaloAltoOptions {
  /** Entries asked per log-query job (`nlogs`, PAN-OS max 5000). */
  pageSize: number;
  /** Most log-query jobs (pages) per fetchAlerts. */
  maxPages: number;
  /** Wait between two polls of a running log-query job, ms. */
  jobPollIntervalMs: number;
  /** Most polls of one job before giving up. */
  maxJobPolls: number;
  /** Longest wait for one job to reach FIN, ms. */
  maxJobWaitMs: number;
  /** Look-back of the first alert fetch (no `since`), ms. */
  initialLookbackMs: number;
  /**
   * Overlap subtracted from `since`, ms: logs reach the log database a little after their
   * receive_time, so the window reaches back a bit (re-read logs keep their external_id).
   */
  sinceOverlapMs: number;
  /** Extra attempts after an HTTP 500 (the vendor client already retries 429/502-504). */
  serverErrorRetries: number;
  serverErrorBackoffMs: number;
}

export const DEFAULT_OPTIONS: PaloAltoOptions = {
  pageSize: 500,
  maxPages: 20,
  jobPollIntervalMs: 500,
  maxJobPolls: 60,
  maxJobWaitMs: 30_000,
  initialLookbackMs: 24 * 3600_000,
  sinceOverlapMs: 120_000,
  serverErrorRetries: 2,
  serverErrorBackoffMs: 250,
};

const KEY_STATE = 'paloalto.key';

// ---------------------------------------------------------------------------------------------
// XML parsing and PAN-OS error mapping

// fast-xml-parser is loaded at the first PAN-OS answer, not at start-up (most deployments have no firewall).
let xml: { parser: FastXmlParser.XMLParser; validator: typeof FastXmlParser.XMLValidator } | undefined;
function loadXml() {
  if (xml === undefined) {
    const { XMLParser, XMLValidator } = createRequire(import.meta.url)('fast-xml-parser') as typeof FastXmlParser;
    xml = {
      parser: new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true }),
      validator: XMLValidator,
    };
  }
  return xml;
}

export type XmlNode = Record<string, unknown>;

/** The text of an element: plain string, or `#text` of an element that also has attributes. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isObject(value) && value['#text'] !== undefined) return text(value['#text']);
  return '';
}

/** Every text under a node, in order (for `<msg><line>…</line><line>…</line></msg>`). */
function allText(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(allText);
  if (isObject(value)) return Object.entries(value).filter(([k]) => !k.startsWith('@_')).flatMap(([, v]) => allText(v));
  return [];
}

export function toArray<T>(value: T | T[] | undefined | null | ''): T[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** What the published PAN-OS XML API error codes mean, and which ProviderError kind each becomes. */
const ERROR_CODES: Record<string, { name: string; kind: ProviderErrorKind }> = {
  '400': { name: 'bad request', kind: 'bad_response' },
  '403': { name: 'forbidden', kind: 'auth' },
  '1': { name: 'unknown command', kind: 'bad_response' },
  '2': { name: 'internal error', kind: 'vendor_error' },
  '3': { name: 'internal error', kind: 'vendor_error' },
  '4': { name: 'internal error', kind: 'vendor_error' },
  '5': { name: 'internal error', kind: 'vendor_error' },
  '6': { name: 'bad xpath', kind: 'bad_response' },
  '7': { name: 'object not present', kind: 'bad_response' },
  '16': { name: 'unauthorized', kind: 'auth' },
  '17': { name: 'invalid command', kind: 'bad_response' },
  '18': { name: 'malformed command', kind: 'bad_response' },
  '22': { name: 'session timed out', kind: 'auth' },
};

/** Marks the errors after which a key generated from username/password is worth regenerating. */
class KeyRejected extends ProviderError {}

/**
 * The ProviderError for `<response status="error" code="…">`: kind from the code (or the message
 * when there is no code), message with the vendor's own words.
 */
export function panError(code: string | undefined, msg: string, httpStatus?: number): ProviderError {
  const credential = /invalid credential/i.test(msg);
  const timedOut = /session (has )?timed out/i.test(msg);
  const known = code !== undefined ? ERROR_CODES[code] : undefined;
  const kind: ProviderErrorKind = credential || timedOut ? 'auth' : (known?.kind ?? 'vendor_error');
  const what = known ? `${known.name} (code ${code})` : code !== undefined ? `error code ${code}` : 'error';
  const message = `PAN-OS ${what}${msg ? `: ${msg}` : ''}`;
  if (kind === 'auth' && (code === '403' || code === '22' || code === '16' || credential || timedOut)) return new KeyRejected('auth', message, httpStatus);
  return new ProviderError(kind, message, httpStatus);
}

/**
 * Parses a PAN-OS answer and returns its `<response>` node when status="success"; throws the
 * mapped ProviderError for status="error" (even with HTTP 200) or anything that is not the
 * documented envelope.
 */
export function parseResponse(body: string, httpStatus: number, redact: (s: string) => string = (s) => s): XmlNode {
  const trimmed = body.trim();
  const { parser, validator } = loadXml();
  const valid = trimmed.startsWith('<') ? validator.validate(trimmed) : false;
  if (valid !== true) {
    if (httpStatus === 401 || httpStatus === 403) throw new KeyRejected('auth', `credentials rejected (HTTP ${httpStatus})`, httpStatus);
    throw new ProviderError('bad_response', `the firewall answered something that is not XML (HTTP ${httpStatus})`, httpStatus);
  }
  const doc = parser.parse(trimmed) as XmlNode;
  const response = doc.response;
  if (!isObject(response)) throw new ProviderError('bad_response', `the firewall answered XML without a <response> element (HTTP ${httpStatus})`, httpStatus);
  const status = text(response['@_status']);
  const code = response['@_code'] === undefined ? undefined : text(response['@_code']);
  // A request PAN-OS does not authorise answers status="unauth" (code 16), not "error".
  if (status === 'error' || status === 'unauth') {
    const result = isObject(response.result) ? response.result : undefined;
    const msgNode = result?.msg ?? response.msg ?? result;
    const msg = redact(allText(msgNode).join(' ').replace(/\s+/g, ' ').trim()).slice(0, 300);
    throw panError(code, msg, httpStatus);
  }
  if (status !== 'success') throw new ProviderError('bad_response', `the firewall answered status="${status}" (HTTP ${httpStatus})`, httpStatus);
  if (httpStatus === 401 || httpStatus === 403) throw new KeyRejected('auth', `credentials rejected (HTTP ${httpStatus})`, httpStatus);
  if (httpStatus < 200 || httpStatus >= 300) throw new ProviderError('bad_response', `unexpected HTTP ${httpStatus}`, httpStatus);
  return response;
}

// ---------------------------------------------------------------------------------------------
// Calls

interface Credentials {
  username: string;
  password: string;
}

function credentials(ctx: ProviderContext): { apiKey: string } | Credentials {
  const secret = ctx.secret;
  if (typeof secret === 'string' && secret.trim() !== '') return { apiKey: secret.trim() };
  if (secret && typeof secret === 'object' && typeof secret.username === 'string' && typeof secret.password === 'string' && secret.username && secret.password) {
    return { username: secret.username, password: secret.password };
  }
  throw new ProviderError('config', 'PAN-OS needs an API key or a username and password');
}

function redactor(ctx: ProviderContext, extra: string[] = []): (s: string) => string {
  const secrets: string[] = [...extra];
  const secret = ctx.secret;
  if (typeof secret === 'string') secrets.push(secret);
  else if (secret && typeof secret === 'object') secrets.push(...Object.values(secret));
  const kept = keptCredential(ctx, KEY_STATE);
  if (kept) secrets.push(kept);
  return (s) => secrets.filter((v) => v.length >= 4).reduce((acc, v) => acc.split(v).join('***'), s);
}


/** Latencies of the calls made for one report (for response_time_avg). */
export type Tracker = number[];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, req: VendorRequest): Promise<VendorResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await ctx.http.request({ ...req, acceptStatus: [400, 401, 403] });
      tracker.push(res.latencyMs);
      return res;
    } catch (error) {
      if (error instanceof ProviderError && error.status === 500 && attempt < o.serverErrorRetries) {
        await sleep(o.serverErrorBackoffMs * 2 ** attempt);
        continue;
      }
      throw error;
    }
  }
}

async function keygen(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, creds: Credentials): Promise<string> {
  const res = await send(ctx, o, tracker, {
    method: 'POST',
    path: '/api/',
    query: { type: 'keygen' },
    body: new URLSearchParams({ user: creds.username, password: creds.password }),
    headers: { accept: 'application/xml' },
    retry: true,
  });
  let response: XmlNode;
  try {
    response = parseResponse(res.text, res.status, redactor(ctx));
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'auth') throw new ProviderError('auth', `key generation refused: ${error.message}`, error.status);
    throw error;
  }
  const key = text(isObject(response.result) ? response.result.key : undefined);
  if (!key) throw new ProviderError('bad_response', 'the keygen answer has no <key>');
  return key;
}

/** The key to use: the secret itself, or a cached / freshly generated one. */
async function apiKey(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker): Promise<{ key: string; fresh: boolean }> {
  const creds = credentials(ctx);
  if ('apiKey' in creds) return { key: creds.apiKey, fresh: false };
  return issuedCredential(ctx, KEY_STATE, creds, () => keygen(ctx, o, tracker, creds));
}

/**
 * One authenticated XML API call (GET /api/ with X-PAN-KEY). A key generated from
 * username/password that the firewall rejects (403, Invalid Credential, session timed out, 16
 * unauthorized) is regenerated once and the call retried.
 */
export async function call(ctx: ProviderContext, o: PaloAltoOptions, tracker: Tracker, query: Record<string, string | number>): Promise<XmlNode> {
  for (let rekeyed = false; ; rekeyed = true) {
    const { key, fresh } = await apiKey(ctx, o, tracker);
    try {
      const res = await send(ctx, o, tracker, { method: 'GET', path: '/api/', query, headers: { 'X-PAN-KEY': key, accept: 'application/xml' } });
      return parseResponse(res.text, res.status, redactor(ctx, [key]));
    } catch (error) {
      if (error instanceof KeyRejected && !rekeyed && !fresh && !('apiKey' in credentials(ctx))) {
        forgetCredential(ctx, KEY_STATE, key);
        continue;
      }
      throw error;
    }
  }
}
