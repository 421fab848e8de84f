import { Type } from 'typebox';
import { configSchema } from '../base-config.ts';
import { checkConnection } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { api, type RangeResult } from './client.ts';
import { fetchStatus } from './status.ts';
import { query } from './query.ts';

const check = (ctx: ProviderContext) =>
  checkConnection(async (elapsed) => {
    const build = await api<{ version?: string }>(ctx, '/api/v1/status/buildinfo', {}, true);
    const up = await api<RangeResult>(ctx, '/api/v1/query', { query: 'up' });
    const series = Array.isArray(up.data?.result) ? up.data.result.length : 0;
    const version = build.data?.version ? `Prometheus ${build.data.version}` : 'Prometheus';
    return { ok: true, latency_ms: elapsed(), detail: `${version} reachable; the query API answered (${series} series for "up")` };
  });

const provider: Provider = { check, fetchStatus, fetchAlerts, query };

export const definition: ProviderDefinition = {
  type: 'prometheus',
  label: 'Prometheus',
  capabilities: ['METRICS', 'ALERTING', 'STATUS'],
  defaultCapabilities: ['METRICS', 'ALERTING', 'STATUS'],
  configSchema: configSchema('prometheus', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Optional bearer token, sent as Authorization: Bearer (e.g. for a Prometheus behind an authenticating proxy)' }),
  secretRequired: false,
  provider,
};
