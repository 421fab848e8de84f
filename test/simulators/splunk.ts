import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, sendText, startSimulator, type SimRequest, type Simulator } from './base.ts';

/*
 * Splunk Enterprise (+ ES) management-port simulator: Bearer-token auth or session keys from
 * /services/auth/login (401 once idle past the session timeout), server/info, the splunkd
 * health tree, and the streaming v2 export endpoint answering NDJSON in several chunks (a preview
 * set first, then the final rows) over mutable ES notables, which `notable_update` can close. The v1 search endpoints answer 404 as
 * on Splunk 9.0.1+ where they are disabled.
 */

export type SplunkValue = string | string[];
/** A notable as the `notable` macro returns it: every value a string, multivalue fields arrays. */
export type SplunkNotable = Record<string, SplunkValue>;

export type HealthColour = 'green' | 'yellow' | 'red' | 'grey';
export interface SplunkHealthNode {
  health: HealthColour;
  features?: Record<string, SplunkHealthNode>;
}

export interface SplunkSimData {
  /** entry[0].content of /services/server/info (typed values, as Splunk sends them there). */
  serverInfo: Record<string, unknown>;
  /** entry[0].content of /services/server/health/splunkd. */
  health: SplunkHealthNode;
  /** Every notable in index=notable (open and closed); the export search filters them. */
  notables: SplunkNotable[];
}

export interface SplunkSimControl {
  /** The next N export searches answer 503 (search concurrency quota reached). */
  quotaFailures: number;
  /** When set, the export stream reports this FATAL message after the first chunk. */
  streamFatal?: string;
  /** Delay between the chunks of an export stream, ms. */
  chunkDelayMs: number;
  /** Whether the health endpoint exists (false: 404, as on instances without the health report). */
  healthEndpoint: boolean;
  /** Whether Enterprise Security is installed (false: the `notable` macro does not exist → 400). */
  esInstalled: boolean;
  /** A session key unused for this long answers 401 (Splunk's session timeout, 1 h by default). */
  sessionIdleMs: number;
}

export interface SplunkSimulator extends Simulator {
  data: SplunkSimData;
  control: SplunkSimControl;
  token: string;
  /** Users that may log in through /services/auth/login (username → password). */
  users: Record<string, string>;
  /** Live session keys → when each was last used (epoch ms). */
  sessions: Map<string, number>;
  /** The export searches received (search, earliest_time, latest_time), for assertions. */
  searches: { search: string; earliest_time: string | null; latest_time: string | null }[];
}

export const QUOTA_TEXT =
  'Search not executed: The maximum number of concurrent historical searches on this instance has been reached., concurrency_category="historical", concurrency_context="instance-wide", current_concurrency=3, concurrency_limit=3';

export const MISSING_MACRO_TEXT =
  'Error in \'SearchParser\': The search specifies a macro \'notable\' that cannot be found. Reasons include: the macro name is misspelled, you do not have "read" permission for the macro, or the macro has not been shared with this application. Click Settings, Advanced search, Search Macros to view macro information.';

const UNAUTHENTICATED = { messages: [{ type: 'WARN', text: 'call not properly authenticated' }] };

/** Splunk's `_time` in JSON output: ISO 8601 with milliseconds and a numeric offset. */
export function splunkTime(ms: number, offsetMinutes = 0): string {
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', '');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function notable(fields: {
  id: string;
  at: number;
  offset?: number;
  rule: string;
  title?: string;
  description: string;
  urgency: string;
  severity: string;
  domain: string;
  src?: SplunkValue;
  dest?: SplunkValue;
  host?: string;
  user?: string;
  closed?: boolean;
}): SplunkNotable {
  const row: SplunkNotable = {
    _time: splunkTime(fields.at, fields.offset ?? 0),
    event_id: `${fields.id}@@notable@@${fields.id.replace(/-/g, '').slice(0, 32)}`,
    rule_id: `${fields.id}@@notable@@${fields.id.replace(/-/g, '').slice(0, 32)}`,
    rule_name: fields.rule,
    rule_title: fields.title ?? '',
    rule_description: fields.description,
    search_name: `${fields.domain[0]!.toUpperCase()}${fields.domain.slice(1)} - ${fields.rule} - Rule`,
    security_domain: fields.domain,
    severity: fields.severity,
    urgency: fields.urgency,
    risk_score: fields.urgency === 'critical' ? '100' : fields.urgency === 'high' ? '80' : '40',
    host: fields.host ?? 'es-sh-01',
    index: 'notable',
    source: `${fields.domain} - ${fields.rule} - Rule`,
    sourcetype: 'stash',
    orig_sid: `scheduler__admin__SplunkEnterpriseSecuritySuite__RMD5${fields.id.slice(0, 12)}`,
    orig_rid: '0',
    owner: 'unassigned',
    status: fields.closed ? '5' : '1',
    status_label: fields.closed ? 'Closed' : 'New',
    status_end: fields.closed ? 'true' : 'false',
    count: '1',
  };
  if (fields.src !== undefined) row.src = fields.src;
  if (fields.dest !== undefined) row.dest = fields.dest;
  if (fields.user !== undefined) row.user = fields.user;
  return row;
}

/** Realistic default data: a healthy search head and ES notables of every urgency, open and closed. */
export function defaultSplunkData(now = Date.now()): SplunkSimData {
  const min = 60_000;
  return {
    serverInfo: {
      activeLicenseGroup: 'Enterprise',
      build: 'd8ae995bf219',
      cpu_arch: 'x86_64',
      guid: '6F4A2C1E-9B3D-4E8F-A1C2-3D4E5F6A7B8C',
      health_info: 'green',
      host: 'es-sh-01',
      host_fqdn: 'es-sh-01.corp.example',
      kvStoreStatus: 'ready',
      licenseState: 'OK',
      mode: 'normal',
      numberOfCores: 16,
      os_name: 'Linux',
      physicalMemoryMB: 64_000,
      product_type: 'enterprise',
      serverName: 'es-sh-01',
      server_roles: ['search_head', 'kv_store', 'license_master'],
      startup_time: Math.floor(now / 1000) - 3 * 86_400,
      version: '9.2.1',
    },
    health: {
      health: 'green',
      features: {
        'File Monitor Input': { health: 'green', features: { 'Forwarder Ingestion Latency': { health: 'green' }, 'Large and Archive File Reader-0': { health: 'green' } } },
        'Index Processor': { health: 'green', features: { 'Buckets': { health: 'green' }, 'Disk Space': { health: 'green' } } },
        'Search Scheduler': { health: 'green', features: { 'Search Lag': { health: 'green' }, 'Searches Delayed': { health: 'green' }, 'Searches Skipped in the last 24 hours': { health: 'green' } } },
        'Workload Management': { health: 'grey' },
      },
    },
    notables: [
      notable({ id: '0C8E1F5A-2B3C-4D5E-8F90-A1B2C3D4E5F6', at: now - 5 * min, rule: 'Brute Force Access Behavior Detected', title: 'Brute force against vpn-gw-01 from 203.0.113.45', description: 'The system has detected brute force behavior: a large number of failed logins followed by a success.', urgency: 'critical', severity: 'high', domain: 'access', src: '203.0.113.45', dest: 'vpn-gw-01', user: 'jdoe' }),
      notable({ id: '1D9F2A6B-3C4D-5E6F-9A01-B2C3D4E5F6A7', at: now - 42 * min, offset: 120, rule: 'Excessive Failed Logins', description: 'A source has failed to log in more than 6 times in 1 hour.', urgency: 'high', severity: 'medium', domain: 'access', src: ['10.20.1.15', '10.20.1.16'], user: 'svc_backup' }),
      notable({ id: '2EA03B7C-4D5E-6F70-AB12-C3D4E5F6A7B8', at: now - 2 * 60 * min, offset: -300, rule: 'Malware Infection Detected', title: 'Trojan.GenericKD on ws-0442', description: 'An endpoint reported a high-severity malware infection that was not cleaned.', urgency: 'medium', severity: 'high', domain: 'endpoint', dest: ['ws-0442', 'ws-0442.corp.example'] }),
      notable({ id: '3FB14C8D-5E6F-7081-BC23-D4E5F6A7B8C9', at: now - 3 * 60 * min, rule: 'Unusual Volume of Network Activity', description: 'Network traffic volume is far above the baseline for this host.', urgency: 'low', severity: 'low', domain: 'network', host: 'fw-edge-02' }),
      notable({ id: '40C25D9E-6F70-8192-CD34-E5F6A7B8C9D0', at: now - 6 * 60 * min, rule: 'Abnormally High Number of Endpoint Changes By User', description: 'Informational: many configuration changes by one user.', urgency: 'informational', severity: 'informational', domain: 'endpoint', src: 'adm-laptop-7', dest: 'db-prod-01', user: 'alice' }),
      // Closed: the incident review marked it done, so the open-notable search leaves it out.
      notable({ id: '51D36EAF-7081-92A3-DE45-F6A7B8C9D0E1', at: now - 30 * min, rule: 'Threat Activity Detected', description: 'Traffic to a known-bad IP from the threat intelligence feed.', urgency: 'high', severity: 'high', domain: 'threat', src: '10.0.4.12', dest: '198.51.100.77', closed: true }),
      // Older than the default 24 h window.
      notable({ id: '62E47FB0-8192-A3B4-EF56-A7B8C9D0E1F2', at: now - 3 * 86_400_000, rule: 'Host With Excessive Number of Listening Ports', description: 'A host is listening on an unusual number of ports.', urgency: 'medium', severity: 'medium', domain: 'network', dest: 'legacy-app-03' }),
    ],
  };
}

/** Marks a notable closed in the incident review (status_end flips to "true"). */
export function resolveNotable(data: SplunkSimData, eventId: string): void {
  const row = data.notables.find((n) => n.event_id === eventId);
  if (!row) throw new Error(`no notable ${eventId}`);
  row.status = '4';
  row.status_label = 'Resolved';
  row.status_end = 'true';
}

const ORDER: HealthColour[] = ['grey', 'green', 'yellow', 'red'];
function recompute(node: SplunkHealthNode): HealthColour {
  if (node.features && Object.keys(node.features).length > 0) {
    let worst: HealthColour = 'green';
    for (const child of Object.values(node.features)) {
      const c = recompute(child);
      if (ORDER.indexOf(c) > ORDER.indexOf(worst)) worst = c;
    }
    node.health = worst;
  }
  return node.health;
}

/** Sets a feature's colour (path from the root, e.g. ['Search Scheduler', 'Search Lag']) and rolls it up. */
export function setFeatureHealth(data: SplunkSimData, path: string[], colour: HealthColour): void {
  let node = data.health;
  for (const name of path) {
    const next = node.features?.[name];
    if (!next) throw new Error(`no health feature ${path.join(' > ')}`);
    node = next;
  }
  node.health = colour;
  recompute(data.health);
  data.serverInfo.health_info = data.health.health;
}

const KNOWN_COMMANDS = new Set(['search', 'where', 'table', 'fields', 'eval', 'head', 'tail', 'sort', 'stats', 'tstats', 'rename', 'dedup', 'inputlookup', 'lookup', 'rex', 'fillnull', 'makeresults']);

/** Splunk relative/absolute time modifiers used by the export endpoint → epoch ms. */
function parseTimeModifier(value: string | null, now: number): number | undefined {
  if (value === null || value === '' || value === '0') return undefined;
  if (value === 'now') return now;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const rel = /^-(\d+)(s|m|h|d|w)$/.exec(value);
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * unit;
  }
  return Number.NaN;
}

function entryFeed(path: string, name: string, content: unknown) {
  return {
    links: {},
    origin: `https://127.0.0.1:8089${path}`,
    updated: new Date().toISOString(),
    generator: { build: 'd8ae995bf219', version: '9.2.1' },
    entry: [{
      name,
      id: `https://127.0.0.1:8089${path}/${name}`,
      updated: new Date().toISOString(),
      links: { alternate: `${path}/${name}`, list: `${path}/${name}` },
      author: 'system',
      acl: { app: '', can_list: true, can_write: true, modifiable: false, owner: 'system', perms: { read: ['*'], write: [] }, removable: false, sharing: 'system' },
      content,
    }],
    paging: { total: 1, perPage: 30, offset: 0 },
    messages: [],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function streamExport(sim: { data: SplunkSimData; control: SplunkSimControl; searches: SplunkSimulator['searches'] }, req: SimRequest, res: ServerResponse): Promise<void> {
  const params = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
  const search = (params.get('search') ?? '').trim();
  sim.searches.push({ search, earliest_time: params.get('earliest_time'), latest_time: params.get('latest_time') });
  if (search === '') return sendJson(res, 400, { messages: [{ type: 'FATAL', text: 'Empty search.' }] });
  const first = /^\S+/.exec(search)?.[0] ?? '';
  if (first !== 'search' && !first.startsWith('|')) return sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Unknown search command '${first}'.` }] });
  for (const segment of search.split('|').slice(1)) {
    const cmd = /^\s*(\S+)/.exec(segment)?.[1] ?? '';
    if (cmd !== '' && !KNOWN_COMMANDS.has(cmd)) return sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Unknown search command '${cmd}'.` }] });
  }
  if (!sim.control.esInstalled && search.includes('`notable`')) return sendJson(res, 400, { messages: [{ type: 'FATAL', text: MISSING_MACRO_TEXT }] });
  if (sim.control.quotaFailures > 0) {
    sim.control.quotaFailures--;
    return sendJson(res, 503, { messages: [{ type: 'ERROR', text: QUOTA_TEXT }] });
  }
  if ((params.get('output_mode') ?? 'xml') !== 'json') return sendText(res, 400, '<response><messages><msg type="ERROR">this simulator only streams output_mode=json</msg></messages></response>', 'text/xml');

  const now = Date.now();
  const earliest = parseTimeModifier(params.get('earliest_time'), now);
  const latest = parseTimeModifier(params.get('latest_time') ?? 'now', now);
  if (Number.isNaN(earliest) || Number.isNaN(latest)) return sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Invalid earliest_time.` }] });

  const usesNotables = search.includes('`notable`') || /index\s*=\s*notable/.test(search);
  const statusEnd = /status_end\s*=\s*"?(true|false)"?/.exec(search)?.[1];
  const inRange = sim.data.notables.filter((n) => {
    const raw = Array.isArray(n._time) ? n._time[0] : n._time;
    const t = Date.parse(raw ?? '');
    return (earliest === undefined || t >= earliest) && (latest === undefined || t <= latest);
  });
  inRange.sort((a, b) => Date.parse(String(b._time)) - Date.parse(String(a._time)));
  const finalRows = usesNotables ? inRange.filter((n) => statusEnd === undefined || n.status_end === statusEnd) : [];
  // The preview set is what the search had before the incident-review merge: part of the rows,
  // closed ones included. Clients must ignore it.
  const previewRows = usesNotables ? inRange.slice(0, Math.max(1, Math.ceil(inRange.length / 2))) : [];

  const lines: string[] = [];
  lines.push(JSON.stringify({ messages: [{ type: 'INFO', text: 'Your timerange was substituted based on your search string' }] }));
  previewRows.forEach((row, i) => {
    lines.push(JSON.stringify({ preview: true, offset: i, ...(i === previewRows.length - 1 ? { lastrow: true } : {}), result: { ...row, urgency: 'informational' } }));
  });
  if (finalRows.length === 0) lines.push(JSON.stringify({ preview: false, offset: 0, lastrow: true }));
  finalRows.forEach((row, i) => {
    lines.push(JSON.stringify({ preview: false, offset: i, ...(i === finalRows.length - 1 ? { lastrow: true } : {}), result: row }));
  });
  const text = `${lines.join('\n')}\n`;

  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'x-content-type-options': 'nosniff' });
  if (sim.control.streamFatal !== undefined) {
    // The search dies after its first rows: whole lines, then the FATAL message line.
    res.write(`${lines.slice(0, 2).join('\n')}\n`);
    if (sim.control.chunkDelayMs > 0) await sleep(sim.control.chunkDelayMs);
    res.end(`${JSON.stringify({ messages: [{ type: 'FATAL', text: sim.control.streamFatal }] })}\n`);
    return;
  }
  // Chunks cut at arbitrary byte offsets (mid-line), as a real stream arrives.
  const pieces = 4;
  const size = Math.ceil(text.length / pieces);
  for (let i = 0; i < pieces; i++) {
    const chunk = text.slice(i * size, (i + 1) * size);
    if (chunk !== '') res.write(chunk);
    if (sim.control.chunkDelayMs > 0) await sleep(sim.control.chunkDelayMs);
  }
  res.end();
}

/** POST /services/auth/login: a form with username and password → a session key (JSON with output_mode=json, else XML). */
function login(state: SplunkSimulator, req: SimRequest, res: ServerResponse): void {
  const form = new URLSearchParams(req.body);
  const username = form.get('username') ?? '';
  const json = (form.get('output_mode') ?? req.query.get('output_mode')) === 'json';
  if (username === '' || state.users[username] === undefined || state.users[username] !== form.get('password')) {
    return json
      ? sendJson(res, 401, { messages: [{ type: 'WARN', text: 'Login failed' }] })
      : sendText(res, 401, '<response><messages><msg type="WARN">Login failed</msg></messages></response>', 'text/xml');
  }
  const key = randomBytes(24).toString('base64url');
  state.sessions.set(key, Date.now());
  return json ? sendJson(res, 200, { sessionKey: key, message: '', code: '' }) : sendText(res, 200, `<response><sessionKey>${key}</sessionKey></response>`, 'text/xml');
}

/** Whether the Authorization header is the token, or a session key still in use (its idle time restarts). */
function authenticated(state: SplunkSimulator, authorization: string): boolean {
  if (authorization === `Bearer ${state.token}`) return true;
  const key = /^Splunk (\S+)$/.exec(authorization)?.[1];
  const lastUsed = key === undefined ? undefined : state.sessions.get(key);
  if (key === undefined || lastUsed === undefined) return false;
  if (Date.now() - lastUsed > state.control.sessionIdleMs) {
    state.sessions.delete(key);
    return false;
  }
  state.sessions.set(key, Date.now());
  return true;
}

export async function startSplunkSimulator(options: { token?: string; users?: Record<string, string>; data?: SplunkSimData; control?: Partial<SplunkSimControl> } = {}): Promise<SplunkSimulator> {
  const token = options.token ?? 'eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ.sim-token';
  const users = options.users ?? { 'sentinel-svc': 'S3ntinel!pass' };
  const data = options.data ?? defaultSplunkData();
  const control: SplunkSimControl = { quotaFailures: 0, chunkDelayMs: 5, healthEndpoint: true, esInstalled: true, sessionIdleMs: 3_600_000, ...options.control };
  const searches: SplunkSimulator['searches'] = [];
  // The handler reads through `holder` so that tests may replace `sim.data` or `sim.control` wholesale.
  const holder: { sim?: SplunkSimulator } = {};

  const base = await startSimulator(
    async (req, res) => {
      const state = holder.sim!;
      if (req.method === 'POST' && req.path === '/services/auth/login') return login(state, req, res);
      if (!authenticated(state, req.headers.authorization ?? '')) return sendJson(res, 401, UNAUTHENTICATED);
      const jsonMode = req.query.get('output_mode') === 'json';

      if (req.method === 'GET' && req.path === '/services/server/info') {
        if (!jsonMode) return sendText(res, 200, `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>server-info</title></feed>`, 'text/xml');
        return sendJson(res, 200, entryFeed('/services/server/info', 'server-info', state.data.serverInfo));
      }
      if (req.method === 'GET' && req.path === '/services/server/health/splunkd') {
        if (!state.control.healthEndpoint) return sendJson(res, 404, { messages: [{ type: 'ERROR', text: 'Not Found' }] });
        return sendJson(res, 200, entryFeed('/services/server/health', 'splunkd', { 'eai:acl': null, ...state.data.health }));
      }
      if (req.path === '/services/search/v2/jobs/export' && (req.method === 'POST' || req.method === 'GET')) {
        return streamExport(state, req, res);
      }
      // ES incident review: close notables (status 5) by event id, as `notable_update` does.
      if (req.method === 'POST' && req.path === '/services/notable_update') {
        if (!state.control.esInstalled) return sendJson(res, 404, { messages: [{ type: 'ERROR', text: 'Not Found' }] });
        const params = new URLSearchParams(req.body);
        const ids = params.getAll('ruleUIDs');
        if (ids.length === 0 || !params.get('status')) return sendJson(res, 400, { success: false, message: 'ruleUIDs and status are required' });
        let updated = 0;
        for (const id of ids) {
          const row = state.data.notables.find((n) => n.event_id === id);
          if (row === undefined) continue;
          Object.assign(row, { status: params.get('status')!, status_label: 'Closed', status_end: 'true', comment: params.get('comment') ?? '' });
          updated++;
        }
        return sendJson(res, 200, { success: true, message: `${updated} event${updated === 1 ? '' : 's'} updated successfully`, details: {}, failure_count: ids.length - updated });
      }
      if (req.path.startsWith('/services/search/jobs')) {
        // v1 search endpoints are disabled since Splunk 9.0.1.
        return sendJson(res, 404, { messages: [{ type: 'ERROR', text: 'The v1 search endpoints are deprecated and disabled; use /services/search/v2/jobs.' }] });
      }
      return sendJson(res, 404, { messages: [{ type: 'ERROR', text: 'Not Found' }] });
    },
    {
      errorBody: (status) => ({
        text: JSON.stringify({ messages: [{ type: 'ERROR', text: status === 503 ? QUOTA_TEXT : `Internal server error (HTTP ${status})` }] }),
        contentType: 'application/json; charset=UTF-8',
      }),
      // Splunk has no 429 of its own; the generic fault still needs a body.
      rateLimitBody: { text: JSON.stringify({ messages: [{ type: 'ERROR', text: 'Too many requests' }] }), contentType: 'application/json; charset=UTF-8' },
    },
  );

  holder.sim = Object.assign(base, { data, control, token, users, sessions: new Map<string, number>(), searches });
  return holder.sim;
}
