import type { AssetStatus, SystemStatus } from '../../../security-domain/vocabulary.ts';
import { mean } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { firstContent, getJson, type EntryList } from './client.ts';

/** splunkd health colour → system status. */
const HEALTH_STATUS: Record<string, SystemStatus> = { green: 'online', yellow: 'warning', red: 'alert' };
/** splunkd health colour → the server's own asset status (it answered, so red is not "offline"). */
const HEALTH_ASSET: Record<string, AssetStatus> = { green: 'online', yellow: 'warning', red: 'warning' };

interface ServerInfoContent {
  version?: string;
  build?: string;
  serverName?: string;
  host?: string;
  guid?: string;
  startup_time?: number | string;
  health_info?: string;
  os_name?: string;
  product_type?: string;
  server_roles?: string[];
  mode?: string;
  kvStoreStatus?: string;
}

interface HealthNode {
  health?: string;
  features?: Record<string, HealthNode>;
}

export function serverInfo(ctx: ProviderContext) {
  return getJson<EntryList<ServerInfoContent>>(ctx, '/services/server/info').then(({ body, res }) => ({
    info: firstContent(body, 'server/info'),
    res,
  }));
}

/** Leaf features of the splunkd health tree whose colour is yellow or red ("Search Scheduler: red"). */
function degradedFeatures(node: HealthNode | undefined, prefix: string[] = []): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(node?.features ?? {})) {
    const path = [...prefix, name];
    const health = String(child?.health ?? '').toLowerCase();
    const nested = degradedFeatures(child, path);
    if (nested.length > 0) out.push(...nested);
    else if (health === 'yellow' || health === 'red') out.push(`${path.join(' > ')}: ${health}`);
  }
  return out;
}

export async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const { info, res } = await serverInfo(ctx);
  latencies.push(res.latencyMs);

  // The health tree needs the list_health capability and Splunk 8+; when it is missing (404/403),
  // fall back on server/info's health_info.
  let health: string | undefined;
  let degraded: string[] = [];
  const healthCall = await getJson<EntryList<HealthNode>>(ctx, '/services/server/health/splunkd', [403, 404]);
  latencies.push(healthCall.res.latencyMs);
  if (healthCall.body !== undefined) {
    const node = firstContent(healthCall.body, 'server/health/splunkd');
    health = node.health?.toLowerCase();
    degraded = degradedFeatures(node);
  }
  health ??= info.health_info?.toLowerCase();

  const startup = Number(info.startup_time);
  const uptime = Number.isFinite(startup) && startup > 0 ? Math.max(0, Math.round(Date.now() / 1000 - startup)) : null;

  const name = info.serverName ?? info.host ?? 'splunk';
  const status: SystemStatus = (health !== undefined ? HEALTH_STATUS[health] : undefined) ?? 'online';
  const asset: NormalizedAsset = {
    external_id: info.guid ?? name,
    name,
    kind: 'server',
    status: health !== undefined ? (HEALTH_ASSET[health] ?? 'unknown') : 'online',
    detail: {
      version: info.version ?? null,
      build: info.build ?? null,
      os_name: info.os_name ?? null,
      product_type: info.product_type ?? null,
      server_roles: info.server_roles ?? [],
      health: health ?? null,
      degraded_features: degraded,
    },
  };

  let summary: string;
  if (health === undefined) summary = `Splunk ${info.version ?? ''} on ${name} answers; splunkd health not reported`.replace(/\s+/g, ' ');
  else if (status === 'online') summary = `splunkd health green on ${name} (Splunk ${info.version ?? '?'})`;
  else if (health in HEALTH_STATUS) summary = `splunkd health ${health} on ${name}${degraded.length > 0 ? `: ${degraded.slice(0, 5).join(', ')}${degraded.length > 5 ? ` (+${degraded.length - 5} more)` : ''}` : ''}`;
  else summary = `splunkd health "${health}" on ${name}`;

  return {
    status,
    metrics: { uptime, response_time_avg: mean(latencies) },
    assets: [asset],
    summary,
  };
}
