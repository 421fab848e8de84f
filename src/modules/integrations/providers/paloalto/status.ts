import type { SystemStatus } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { isObject, mean } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { call, text, type PaloAltoOptions, type Tracker, type XmlNode } from './client.ts';

export const SHOW_SYSTEM_INFO = '<show><system><info></info></system></show>';
/** `operational-mode` values that are healthy: `normal`, and `fips-cc` (a hardened mode chosen on purpose). */
const HEALTHY_MODES = new Set(['normal', 'fips-cc']);

/** "3 days, 5:35:41", "1 day, 0:00:01", "0 days, 0:05:00", "5:35:41" → seconds (null when not understood). */
export function parseUptime(value: string | undefined): number | null {
  if (!value) return null;
  const match = /^\s*(?:(\d+)\s+days?\s*,?\s*)?(\d+):(\d{1,2}):(\d{1,2})\s*$/i.exec(value);
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

export function systemInfo(response: XmlNode): XmlNode {
  const result = response.result;
  const system = isObject(result) ? result.system : undefined;
  if (!isObject(system)) throw new ProviderError('bad_response', 'show system info answered without <system>');
  return system;
}

export async function fetchStatus(ctx: ProviderContext, o: PaloAltoOptions): Promise<StatusReport> {
  const tracker: Tracker = [];
  const system = systemInfo(await call(ctx, o, tracker, { type: 'op', cmd: SHOW_SYSTEM_INFO }));
  const serial = text(system.serial).trim();
  const name = text(system.hostname) || text(system.devicename) || serial || 'firewall';
  const mode = text(system['operational-mode']).trim();
  const normal = mode === '' || HEALTHY_MODES.has(mode.toLowerCase());
  const status: SystemStatus = normal ? 'online' : 'warning';
  const asset: NormalizedAsset = {
    external_id: serial || name,
    name,
    kind: 'firewall',
    status: normal ? 'online' : 'warning',
    detail: {
      model: text(system.model) || null,
      'sw-version': text(system['sw-version']) || null,
      'ip-address': text(system['ip-address']) || null,
      'threat-version': text(system['threat-version']) || null,
      'app-version': text(system['app-version']) || null,
      'operational-mode': mode || null,
      uptime: text(system.uptime) || null,
    },
  };
  const version = text(system['sw-version']);
  return {
    status,
    metrics: { uptime: parseUptime(text(system.uptime)), response_time_avg: mean(tracker) },
    assets: [asset],
    summary: normal
      ? `${name} (${text(system.model) || 'PAN-OS'}${version ? ` ${version}` : ''}) reachable, operational mode ${mode || 'normal'}`
      : `${name} is in operational mode "${mode}" (not normal)`,
  };
}
