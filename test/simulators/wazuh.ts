import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, sendText, startSimulator, type SimRequest, type Simulator } from './base.ts';

/*
 * Wazuh 4.x simulator: two loopback servers, the server API (port 55000 in real life) and the
 * indexer (OpenSearch, port 9200), following Wazuh 4.x server API and indexer documentation:
 * - POST /security/user/authenticate (Basic) → {"data":{"token":JWT},"error":0}; JWTs expire after
 *   `settings.tokenTtlSeconds` and `revokeTokens()` invalidates them; every other call needs Bearer.
 * - GET /agents (offset/limit/sort/select/status, total_affected_items), /agents/summary/status
 *   (nested v4.4+ or flat v4.0–4.3), /manager/status, /manager/daemons/stats, GET /.
 * - problem+json errors (401 Invalid credentials / No authorization token provided, 403 Permission
 *   denied error 4000, 429 error 6001 with NO Retry-After, fixed one-minute window as in
 *   api/middlewares.py).
 * - Indexer: Basic auth (401 text/plain "Unauthorized" as the OpenSearch security plugin answers,
 *   403 security_exception), GET /, GET /_cluster/health, _search over wazuh-alerts-4.x-* and
 *   wazuh-states-vulnerabilities-* with size/from/sort/search_after/track_total_hits/_source and
 *   bool/range/term/terms/exists/match_all queries (date math like now-24h).
 */

export type AgentState = 'active' | 'disconnected' | 'pending' | 'never_connected';

export interface WazuhAgentRecord {
  id: string;
  name: string;
  ip: string;
  registerIP: string;
  status: AgentState;
  status_code: number;
  dateAdd: string;
  node_name: string;
  manager?: string;
  group?: string[];
  group_config_status?: 'synced' | 'not synced';
  os?: { arch?: string; name?: string; platform?: string; version?: string; major?: string; minor?: string; codename?: string; uname?: string };
  version?: string;
  lastKeepAlive?: string;
  configSum?: string;
  mergedSum?: string;
}

export interface WazuhData {
  agents: WazuhAgentRecord[];
  /** `_source` documents of wazuh-alerts-4.x-* (the index name is derived from `timestamp`). */
  alerts: Record<string, unknown>[];
  /** `_source` documents of wazuh-states-vulnerabilities-wazuh. */
  vulnerabilities: Record<string, unknown>[];
  /** GET /manager/status */
  daemons: Record<string, string>;
  /** When wazuh-analysisd started (GET /manager/daemons/stats `uptime`), ISO. */
  analysisdStartedAt: string;
}

export interface WazuhSimSettings {
  /** auth_token_exp_timeout */
  tokenTtlSeconds: number;
  /** /agents/summary/status shape: v4.4+ nested `connection`, or v4.0–4.3 flat. */
  summaryFormat: 'nested' | 'flat';
  /** access.max_request_per_minute (0 = no limit). */
  maxRequestsPerMinute: number;
  /** Length of the rate-limit window (60 000 in Wazuh; tests shorten it). */
  rateWindowMs: number;
  /** Server API paths answering 403 Permission denied (RBAC). */
  forbiddenPaths: string[];
  /** When true every indexer _search answers 403 security_exception. */
  indexerForbidden: boolean;
  /** False simulates a manager older than 4.4 (no /manager/daemons/stats → 404). */
  daemonStatsAvailable: boolean;
  /** access.max_login_attempts: failed logins within `blockTimeMs` before the IP is blocked (error 6000). */
  maxLoginAttempts: number;
  /** access.block_time (300 s in Wazuh). */
  blockTimeMs: number;
  apiVersion: string;
}

export interface WazuhCredentials {
  username: string;
  password: string;
  indexer_username: string;
  indexer_password: string;
}

export interface WazuhSimulator extends Simulator {
  /** The server API simulator (= this one: url, faults, requests). */
  api: Simulator;
  /** The indexer simulator (its own url, faults, requests). */
  indexer: Simulator;
  indexerUrl: string;
  data: WazuhData;
  settings: WazuhSimSettings;
  credentials: WazuhCredentials;
  counters: { authenticate: number; authFailures: number; tokenRejected: number; rateLimited: number; searches: number };
  /** Invalidates every token issued so far (as a security config change does). */
  revokeTokens(): void;
}

export interface WazuhSimOptions {
  data?: WazuhData;
  settings?: Partial<WazuhSimSettings>;
  credentials?: Partial<WazuhCredentials>;
}

// ---------------------------------------------------------------------------------------------
// Default data

/** Wazuh's timestamp format in alerts: 2024-05-14T10:21:33.123+0000 */
export function wazuhTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const STATUS_CODE: Record<AgentState, number> = { active: 0, disconnected: 1, pending: 2, never_connected: 4 };

const OS = {
  ubuntu: { arch: 'x86_64', codename: 'Jammy Jellyfish', major: '22', minor: '04', name: 'Ubuntu', platform: 'ubuntu', version: '22.04.4 LTS' },
  rhel: { arch: 'x86_64', major: '9', minor: '3', name: 'Red Hat Enterprise Linux', platform: 'rhel', version: '9.3' },
  debian: { arch: 'x86_64', codename: 'bookworm', major: '12', name: 'Debian GNU/Linux', platform: 'debian', version: '12' },
  amazon: { arch: 'x86_64', major: '2023', name: 'Amazon Linux', platform: 'amzn', version: '2023' },
  winServer: { arch: 'x86_64', major: '10', minor: '0', name: 'Microsoft Windows Server 2022 Datacenter', platform: 'windows', version: '10.0.20348.2227' },
  win11: { arch: 'x86_64', major: '10', minor: '0', name: 'Microsoft Windows 11 Pro', platform: 'windows', version: '10.0.22631.3296' },
  macos: { arch: 'arm64', major: '14', minor: '4', name: 'macOS', platform: 'darwin', version: '14.4', codename: 'Sonoma' },
} as const;

/** An agent as GET /agents returns it; never_connected agents have no os, version or lastKeepAlive. */
export function makeAgent(id: number | string, status: AgentState, overrides: Partial<WazuhAgentRecord> = {}, now = Date.now()): WazuhAgentRecord {
  const agentId = typeof id === 'number' ? String(id).padStart(3, '0') : id;
  const n = Number(agentId);
  const base: WazuhAgentRecord = {
    id: agentId,
    name: `agent-${agentId}`,
    ip: `10.${Math.floor(n / 65_536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`,
    registerIP: 'any',
    status,
    status_code: STATUS_CODE[status],
    dateAdd: isoSeconds(now - 90 * 86_400_000),
    node_name: status === 'never_connected' ? 'unknown' : 'node01',
    group: ['default'],
    group_config_status: status === 'active' ? 'synced' : 'not synced',
  };
  if (status !== 'never_connected') {
    base.os = { ...OS.ubuntu, uname: `Linux |agent-${agentId} |5.15.0-105-generic |#115-Ubuntu SMP |x86_64` };
    base.version = 'Wazuh v4.9.2';
    base.manager = 'wazuh-server';
    base.lastKeepAlive = isoSeconds(status === 'disconnected' ? now - 3 * 3600_000 : now - 20_000);
    base.configSum = 'ab73af41699f13fdd81903b5f23d8d00';
    base.mergedSum = '9a016508cea1e997ab8569f5cfab30f5';
  }
  return { ...base, ...overrides, status, status_code: STATUS_CODE[status] };
}

/** Agent 000: the manager itself. */
export function makeManager(now = Date.now()): WazuhAgentRecord {
  return makeAgent('000', 'active', {
    name: 'wazuh-server', ip: '127.0.0.1', os: { ...OS.ubuntu, uname: 'Linux |wazuh-server |5.15.0-105-generic |#115-Ubuntu SMP |x86_64' },
    lastKeepAlive: '9999-12-31T23:59:59Z', group: undefined, group_config_status: 'synced', dateAdd: isoSeconds(now - 200 * 86_400_000),
  }, now);
}

let alertOffset = 1_234_000;

/** An alert `_source` as analysisd writes it to wazuh-alerts-4.x-*. */
export function makeAlert(options: {
  at: number; level: number; ruleId: string; description: string; groups?: string[];
  agent: { id: string; name: string; ip?: string }; fullLog?: string; location?: string; id?: string; data?: Record<string, unknown>;
}): Record<string, unknown> {
  alertOffset += 9_173;
  const doc: Record<string, unknown> = {
    timestamp: wazuhTime(options.at),
    '@timestamp': new Date(options.at).toISOString(),
    id: options.id ?? `${Math.floor(options.at / 1000)}.${alertOffset}`,
    rule: { level: options.level, description: options.description, id: options.ruleId, firedtimes: 1, mail: options.level >= 12, groups: options.groups ?? [] },
    agent: { id: options.agent.id, name: options.agent.name, ...(options.agent.ip ? { ip: options.agent.ip } : {}) },
    manager: { name: 'wazuh-server' },
    cluster: { name: 'wazuh', node: 'node01' },
    decoder: { name: options.groups?.[1] ?? 'json' },
    location: options.location ?? '/var/log/syslog',
  };
  if (options.fullLog !== undefined) doc.full_log = options.fullLog;
  if (options.data) doc.data = options.data;
  return doc;
}

/** A vulnerability state document (wazuh-states-vulnerabilities-*), 4.8+ layout. */
export function makeVulnerability(options: {
  agent: { id: string; name: string }; cve: string; severity: string; score?: number; pkg: string; version: string;
  description?: string; condition?: string; detectedAt: number; publishedAt?: number; underEvaluation?: boolean; os?: { full: string; platform: string };
}): Record<string, unknown> {
  return {
    agent: { id: options.agent.id, name: options.agent.name, type: 'Wazuh', version: 'v4.9.2' },
    host: { os: { full: options.os?.full ?? 'Ubuntu 22.04.4 LTS (Jammy Jellyfish)', platform: options.os?.platform ?? 'ubuntu', name: 'Ubuntu', type: 'ubuntu', version: '22.04.4', kernel: '5.15.0-105-generic' } },
    package: { name: options.pkg, version: options.version, architecture: 'amd64', type: 'deb', size: 2_078_720 },
    vulnerability: {
      id: options.cve,
      severity: options.severity,
      score: { base: options.score ?? 0, version: '3.1' },
      category: 'Packages',
      classification: 'CVSS',
      enumeration: 'CVE',
      description: options.description ?? '',
      reference: `https://nvd.nist.gov/vuln/detail/${options.cve}`,
      detected_at: new Date(options.detectedAt).toISOString(),
      published_at: new Date(options.publishedAt ?? options.detectedAt - 30 * 86_400_000).toISOString(),
      under_evaluation: options.underEvaluation ?? false,
      scanner: { vendor: 'Wazuh', source: 'National Vulnerability Database', ...(options.condition ? { condition: options.condition } : {}) },
    },
    wazuh: { cluster: { name: 'wazuh' }, schema: { version: '1.0.0' } },
  };
}

/**
 * Realistic defaults: the manager plus 12 agents (8 active, 2 disconnected, 1 pending, 1 never
 * connected), alerts of levels 3–15 (some older than 24 h), vulnerabilities of every severity.
 */
export function buildWazuhData(now = Date.now()): WazuhData {
  const min = 60_000;
  const hour = 3600_000;
  const agents: WazuhAgentRecord[] = [
    makeManager(now),
    makeAgent(1, 'active', { name: 'web-01', ip: '10.0.1.11' }, now),
    makeAgent(2, 'active', { name: 'web-02', ip: '10.0.1.12' }, now),
    makeAgent(3, 'active', { name: 'db-01', ip: '10.0.2.21', os: OS.rhel, group: ['default', 'databases'] }, now),
    makeAgent(4, 'active', { name: 'dc-01', ip: '10.0.3.10', os: OS.winServer, group: ['default', 'windows'] }, now),
    makeAgent(5, 'active', { name: 'ws-finance-07', ip: '10.0.4.57', os: OS.win11, group: ['default', 'windows', 'workstations'] }, now),
    makeAgent(6, 'active', { name: 'mail-01', ip: '10.0.1.30', os: OS.debian }, now),
    makeAgent(7, 'active', { name: 'k8s-node-1', ip: '10.0.5.11', os: OS.amazon, group: ['default', 'kubernetes'] }, now),
    makeAgent(8, 'disconnected', { name: 'k8s-node-2', ip: '10.0.5.12', os: OS.amazon, group: ['default', 'kubernetes'] }, now),
    makeAgent(9, 'disconnected', { name: 'laptop-ceo', ip: '192.168.1.44', os: OS.macos, lastKeepAlive: isoSeconds(now - 2 * 86_400_000) }, now),
    makeAgent(10, 'active', { name: 'vpn-gw-01', ip: '10.0.0.2', os: OS.debian }, now),
    makeAgent(11, 'pending', { name: 'build-runner-3', ip: '10.0.6.3', version: 'Wazuh v4.9.2' }, now),
    makeAgent(12, 'never_connected', { name: 'branch-fw-syslog', ip: 'any' }, now),
  ];
  const byId = (id: string) => {
    const agent = agents.find((a) => a.id === id);
    if (!agent) throw new Error(`no agent ${id}`);
    return { id: agent.id, name: agent.name, ip: agent.ip };
  };
  const alerts = [
    makeAlert({ at: now - 10 * min, level: 10, ruleId: '5712', description: 'sshd: brute force trying to get access to the system. Non existent user.', groups: ['syslog', 'sshd', 'authentication_failures'], agent: byId('001'), location: '/var/log/auth.log', fullLog: 'May 14 10:21:33 web-01 sshd[1234]: Invalid user admin from 203.0.113.7 port 51514' }),
    makeAlert({ at: now - 12 * min, level: 5, ruleId: '5710', description: 'sshd: Attempt to login using a non-existent user', groups: ['syslog', 'sshd', 'authentication_failed', 'invalid_login'], agent: byId('001'), location: '/var/log/auth.log', fullLog: 'May 14 10:19:02 web-01 sshd[1230]: Invalid user test from 203.0.113.7 port 51422' }),
    makeAlert({ at: now - 20 * min, level: 3, ruleId: '5402', description: 'Successful sudo to ROOT executed.', groups: ['syslog', 'sudo'], agent: byId('001'), location: '/var/log/auth.log', fullLog: 'May 14 10:11:00 web-01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx' }),
    makeAlert({ at: now - 30 * min, level: 10, ruleId: '31151', description: 'Multiple web server 400 error codes from same source ip.', groups: ['web', 'accesslog', 'web_scan', 'recon'], agent: byId('002'), location: '/var/log/nginx/access.log', fullLog: '198.51.100.23 - - [14/May/2024:10:01:12 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"' }),
    makeAlert({ at: now - 45 * min, level: 8, ruleId: '100100', description: 'Outbound connection to a known malicious IP address', groups: ['local', 'threat_intel'], agent: byId('007'), location: 'journald', fullLog: 'kernel: [UFW AUDIT] OUT=eth0 SRC=10.0.5.11 DST=185.220.101.4 PROTO=TCP DPT=443' }),
    makeAlert({ at: now - 50 * min, level: 5, ruleId: '5503', description: 'PAM: User login failed.', groups: ['pam', 'syslog', 'authentication_failed'], agent: byId('003'), location: '/var/log/secure', fullLog: 'May 14 09:40:11 db-01 sshd[822]: pam_unix(sshd:auth): authentication failure; rhost=10.0.9.9 user=postgres' }),
    makeAlert({ at: now - 1 * hour, level: 7, ruleId: '550', description: 'Integrity checksum changed.', groups: ['ossec', 'syscheck', 'syscheck_entry_modified', 'syscheck_file'], agent: byId('003'), location: 'syscheck', fullLog: "File '/etc/passwd' modified\nMode: scheduled\nChanged attributes: size,mtime,md5,sha1,sha256" }),
    makeAlert({ at: now - 2 * hour, level: 12, ruleId: '87105', description: 'VirusTotal: Alert - c:\\users\\jdoe\\downloads\\invoice_0514.exe - 45 engines detected this file', groups: ['virustotal'], agent: byId('005'), location: 'virustotal' }),
    makeAlert({ at: now - 3 * hour, level: 13, ruleId: '23506', description: 'CVE-2024-3094 affects xz-utils', groups: ['vulnerability-detector', 'gdpr_IV_35.7.d', 'pci_dss_11.2.1'], agent: byId('002'), location: 'vulnerability-detector', data: { vulnerability: { cve: 'CVE-2024-3094', severity: 'Critical', status: 'Active', package: { name: 'xz-utils' } } } }),
    makeAlert({ at: now - 4 * hour, level: 10, ruleId: '60204', description: 'Multiple Windows logon failures.', groups: ['windows', 'windows_security', 'authentication_failures'], agent: byId('004'), location: 'EventChannel' }),
    makeAlert({ at: now - 5 * hour, level: 15, ruleId: '92213', description: 'Executable file dropped in folder commonly used by malware', groups: ['sysmon', 'sysmon_eid11_detections', 'windows'], agent: byId('005'), location: 'EventChannel' }),
    makeAlert({ at: now - 6 * hour, level: 7, ruleId: '510', description: 'Host-based anomaly detection event (rootcheck).', groups: ['ossec', 'rootcheck'], agent: byId('006'), location: 'rootcheck', fullLog: "File '/dev/.blKb' is hidden: possible rootkit or trojan" }),
    makeAlert({ at: now - 30 * hour, level: 10, ruleId: '40111', description: 'Multiple authentication failures.', groups: ['syslog', 'attacks', 'authentication_failures'], agent: byId('010'), location: '/var/log/auth.log', fullLog: 'vpn-gw-01 openvpn[411]: user alice: auth failed (x12)' }),
  ];
  const day = 86_400_000;
  const vulnerabilities = [
    makeVulnerability({ agent: byId('001'), cve: 'CVE-2024-2511', severity: 'Medium', score: 5.9, pkg: 'openssl', version: '3.0.2-0ubuntu1.15', condition: 'Package less than 3.0.2-0ubuntu1.16', detectedAt: now - 10 * day, description: 'Issue summary: Some non-default TLS server configurations can cause unbounded memory growth when processing TLSv1.3 sessions.' }),
    makeVulnerability({ agent: byId('002'), cve: 'CVE-2024-2511', severity: 'Medium', score: 5.9, pkg: 'openssl', version: '3.0.2-0ubuntu1.15', condition: 'Package less than 3.0.2-0ubuntu1.16', detectedAt: now - 10 * day, description: 'Issue summary: Some non-default TLS server configurations can cause unbounded memory growth when processing TLSv1.3 sessions.' }),
    makeVulnerability({ agent: byId('002'), cve: 'CVE-2024-3094', severity: 'Critical', score: 10, pkg: 'xz-utils', version: '5.6.0-0.2', condition: 'Package less than 5.6.1+really5.4.5-1', detectedAt: now - 3 * 3600_000, description: 'Malicious code was discovered in the upstream tarballs of xz, starting with version 5.6.0.' }),
    makeVulnerability({ agent: byId('003'), cve: 'CVE-2023-4911', severity: 'High', score: 7.8, pkg: 'glibc', version: '2.34-60.el9', condition: 'Package less than 2.34-83.el9_3.7', detectedAt: now - 40 * day, os: { full: 'Red Hat Enterprise Linux 9.3 (Plow)', platform: 'rhel' }, description: "A buffer overflow was discovered in the GNU C Library's dynamic loader ld.so while processing the GLIBC_TUNABLES environment variable." }),
    makeVulnerability({ agent: byId('003'), cve: 'CVE-2024-37891', severity: '-', score: 4.4, pkg: 'python3-urllib3', version: '1.26.5-3.el9', detectedAt: now - 2 * day, os: { full: 'Red Hat Enterprise Linux 9.3 (Plow)', platform: 'rhel' }, underEvaluation: true }),
    makeVulnerability({ agent: byId('004'), cve: 'CVE-2024-21338', severity: 'High', score: 7.8, pkg: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348.2227', condition: 'Package less than 10.0.20348.2322', detectedAt: now - 20 * day, os: { full: 'Microsoft Windows Server 2022 Datacenter 10.0.20348.2227', platform: 'windows' }, description: 'Windows Kernel Elevation of Privilege Vulnerability' }),
    makeVulnerability({ agent: byId('005'), cve: 'CVE-2024-2883', severity: 'Critical', score: 9.8, pkg: 'Google Chrome', version: '122.0.6261.112', condition: 'Package less than 123.0.6312.86', detectedAt: now - 5 * day, os: { full: 'Microsoft Windows 11 Pro 10.0.22631.3296', platform: 'windows' }, description: 'Use after free in ANGLE in Google Chrome prior to 123.0.6312.86 allowed a remote attacker to potentially exploit heap corruption via a crafted HTML page.' }),
    makeVulnerability({ agent: byId('001'), cve: 'CVE-2023-38546', severity: 'Low', score: 3.7, pkg: 'curl', version: '7.81.0-1ubuntu1.14', condition: 'Package less than 7.81.0-1ubuntu1.15', detectedAt: now - 60 * day, description: 'This flaw allows an attacker to insert cookies at will into a running program using libcurl, if the specific series of conditions are met.' }),
    makeVulnerability({ agent: byId('006'), cve: 'CVE-2024-28757', severity: '-', score: 0, pkg: 'libexpat1', version: '2.5.0-1', condition: 'Package less than or equal to 2.5.0-1', detectedAt: now - 1 * day, os: { full: 'Debian GNU/Linux 12 (bookworm)', platform: 'debian' }, underEvaluation: true }),
    makeVulnerability({ agent: byId('007'), cve: 'CVE-2024-21626', severity: 'Untriaged', score: 8.6, pkg: 'runc', version: '1.1.7-1.amzn2023', condition: 'Package default status', detectedAt: now - 7 * day, os: { full: 'Amazon Linux 2023', platform: 'amzn' }, description: 'runc is a CLI tool for spawning and running containers on Linux according to the OCI specification. In runc 1.1.11 and earlier, due to an internal file descriptor leak, an attacker could cause a newly-spawned container process to have a working directory in the host filesystem namespace.' }),
  ];
  return {
    agents,
    alerts,
    vulnerabilities,
    daemons: {
      'wazuh-agentlessd': 'stopped', 'wazuh-analysisd': 'running', 'wazuh-authd': 'running', 'wazuh-csyslogd': 'stopped',
      'wazuh-dbd': 'stopped', 'wazuh-monitord': 'running', 'wazuh-execd': 'running', 'wazuh-integratord': 'stopped',
      'wazuh-logcollector': 'running', 'wazuh-maild': 'stopped', 'wazuh-remoted': 'running', 'wazuh-reportd': 'stopped',
      'wazuh-syscheckd': 'running', 'wazuh-clusterd': 'stopped', 'wazuh-modulesd': 'running', 'wazuh-db': 'running', 'wazuh-apid': 'running',
    },
    analysisdStartedAt: new Date(now - 3 * day - 5 * 3600_000).toISOString().replace('Z', '+00:00').replace(/\.\d{3}/, ''),
  };
}

// ---------------------------------------------------------------------------------------------
// Server API

const PROBLEM = 'application/problem+json; charset=utf-8';

function problem(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  sendText(res, status, JSON.stringify(body), PROBLEM);
}

const RATE_LIMIT_BODY = {
  title: 'Too Many Requests',
  detail: 'Maximum number of requests per minute reached',
  remediation: 'This limit can be changed in api.yaml file. More information about how to configure it can be found here: https://documentation.wazuh.com/current/user-manual/api/security/configuration.html',
  error: 6001,
};

const PERMISSION_DENIED_BODY = {
  title: 'Permission Denied',
  detail: 'Permission denied: Resource type: *:*',
  remediation: 'Please, make sure you have permissions to execute the current request. For more information on how to set up permissions, please visit https://documentation.wazuh.com/current/user-manual/api/rbac/configuration.html',
  error: 4000,
  dapi_errors: { 'node01': { error: 'Permission denied: Resource type: *:*' } },
};

function serverErrorBody(status: number): { text: string; contentType: string } {
  const body = status === 429 ? RATE_LIMIT_BODY
    : status === 403 ? PERMISSION_DENIED_BODY
    : status === 401 ? { title: 'Unauthorized', detail: 'No authorization token provided' }
    : { title: status >= 500 ? 'Wazuh Internal Error' : 'Bad Request', detail: status >= 500 ? 'Error communicating with the Wazuh daemons' : 'Invalid request', error: status >= 500 ? 1000 : 1400 };
  return { text: JSON.stringify(body), contentType: PROBLEM };
}

function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function pick(source: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = field.split('.');
    let from: unknown = source;
    for (const key of path) from = from !== null && typeof from === 'object' ? (from as Record<string, unknown>)[key] : undefined;
    if (from === undefined) continue;
    let into = out;
    path.forEach((key, i) => {
      if (i === path.length - 1) into[key] = from;
      else into = (into[key] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

function affected(items: unknown[], total: number, message: string): Record<string, unknown> {
  return { data: { affected_items: items, total_affected_items: total, total_failed_items: 0, failed_items: [] }, message, error: 0 };
}

// ---------------------------------------------------------------------------------------------
// Indexer (OpenSearch) search engine, just enough for the Wazuh index patterns

const DATE_FIELDS = new Set(['timestamp', '@timestamp', 'vulnerability.detected_at', 'vulnerability.published_at', 'package.installed']);

interface IndexedDoc {
  _index: string;
  _id: string;
  _source: Record<string, unknown>;
}

class SearchError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(status: number, type: string, reason: string) {
    super(reason);
    this.status = status;
    this.type = type;
  }
}

function getPath(source: unknown, path: string): unknown {
  if (source !== null && typeof source === 'object' && path in (source as Record<string, unknown>)) return (source as Record<string, unknown>)[path];
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseDate(value: unknown, now: number): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const math = /^now(?:([+-])(\d+)([smhdwMy]))?(?:\/[smhdwMy])?$/.exec(value);
  if (math) {
    const units: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000, M: 30 * 86_400_000, y: 365 * 86_400_000 };
    const delta = math[1] ? Number(math[2]) * (units[math[3] ?? 's'] ?? 0) : 0;
    return math[1] === '-' ? now - delta : now + delta;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A field's comparable value: epoch ms for dates, the number or string otherwise. */
function fieldValue(doc: IndexedDoc, field: string, now: number): unknown {
  const raw = field === '_id' ? doc._id : field === '_index' ? doc._index : getPath(doc._source, field);
  if (raw === undefined || raw === null) return undefined;
  if (DATE_FIELDS.has(field)) return parseDate(raw, now);
  return raw;
}

function matches(doc: IndexedDoc, query: Record<string, unknown> | undefined, now: number): boolean {
  if (!query || Object.keys(query).length === 0) return true;
  const [type, spec] = Object.entries(query)[0] as [string, unknown];
  const body = (spec ?? {}) as Record<string, unknown>;
  const list = (value: unknown) => (value === undefined ? [] : Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
  switch (type) {
    case 'match_all':
      return true;
    case 'bool': {
      const must = [...list(body.filter), ...list(body.must)];
      if (!must.every((q) => matches(doc, q, now))) return false;
      if (list(body.must_not).some((q) => matches(doc, q, now))) return false;
      const should = list(body.should);
      if (should.length && must.length === 0 && !should.some((q) => matches(doc, q, now))) return false;
      return true;
    }
    case 'range': {
      const [field, bounds] = Object.entries(body)[0] as [string, Record<string, unknown>];
      const value = fieldValue(doc, field, now);
      if (value === undefined) return false;
      const isDate = DATE_FIELDS.has(field);
      const bound = (v: unknown) => (isDate ? parseDate(v, now) : typeof v === 'string' ? Number(v) : v);
      const checks: [string, (a: number, b: number) => boolean][] = [['gte', (a, b) => a >= b], ['gt', (a, b) => a > b], ['lte', (a, b) => a <= b], ['lt', (a, b) => a < b]];
      for (const [op, cmp] of checks) {
        if (bounds[op] === undefined) continue;
        const b = bound(bounds[op]);
        if (typeof b !== 'number' || Number.isNaN(b)) throw new SearchError(400, 'parse_exception', `failed to parse [${String(bounds[op])}] for field [${field}]`);
        if (!cmp(Number(value), b)) return false;
      }
      return true;
    }
    case 'term':
    case 'match': {
      const [field, raw] = Object.entries(body)[0] as [string, unknown];
      const wanted = raw !== null && typeof raw === 'object' ? ((raw as Record<string, unknown>).value ?? (raw as Record<string, unknown>).query) : raw;
      const value = getPath(doc._source, field);
      return (Array.isArray(value) ? value : [value]).some((v) => String(v) === String(wanted));
    }
    case 'terms': {
      const [field, wanted] = Object.entries(body)[0] as [string, unknown[]];
      const value = getPath(doc._source, field);
      return (Array.isArray(value) ? value : [value]).some((v) => wanted.map(String).includes(String(v)));
    }
    case 'exists':
      return getPath(doc._source, String(body.field)) !== undefined;
    default:
      throw new SearchError(400, 'parsing_exception', `unknown query [${type}]`);
  }
}

interface SortKey {
  field: string;
  order: 'asc' | 'desc';
}

function sortKeys(sort: unknown): SortKey[] {
  if (sort === undefined) return [];
  const items = Array.isArray(sort) ? sort : [sort];
  return items.map((item) => {
    if (typeof item === 'string') return { field: item, order: item === '_score' ? 'desc' : 'asc' };
    const [field, spec] = Object.entries(item as Record<string, unknown>)[0] as [string, unknown];
    const order = typeof spec === 'string' ? spec : ((spec as Record<string, unknown>)?.order ?? 'asc');
    if (order !== 'asc' && order !== 'desc') throw new SearchError(400, 'parsing_exception', `unknown sort order [${String(order)}]`);
    return { field, order };
  });
}

/** Compares two sort values; missing (null) sorts last whatever the order. */
function compareValue(a: unknown, b: unknown, order: 'asc' | 'desc'): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  const base = typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  return order === 'asc' ? base : -base;
}

function compareTuple(a: unknown[], b: unknown[], keys: SortKey[]): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareValue(a[i], b[i], (keys[i] as SortKey).order);
    if (c !== 0) return c;
  }
  return 0;
}

function indexMatches(pattern: string, index: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(index);
}

function filterSource(source: Record<string, unknown>, spec: unknown): Record<string, unknown> | undefined {
  if (spec === false) return undefined;
  const includes = Array.isArray(spec) ? spec : typeof spec === 'string' ? [spec] : spec && typeof spec === 'object' ? (spec as { includes?: string[] }).includes : undefined;
  if (!includes || includes.length === 0) return source;
  return pick(source, includes as string[]);
}

function search(docs: IndexedDoc[], target: string, body: Record<string, unknown>, now: number): Record<string, unknown> {
  const patterns = target.split(',');
  for (const pattern of patterns) {
    if (!pattern.includes('*') && !docs.some((d) => d._index === pattern)) {
      throw new SearchError(404, 'index_not_found_exception', `no such index [${pattern}]`);
    }
  }
  const size = body.size === undefined ? 10 : Number(body.size);
  const from = body.from === undefined ? 0 : Number(body.from);
  if (!Number.isInteger(size) || size < 0 || !Number.isInteger(from) || from < 0) throw new SearchError(400, 'illegal_argument_exception', '[from] and [size] must be non-negative integers');
  if (from + size > 10_000) {
    throw new SearchError(400, 'illegal_argument_exception', `Result window is too large, from + size must be less than or equal to: [10000] but was [${from + size}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`);
  }
  const keys = sortKeys(body.sort);
  const searchAfter = body.search_after;
  if (searchAfter !== undefined) {
    if (!Array.isArray(searchAfter)) throw new SearchError(400, 'parsing_exception', '[search_after] must be an array');
    if (keys.length === 0) throw new SearchError(400, 'illegal_argument_exception', 'Sort must contain at least one field.');
    if (searchAfter.length !== keys.length) throw new SearchError(400, 'illegal_argument_exception', `search_after has ${searchAfter.length} value(s) but sort has ${keys.length}.`);
    if (from > 0) throw new SearchError(400, 'illegal_argument_exception', '[from] parameter must be set to 0 when [search_after] is used.');
  }
  let selected = docs.filter((d) => patterns.some((p) => indexMatches(p, d._index))).filter((d) => matches(d, body.query as Record<string, unknown> | undefined, now));
  const total = selected.length;
  const tuple = (d: IndexedDoc) => keys.map((k) => (k.field === '_doc' ? docs.indexOf(d) : fieldValue(d, k.field, now) ?? null));
  if (keys.length) selected = [...selected].sort((a, b) => compareTuple(tuple(a), tuple(b), keys));
  if (searchAfter !== undefined) selected = selected.filter((d) => compareTuple(tuple(d), searchAfter as unknown[], keys) > 0);
  const page = selected.slice(from, from + size);
  const tracked = body.track_total_hits === true || (typeof body.track_total_hits === 'number' && total <= body.track_total_hits) || total <= 10_000;
  return {
    took: 3,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: {
      total: tracked ? { value: total, relation: 'eq' } : { value: 10_000, relation: 'gte' },
      max_score: null,
      hits: page.map((d) => {
        const source = filterSource(d._source, body._source);
        return { _index: d._index, _id: d._id, _score: null, ...(source ? { _source: source } : {}), ...(keys.length ? { sort: tuple(d) } : {}) };
      }),
    },
  };
}

function openSearchError(res: ServerResponse, status: number, type: string, reason: string): void {
  sendJson(res, status, { error: { root_cause: [{ type, reason }], type, reason }, status });
}

// ---------------------------------------------------------------------------------------------

export async function startWazuhSimulator(options: WazuhSimOptions = {}): Promise<WazuhSimulator> {
  const credentials: WazuhCredentials = { username: 'wazuh-wui', password: 'MyS3cr37P450r.*-', indexer_username: 'admin', indexer_password: 'SecretPassword.1', ...options.credentials };
  const settings: WazuhSimSettings = {
    tokenTtlSeconds: 900, summaryFormat: 'nested', maxRequestsPerMinute: 300, rateWindowMs: 60_000,
    forbiddenPaths: [], indexerForbidden: false, daemonStatsAvailable: true, maxLoginAttempts: 50, blockTimeMs: 300_000, apiVersion: '4.9.2',
    ...options.settings,
  };
  const data = options.data ?? buildWazuhData();
  const counters = { authenticate: 0, authFailures: 0, tokenRejected: 0, rateLimited: 0, searches: 0 };
  const jwtKey = randomBytes(32);
  const validTokens = new Set<string>();
  let windowStart = 0;
  let windowCount = 0;
  let failedLogins: number[] = [];
  let blockedUntil = 0;

  const issueToken = (user: string): string => {
    const iat = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ iss: 'wazuh', aud: 'Wazuh API REST', nbf: iat, exp: iat + settings.tokenTtlSeconds, sub: user, run_as: false, rbac_roles: [1], rbac_mode: 'white' }));
    const signature = b64url(createHmac('sha256', jwtKey).update(`${header}.${payload}`).digest());
    const token = `${header}.${payload}.${signature}`;
    validTokens.add(token);
    return token;
  };

  const tokenValid = (token: string): boolean => {
    if (!validTokens.has(token)) return false;
    const [header, payload, signature] = token.split('.');
    const expected = b64url(createHmac('sha256', jwtKey).update(`${header}.${payload}`).digest());
    if (signature !== expected) return false;
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { exp: number };
    // PyJWT: valid while now < exp (seconds)
    if (Date.now() / 1000 >= claims.exp) {
      validTokens.delete(token);
      return false;
    }
    return true;
  };

  const api = await startSimulator(async (req: SimRequest, res) => {
    // access.max_request_per_minute: a fixed window counting every request (api/middlewares.py)
    if (settings.maxRequestsPerMinute > 0) {
      const now = Date.now();
      if (now - windowStart >= settings.rateWindowMs) {
        windowStart = now;
        windowCount = 0;
      }
      windowCount++;
      if (windowCount > settings.maxRequestsPerMinute) {
        counters.rateLimited++;
        return problem(res, 429, RATE_LIMIT_BODY);
      }
    }

    if (req.path === '/security/user/authenticate' && (req.method === 'POST' || req.method === 'GET')) {
      const now = Date.now();
      if (now < blockedUntil) {
        return problem(res, 403, { title: 'Permission Denied', detail: 'Limit of login attempts reached. The current IP has been blocked due to a high number of login attempts', error: 6000 });
      }
      const creds = parseBasic(req.headers.authorization);
      if (!creds || creds.user !== credentials.username || !sameSecret(creds.password, credentials.password)) {
        counters.authFailures++;
        failedLogins = [...failedLogins.filter((t) => now - t < settings.blockTimeMs), now];
        if (failedLogins.length >= settings.maxLoginAttempts) {
          blockedUntil = now + settings.blockTimeMs;
          failedLogins = [];
        }
        return problem(res, 401, { title: 'Unauthorized', detail: 'Invalid credentials' });
      }
      counters.authenticate++;
      const token = issueToken(creds.user);
      if (req.query.get('raw') === 'true') return sendText(res, 200, token, 'text/plain; charset=utf-8');
      return sendJson(res, 200, { data: { token }, error: 0 });
    }

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokenValid(bearer)) {
      counters.tokenRejected++;
      return problem(res, 401, { title: 'Unauthorized', detail: 'No authorization token provided' });
    }
    if (settings.forbiddenPaths.includes(req.path)) return problem(res, 403, PERMISSION_DENIED_BODY);
    if (req.method !== 'GET') return problem(res, 405, { title: 'Method Not Allowed', detail: `${req.method} is not allowed on ${req.path}` });

    switch (req.path) {
      case '/':
        return sendJson(res, 200, { data: { title: 'Wazuh API REST', api_version: settings.apiVersion, revision: 40921, license_name: 'GPL 2.0', license_url: 'https://github.com/wazuh/wazuh/blob/v4.9.2/LICENSE', hostname: 'wazuh-server', timestamp: isoSeconds(Date.now()) }, error: 0 });
      case '/agents': {
        const offset = Number(req.query.get('offset') ?? 0);
        const limit = Number(req.query.get('limit') ?? 500);
        if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 100_000) {
          return problem(res, 400, { title: 'Bad Request', detail: `Invalid offset/limit (limit must be between 1 and 100000)`, error: 1400 });
        }
        let agents = [...data.agents];
        const statusFilter = req.query.get('status');
        if (statusFilter) {
          const wanted = statusFilter.split(',');
          agents = agents.filter((a) => wanted.includes(a.status));
        }
        const sort = req.query.get('sort') ?? '+id';
        const sortFields = sort.split(',').map((s) => ({ desc: s.startsWith('-'), field: s.replace(/^[+-]/, '') }));
        agents.sort((a, b) => {
          for (const { desc, field } of sortFields) {
            const av = String(getPath(a, field) ?? '');
            const bv = String(getPath(b, field) ?? '');
            if (av !== bv) return (av < bv ? -1 : 1) * (desc ? -1 : 1);
          }
          return 0;
        });
        const select = req.query.get('select');
        const page = agents.slice(offset, offset + limit).map((a) => (select ? pick(a as unknown as Record<string, unknown>, ['id', ...select.split(',')]) : a));
        return sendJson(res, 200, affected(page, agents.length, page.length ? 'All selected agents information was returned' : 'No agent information was returned'));
      }
      case '/agents/summary/status': {
        const connection = { active: 0, disconnected: 0, never_connected: 0, pending: 0, total: 0 };
        let synced = 0;
        for (const agent of data.agents) {
          connection[agent.status]++;
          connection.total++;
          if (agent.group_config_status === 'synced') synced++;
        }
        const body = settings.summaryFormat === 'flat'
          ? connection
          : { connection, configuration: { synced, not_synced: connection.total - synced, total: connection.total } };
        return sendJson(res, 200, { data: body, error: 0 });
      }
      case '/manager/status':
        return sendJson(res, 200, affected([{ ...data.daemons }], 1, 'Processes status was successfully read'));
      case '/manager/daemons/stats': {
        if (!settings.daemonStatsAvailable) return problem(res, 404, { title: 'Not Found', detail: '404: Not Found' });
        const names = (req.query.get('daemons_list') ?? 'wazuh-remoted,wazuh-analysisd,wazuh-db').split(',');
        const items = names.map((name) => ({ uptime: data.analysisdStartedAt, timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'), name, metrics: { events: { received: 1_204_331, processed: 1_204_301 } } }));
        return sendJson(res, 200, affected(items, items.length, 'Statistical information for each daemon was successfully read'));
      }
      default:
        return problem(res, 404, { title: 'Not Found', detail: '404: Not Found' });
    }
  }, { rateLimitBody: { text: JSON.stringify(RATE_LIMIT_BODY), contentType: PROBLEM }, errorBody: serverErrorBody });

  const docsFor = (): IndexedDoc[] => [
    ...data.alerts.map((source) => {
      const at = parseDate(source.timestamp, Date.now()) ?? Date.now();
      const day = new Date(at).toISOString().slice(0, 10).replace(/-/g, '.');
      return { _index: `wazuh-alerts-4.x-${day}`, _id: createHash('sha1').update(String(source.id ?? JSON.stringify(source))).digest('base64url').slice(0, 20), _source: source };
    }),
    ...data.vulnerabilities.map((source) => ({
      _index: 'wazuh-states-vulnerabilities-wazuh',
      _id: `${String(getPath(source, 'agent.id'))}_${String(getPath(source, 'package.name'))}_${String(getPath(source, 'package.version'))}_${String(getPath(source, 'vulnerability.id'))}`,
      _source: source,
    })),
  ];

  const indexer = await startSimulator(async (req, res) => {
    const creds = parseBasic(req.headers.authorization);
    if (!creds || creds.user !== credentials.indexer_username || !sameSecret(creds.password, credentials.indexer_password)) {
      return sendText(res, 401, 'Unauthorized', 'text/plain; charset=UTF-8', { 'www-authenticate': 'Basic realm="OpenSearch Security"' });
    }
    if (req.path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, {
        name: 'node-1', cluster_name: 'wazuh-cluster', cluster_uuid: 'lZbfmAq3Tq6LdLHNTy1Q4w',
        version: { number: '7.10.2', build_type: 'rpm', build_hash: 'db90a415ff2fd428b4f7b3f800a51dc229287cb4', build_date: '2024-07-31T21:03:48.590818Z', build_snapshot: false, lucene_version: '9.10.0', minimum_wire_compatibility_version: '7.10.0', minimum_index_compatibility_version: '7.0.0', distribution: 'opensearch' },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      });
    }
    if (req.path === '/_cluster/health' && req.method === 'GET') {
      return sendJson(res, 200, { cluster_name: 'wazuh-cluster', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1, active_primary_shards: 14, active_shards: 14, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0, active_shards_percent_as_number: 100 });
    }
    const match = /^\/([^/]+)\/_search$/.exec(req.path);
    if (match?.[1] && (req.method === 'POST' || req.method === 'GET')) {
      const target = decodeURIComponent(match[1]);
      if (settings.indexerForbidden) {
        return openSearchError(res, 403, 'security_exception', `no permissions for [indices:data/read/search] and User [name=${creds.user}, backend_roles=[], requestedTenant=null]`);
      }
      let body: Record<string, unknown> = {};
      if (req.body.trim() !== '') {
        try {
          body = JSON.parse(req.body) as Record<string, unknown>;
        } catch {
          return openSearchError(res, 400, 'parsing_exception', 'Unexpected character in request body');
        }
      }
      counters.searches++;
      try {
        return sendJson(res, 200, search(docsFor(), target, body, Date.now()));
      } catch (error) {
        if (error instanceof SearchError) return openSearchError(res, error.status, error.type, error.message);
        throw error;
      }
    }
    return sendJson(res, 400, { error: `no handler found for uri [${req.path}] and method [${req.method}]` });
  }, {
    rateLimitBody: { text: JSON.stringify({ error: { root_cause: [{ type: 'es_rejected_execution_exception', reason: 'rejected execution' }], type: 'es_rejected_execution_exception', reason: 'rejected execution' }, status: 429 }), contentType: 'application/json; charset=UTF-8' },
    errorBody: (status) => ({ text: JSON.stringify({ error: { root_cause: [{ type: 'exception', reason: `injected ${status}` }], type: 'exception', reason: `injected ${status}` }, status }), contentType: 'application/json; charset=UTF-8' }),
  });

  return {
    url: api.url,
    port: api.port,
    faults: api.faults,
    requests: api.requests,
    api,
    indexer,
    indexerUrl: indexer.url,
    data,
    settings,
    credentials,
    counters,
    revokeTokens: () => validTokens.clear(),
    close: async () => {
      await Promise.all([api.close(), indexer.close()]);
    },
  };
}
