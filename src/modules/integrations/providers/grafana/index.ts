import { Type } from 'typebox';
import { configSchema } from '../base-config.ts';
import { checkConnection } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { call, health } from './client.ts';
import { getDashboard, listDashboards } from './dashboards.ts';
import { fetchPanelData } from './panel-data.ts';
import { fetchStatus } from './status.ts';

const check = (ctx: ProviderContext) =>
  checkConnection(async (elapsed) => {
    const h = await health(ctx);
    if (typeof ctx.secret !== 'string' || ctx.secret.trim() === '') return { ok: false, latency_ms: elapsed(), detail: 'no Grafana service-account token is configured', reason: 'config' };
    await call(ctx, { path: '/api/search', query: { limit: 1 } });
    const name = h.version ? `Grafana ${h.version}` : 'Grafana';
    return { ok: true, latency_ms: elapsed(), detail: `${name} reachable, token accepted${h.ok ? '' : ' (but its database health check is failing)'}` };
  });

const provider: Provider = { check, fetchStatus, fetchAlerts, listDashboards, getDashboard, fetchPanelData };

export const definition: ProviderDefinition = {
  type: 'grafana',
  label: 'Grafana',
  capabilities: ['METRICS', 'ALERTING', 'STATUS'],
  defaultCapabilities: ['METRICS', 'ALERTING', 'STATUS'],
  configSchema: configSchema('grafana', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Service-account token (glsa_…), sent as Authorization: Bearer' }),
  secretRequired: true,
  provider,
};
