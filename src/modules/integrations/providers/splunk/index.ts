import { Type } from 'typebox';
import { configSchema } from '../base-config.ts';
import { checkConnection, describeFailure } from '../shared.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { fetchStatus, serverInfo } from './status.ts';

const check = (ctx: ProviderContext) =>
  checkConnection(
    async () => {
      const { info, res } = await serverInfo(ctx);
      const name = info.serverName ?? info.host ?? 'splunk';
      return { ok: true, latency_ms: res.latencyMs, detail: `Splunk ${info.version ?? '(unknown version)'} on ${name}` };
    },
    (error) => describeFailure('Splunk', error, {
      auth: 'Splunk rejected the authentication token (is token authentication enabled and the token valid?)',
      not_found: 'Splunk REST endpoint not found: is the URL the management port (usually :8089)?',
    }),
  );

const provider: Provider = { check, fetchStatus, fetchAlerts };

export const definition: ProviderDefinition = {
  type: 'splunk',
  label: 'Splunk',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('splunk', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Splunk authentication token (sent as Authorization: Bearer)' }),
  secretRequired: true,
  provider,
};
