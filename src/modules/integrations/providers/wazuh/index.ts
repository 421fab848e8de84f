import { Type } from 'typebox';
import { ProviderError, type ProviderErrorKind } from '../../vendor-http.ts';
import { configSchema } from '../base-config.ts';
import { checkConnection } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { get, safeJson, str, wazuhData, WazuhSession } from './client.ts';
import { fetchStatus, parseSummary, plural } from './status.ts';
import { fetchVulnerabilities } from './vulnerabilities.ts';

/*
 * Wazuh 4.x: the server API (port 55000, JWT from POST /security/user/authenticate) gives the
 * manager's health and the agents; the indexer (OpenSearch, port 9200, Basic auth) holds the alerts
 * (wazuh-alerts-4.x-*) and, since 4.8, the vulnerability state (wazuh-states-vulnerabilities-*).
 * docs/providers/wazuh.md describes the calls, the status rule and the severity tables.
 */

/** Both halves are checked, each on its own: a failing server API still shows whether the indexer answers. */
const check = (ctx: ProviderContext) =>
  checkConnection(async (elapsed) => {
    const session = new WazuhSession(ctx);
    let reason: ProviderErrorKind | undefined;
    let server: string;
    let serverOk = false;
    try {
      await session.login();
      const counts = parseSummary(wazuhData(await session.api({ path: '/agents/summary/status' }), 'GET /agents/summary/status'));
      server = `server API ok (${plural(counts.total, 'agent')} registered, the manager included)`;
      serverOk = true;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      server = `server API failed: ${error.message}`;
      reason = error.kind;
    }
    let indexer: string;
    let indexerOk = false;
    try {
      const res = await session.indexer({ path: '/', retry: true });
      const body = safeJson(res.text);
      const cluster = str(get(body, 'cluster_name'));
      const version = str(get(body, 'version.number'));
      indexer = `indexer ok${cluster || version ? ` (${[cluster && `cluster ${cluster}`, version && `version ${version}`].filter(Boolean).join(', ')})` : ''}`;
      indexerOk = true;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      indexer = `indexer failed: ${error.message}`;
      reason ??= error.kind;
    }
    return { ok: serverOk && indexerOk, latency_ms: elapsed(), detail: `${server}; ${indexer}`, ...(reason === undefined ? {} : { reason }) };
  });

const provider: Provider = { check, fetchStatus, fetchAlerts, fetchVulnerabilities };

export const definition: ProviderDefinition = {
  type: 'wazuh',
  label: 'Wazuh',
  capabilities: ['ALERTING', 'VULNERABILITY_FEED', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'VULNERABILITY_FEED', 'STATUS'],
  configSchema: configSchema('wazuh', {
    username: Type.String({ minLength: 1, maxLength: 256, description: 'Wazuh server API user' }),
    indexer_url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'Wazuh indexer (OpenSearch) URL, port 9200' }),
    indexer_username: Type.String({ minLength: 1, maxLength: 256, description: 'Wazuh indexer user' }),
  }),
  secretSchema: Type.Object({ password: Type.String({ minLength: 1, maxLength: 4096 }), indexer_password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  secretRequired: true,
  // Alerts come from the alerts index: events since the last sync, not the set of open alerts.
  alertMode: 'events',
  provider,
};
