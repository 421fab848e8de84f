import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, sendText, startSimulator, type SimRequest, type Simulator } from './base.ts';

/*
 * Splunk Enterprise (+ ES) management-port simulator: Bearer-token auth or session keys from
 * /services/auth/login (401 once idle past the session timeout), server/info, the splunkd
 * health tree, and the search-jobs API (create → poll dispatchState → results with count/offset)
 * over mutable ES notables, which `notable_update` can close. The jobs live under
 * /services/search/v2/jobs with the v1 endpoints answering 404 (Splunk 9.0.1+ with v1 disabled), or
 * under /services/search/jobs only (`control.searchApi = 'v1'`, Splunk before 9.0.1).
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
  /** Every notable in index=notable (open and closed); the search filters them. */
  notables: SplunkNotable[];
}

export interface SplunkSimControl {
  /** The next N job creations answer 503 (search concurrency quota reached). */
  quotaFailures: number;
  /** Status polls a job answers RUNNING before it is DONE (or FAILED). */
  jobPolls: number;
  /** Jobs stay RUNNING whatever the polls. */
  jobNeverFinishes: boolean;
  /** When set, new jobs end FAILED with this FATAL message. */
  jobFatal?: string;
  /** When set, a finished job's results answer HTTP 200 with this body (an odd answer). */
  resultsBody?: string;
  /** `v2`: /services/search/v2/jobs (Splunk 9.0.1+, v1 disabled); `v1`: only /services/search/jobs (before 9.0.1). */
  searchApi: 'v1' | 'v2';
  /** Whether the health endpoint exists (false: 404, as on instances without the health report). */
  healthEndpoint: boolean;
  /** Whether Enterprise Security is installed (false: the `notable` macro does not exist → 400). */
  esInstalled: boolean;
  /** The login answers XML whatever output_mode asks (as some Splunk versions do). */
  loginAnswersXml?: boolean;
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
  /** Search jobs by sid, and the sids deleted by clients. */
  jobs: Map<string, SearchJob>;
  deletedJobs: string[];
  /** The searches received (search, earliest_time, latest_time), for assertions. */
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

/** Splunk relative/absolute time modifiers of a search → epoch ms. */
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

/** Splunk's maxresultrows: the most rows one results call returns. */
const MAX_RESULT_ROWS = 50_000;

/** A search job of /services/search/v2/jobs (or v1): its rows are fixed when it is created. */
interface SearchJob {
  rows: SplunkNotable[];
  /** Status polls left before the job is DONE. */
  pollsLeft: number;
  /** Why the job failed, when it does (dispatchState FAILED with a FATAL message). */
  fatal?: string;
}

/** Validates a search form as Splunk does at job creation; answers the error itself, or the rows the search yields. */
function runSearch(sim: SplunkSimulator, params: URLSearchParams, res: ServerResponse): SplunkNotable[] | undefined {
  const search = (params.get('search') ?? '').trim();
  sim.searches.push({ search, earliest_time: params.get('earliest_time'), latest_time: params.get('latest_time') });
  if (search === '') return void sendJson(res, 400, { messages: [{ type: 'FATAL', text: 'Empty search.' }] });
  const first = /^\S+/.exec(search)?.[0] ?? '';
  if (first !== 'search' && !first.startsWith('|')) return void sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Unknown search command '${first}'.` }] });
  for (const segment of search.split('|').slice(1)) {
    const cmd = /^\s*(\S+)/.exec(segment)?.[1] ?? '';
    if (cmd !== '' && !KNOWN_COMMANDS.has(cmd)) return void sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Unknown search command '${cmd}'.` }] });
  }
  if (!sim.control.esInstalled && search.includes('`notable`')) return void sendJson(res, 400, { messages: [{ type: 'FATAL', text: MISSING_MACRO_TEXT }] });
  if (sim.control.quotaFailures > 0) {
    sim.control.quotaFailures--;
    return void sendJson(res, 503, { messages: [{ type: 'ERROR', text: QUOTA_TEXT }] });
  }
  const now = Date.now();
  const earliest = parseTimeModifier(params.get('earliest_time'), now);
  const latest = parseTimeModifier(params.get('latest_time') ?? 'now', now);
  if (Number.isNaN(earliest) || Number.isNaN(latest)) return void sendJson(res, 400, { messages: [{ type: 'FATAL', text: `Invalid earliest_time.` }] });

  if (!search.includes('`notable`') && !/index\s*=\s*notable/.test(search)) return [];
  const statusEnd = /status_end\s*=\s*"?(true|false)"?/.exec(search)?.[1];
  return sim.data.notables
    .filter((n) => {
      const t = Date.parse(String(Array.isArray(n._time) ? n._time[0] : n._time));
      return (earliest === undefined || t >= earliest) && (latest === undefined || t <= latest) && (statusEnd === undefined || n.status_end === statusEnd);
    })
    .sort((a, b) => Date.parse(String(b._time)) - Date.parse(String(a._time)));
}

/**
 * The search-jobs API under `root`: POST creates a job ({"sid"}, 201); GET {sid} is the job's entry
 * (dispatchState RUNNING until `control.jobPolls` polls, then DONE, or FAILED); GET {sid}/results
 * pages with count (default 100, 0 = all) and offset, 204 while the job runs or when it has no
 * results; DELETE {sid} removes it.
 */
function searchJobs(sim: SplunkSimulator, root: string, req: SimRequest, res: ServerResponse): void {
  if (req.path === root && req.method === 'POST') {
    const params = new URLSearchParams(req.body);
    const rows = runSearch(sim, params, res);
    if (rows === undefined) return;
    if ((params.get('exec_mode') ?? 'normal') !== 'normal') return sendJson(res, 400, { messages: [{ type: 'FATAL', text: 'this simulator only runs exec_mode=normal jobs' }] });
    const sid = `${(Date.now() / 1000).toFixed(3)}_${randomBytes(4).toString('hex')}`;
    sim.jobs.set(sid, { rows, pollsLeft: sim.control.jobPolls, ...(sim.control.jobFatal !== undefined ? { fatal: sim.control.jobFatal } : {}) });
    return params.get('output_mode') === 'json' ? sendJson(res, 201, { sid }) : sendText(res, 201, `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <sid>${sid}</sid>\n</response>`, 'text/xml');
  }
  const match = new RegExp(`^${root}/([^/]+)(/results)?$`).exec(req.path);
  const sid = match ? decodeURIComponent(match[1]!) : '';
  const job = sim.jobs.get(sid);
  if (!match || job === undefined) return sendJson(res, 404, { messages: [{ type: 'FATAL', text: `Unknown sid.` }] });
  const state = job.pollsLeft > 0 ? 'RUNNING' : job.fatal !== undefined ? 'FAILED' : 'DONE';
  if (req.method === 'DELETE' && !match[2]) {
    sim.jobs.delete(sid);
    sim.deletedJobs.push(sid);
    return sendJson(res, 200, { messages: [{ type: 'INFO', text: 'Search job cancelled.' }] });
  }
  if (req.method !== 'GET') return sendJson(res, 405, { messages: [{ type: 'ERROR', text: 'Method not allowed' }] });
  if (!match[2]) {
    if (!sim.control.jobNeverFinishes && job.pollsLeft > 0) job.pollsLeft--;
    return sendJson(res, 200, entryFeed(root, sid, {
      sid, dispatchState: state, isDone: state !== 'RUNNING', isFailed: state === 'FAILED', doneProgress: state === 'RUNNING' ? 0.5 : 1,
      resultCount: state === 'DONE' ? job.rows.length : 0,
      messages: state === 'FAILED' ? [{ type: 'FATAL', text: job.fatal }] : [],
    }));
  }
  if (state !== 'RUNNING' && sim.control.resultsBody !== undefined) return sendText(res, 200, sim.control.resultsBody, 'text/html');
  if (state === 'RUNNING' || job.rows.length === 0) {
    res.writeHead(204);
    return void res.end();
  }
  const count = Number(req.query.get('count') ?? '100');
  const offset = Number(req.query.get('offset') ?? '0');
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(offset) || offset < 0) return sendJson(res, 400, { messages: [{ type: 'FATAL', text: 'Invalid count or offset.' }] });
  if (req.query.get('output_mode') !== 'json') return sendText(res, 400, '<response><messages><msg type="ERROR">this simulator only answers output_mode=json</msg></messages></response>', 'text/xml');
  const page = job.rows.slice(offset, count === 0 ? offset + MAX_RESULT_ROWS : offset + count);
  const fields = [...new Set(page.flatMap((row) => Object.keys(row)))].map((name) => ({ name }));
  return sendJson(res, 200, { preview: false, init_offset: offset, messages: [], fields, results: page, highlighted: {} });
}

/** POST /services/auth/login: a form with username and password → a session key (JSON with output_mode=json, else XML). */
function login(state: SplunkSimulator, req: SimRequest, res: ServerResponse): void {
  const form = new URLSearchParams(req.body);
  const username = form.get('username') ?? '';
  const json = (form.get('output_mode') ?? req.query.get('output_mode')) === 'json' && !state.control.loginAnswersXml;
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
  const control: SplunkSimControl = { quotaFailures: 0, jobPolls: 2, jobNeverFinishes: false, searchApi: 'v2', healthEndpoint: true, esInstalled: true, sessionIdleMs: 3_600_000, ...options.control };
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
      const jobsRoot = state.control.searchApi === 'v2' ? '/services/search/v2/jobs' : '/services/search/jobs';
      if (req.path === jobsRoot || req.path.startsWith(`${jobsRoot}/`)) return searchJobs(state, jobsRoot, req, res);
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
        // v1 search endpoints are deprecated since Splunk 9.0.1 and disabled by default in 10.
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

  holder.sim = Object.assign(base, { data, control, token, users, sessions: new Map<string, number>(), jobs: new Map<string, SearchJob>(), deletedJobs: [], searches });
  return holder.sim;
}
