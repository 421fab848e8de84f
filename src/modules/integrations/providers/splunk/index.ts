import { Type } from 'typebox';
import { configSchema } from '../base-config.ts';
import { checkConnection, describeFailure } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { fetchStatus, serverInfo } from './status.ts';

/*
 * Splunk Enterprise (+ Enterprise Security) over the management port (8089).
 *
 * - Auth: an authentication token (Settings > Tokens), sent as `Authorization: Bearer <token>`.
 * - Status: GET /services/server/info and GET /services/server/health/splunkd (both output_mode=json).
 * - Alerts: ES notables through the streaming v2 export endpoint (POST /services/search/v2/jobs/export),
 *   never the v1 /services/search/jobs/* endpoints (disabled since Splunk 9.0.1).
 * See docs/providers/splunk.md.
 */

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
