import type { AssetStatus, SystemStatus } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { mean } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { parseTime, str, wazuhData, WazuhSession } from './client.ts';

/** GET /agents page size: the API allows more, Wazuh recommends at most 500. */
export const AGENTS_PAGE_SIZE = 500;
/** At most this many /agents pages (100 000 agents) per status report. */
export const MAX_AGENT_PAGES = 200;
/** Manager daemons without which Wazuh does not work: any of them not "running" makes the system `alert`. */
export const ESSENTIAL_DAEMONS = ['wazuh-analysisd', 'wazuh-remoted', 'wazuh-db', 'wazuh-modulesd'] as const;

export interface AgentCounts {
  active: number;
  disconnected: number;
  never_connected: number;
  pending: number;
  total: number;
}

/** GET /agents/summary/status: `data.connection.{…}` from v4.4, flat `data.{…}` in v4.0–4.3. */
export function parseSummary(data: Record<string, unknown>): AgentCounts {
  const nested = data.connection !== null && typeof data.connection === 'object';
  const source = (nested ? data.connection : data) as Record<string, unknown>;
  const states = ['active', 'disconnected', 'never_connected', 'pending'] as const;
  if (!states.some((field) => typeof source[field] === 'number')) {
    throw new ProviderError('bad_response', 'Wazuh server API: GET /agents/summary/status has neither data.connection nor the v4.0-4.3 counts');
  }
  const count = (field: string): number => {
    const value = source[field] ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ProviderError('bad_response', `Wazuh server API: GET /agents/summary/status has an unusable "${field}" count`);
    }
    return value;
  };
  const counts = { active: count('active'), disconnected: count('disconnected'), never_connected: count('never_connected'), pending: count('pending'), total: 0 };
  counts.total = source.total === undefined ? counts.active + counts.disconnected + counts.never_connected + counts.pending : count('total');
  return counts;
}

const AGENT_STATUS: Record<string, AssetStatus> = { active: 'online', disconnected: 'offline', pending: 'warning', never_connected: 'unknown' };

interface WazuhAgent {
  id?: unknown;
  name?: unknown;
  ip?: unknown;
  status?: unknown;
  os?: { name?: unknown; version?: unknown; platform?: unknown };
  version?: unknown;
  lastKeepAlive?: unknown;
  dateAdd?: unknown;
  group?: unknown;
  node_name?: unknown;
}

const AGENT_FIELDS = 'id,name,ip,status,os.name,os.version,os.platform,version,lastKeepAlive,dateAdd,group,node_name';

function toAsset(agent: WazuhAgent): NormalizedAsset | null {
  const id = str(agent.id);
  if (!id) return null;
  const status = str(agent.status) ?? 'unknown';
  const os = [str(agent.os?.name), str(agent.os?.version)].filter(Boolean).join(' ');
  let lastKeepAlive = str(agent.lastKeepAlive) ?? null;
  // The manager's keep-alive is a placeholder far in the future (9999-12-31).
  if (lastKeepAlive?.startsWith('9999')) lastKeepAlive = null;
  return {
    external_id: id,
    name: str(agent.name) ?? id,
    kind: id === '000' ? 'manager' : 'agent',
    status: AGENT_STATUS[status] ?? 'unknown',
    detail: {
      wazuh_status: status,
      ip: str(agent.ip) ?? null,
      os: os || null,
      platform: str(agent.os?.platform) ?? null,
      version: str(agent.version) ?? null,
      lastKeepAlive,
      dateAdd: str(agent.dateAdd) ?? null,
      groups: Array.isArray(agent.group) ? agent.group.filter((g) => typeof g === 'string') : [],
      node: str(agent.node_name) ?? null,
    },
  };
}

async function listAgents(session: WazuhSession): Promise<{ assets: NormalizedAsset[]; total: number }> {
  const assets = new Map<string, NormalizedAsset>();
  let total = 0;
  let offset = 0;
  for (let page = 0; page < MAX_AGENT_PAGES; page++) {
    const res = await session.api({ path: '/agents', query: { offset, limit: AGENTS_PAGE_SIZE, sort: '+id', select: AGENT_FIELDS } });
    const data = wazuhData(res, 'GET /agents');
    const items = data.affected_items;
    if (!Array.isArray(items)) throw new ProviderError('bad_response', 'Wazuh server API: GET /agents answered without data.affected_items');
    if (typeof data.total_affected_items === 'number') total = data.total_affected_items;
    for (const item of items as WazuhAgent[]) {
      const asset = toAsset(item);
      if (asset) assets.set(asset.external_id, asset);
    }
    offset += items.length;
    if (items.length === 0 || offset >= total) break;
  }
  return { assets: [...assets.values()], total: Math.max(total, assets.size) };
}

/** GET /manager/status → daemons not running; null when the user may not read it (403). */
async function managerDaemons(session: WazuhSession): Promise<{ down: { name: string; state: string }[]; daemons: Record<string, string> } | null> {
  const res = await session.api({ path: '/manager/status', acceptStatus: [403] });
  if (res.status === 403) return null;
  const data = wazuhData(res, 'GET /manager/status');
  const first = Array.isArray(data.affected_items) ? (data.affected_items[0] as Record<string, unknown> | undefined) : undefined;
  if (!first || typeof first !== 'object') return null;
  const daemons: Record<string, string> = {};
  for (const [name, state] of Object.entries(first)) if (typeof state === 'string') daemons[name] = state;
  const down = ESSENTIAL_DAEMONS.filter((name) => daemons[name] !== undefined && daemons[name] !== 'running').map((name) => ({ name, state: daemons[name] as string }));
  return { down, daemons };
}

/** Seconds wazuh-analysisd has been running (GET /manager/daemons/stats, 4.4+); null when unavailable. */
async function managerUptime(session: WazuhSession): Promise<number | null> {
  const res = await session.api({ path: '/manager/daemons/stats', query: { daemons_list: 'wazuh-analysisd' }, acceptStatus: [400, 403, 404, 405] });
  if (res.status !== 200) return null;
  let data: Record<string, unknown>;
  try {
    data = wazuhData(res, 'GET /manager/daemons/stats');
  } catch {
    return null; // uptime is a nicety: never fail the report for it
  }
  const first = Array.isArray(data.affected_items) ? (data.affected_items[0] as Record<string, unknown> | undefined) : undefined;
  const started = parseTime(first?.uptime);
  if (started === undefined) return null;
  const at = parseTime(first?.timestamp) ?? Date.now();
  return at >= started ? Math.round((at - started) / 1000) : null;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The status rule (docs/providers/wazuh.md): an essential manager daemon not running, no agents,
 * or more than half of the agents disconnected → alert; any agent disconnected → warning; else
 * online. Counts exclude the manager itself (agent 000).
 */
export function deriveStatus(counts: AgentCounts, down: { name: string; state: string }[]): { status: SystemStatus; summary: string } {
  const parts = [`${counts.active} of ${plural(counts.total, 'agent')} active`];
  if (counts.disconnected) parts.push(`${counts.disconnected} disconnected`);
  if (counts.pending) parts.push(`${counts.pending} pending`);
  if (counts.never_connected) parts.push(`${counts.never_connected} never connected`);
  const agents = parts.join(', ');
  if (down.length) {
    return { status: 'alert', summary: `manager daemon${down.length === 1 ? '' : 's'} not running: ${down.map((d) => `${d.name} (${d.state})`).join(', ')}; ${agents}` };
  }
  if (counts.total === 0) return { status: 'alert', summary: 'no agents registered with the manager' };
  if (counts.disconnected * 2 > counts.total) return { status: 'alert', summary: `${agents}: more than half of the agents are disconnected` };
  if (counts.disconnected > 0) return { status: 'warning', summary: agents };
  return { status: 'online', summary: agents };
}

export async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const session = new WazuhSession(ctx);
  const counts = parseSummary(wazuhData(await session.api({ path: '/agents/summary/status' }), 'GET /agents/summary/status'));
  const { assets, total } = await listAgents(session);
  const daemons = await managerDaemons(session);
  const uptime = await managerUptime(session);

  // The summary counts the manager (agent 000, always "active") when the user may see it.
  const manager = assets.find((a) => a.kind === 'manager');
  if (manager) {
    const bucket = (manager.detail?.wazuh_status as keyof AgentCounts | undefined) ?? 'active';
    if (bucket !== 'total' && counts[bucket] > 0) counts[bucket]--;
    if (counts.total > 0) counts.total--;
    if (daemons?.down.length) manager.status = 'warning';
    if (daemons) manager.detail = { ...manager.detail, daemons: daemons.daemons };
  }
  const derived = deriveStatus(counts, daemons?.down ?? []);
  const { status } = derived;
  let { summary } = derived;
  if (assets.length < total) summary += ` (first ${assets.length} of ${total} agents listed)`;
  if (daemons === null) summary += ' (manager daemons not readable by this user)';
  return { status, summary, assets, metrics: { uptime, response_time_avg: mean(session.latencies) } };
}
