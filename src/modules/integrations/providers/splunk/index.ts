import { Type } from 'typebox';
import { ProviderError } from '../../vendor-http.ts';
import { configSchema } from '../base-config.ts';
import { checkConnection, describeFailure } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { splunkRequest } from './client.ts';
import { fetchStatus, serverInfo } from './status.ts';

/*
 * Splunk Enterprise (+ Enterprise Security) over the management port (8089).
 *
 * - Auth: an authentication token (Settings > Tokens), sent as `Authorization: Bearer <token>`; or a
 *   username and password exchanged for a session key (POST /services/auth/login), sent as
 *   `Authorization: Splunk <key>` and renewed once when Splunk answers 401 (the session idled out).
 * - Status: GET /services/server/info and GET /services/server/health/splunkd (both output_mode=json).
 * - Alerts: ES notables through a search job (POST /services/search/v2/jobs → poll dispatchState →
 *   results by count/offset → DELETE); the v1 /services/search/jobs root only when v2 is unknown
 *   (Splunk before 9.0.1).
 * - Write-back (opt-in, write_back_resolutions): POST /services/notable_update closes notables.
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
      // A failed login already says whose password was refused.
      ...(typeof ctx.secret === 'string' ? { auth: 'Splunk rejected the authentication token (is token authentication enabled and the token valid?)' } : {}),
      not_found: 'Splunk REST endpoint not found: is the URL the management port (usually :8089)?',
    }),
  );

/** ES closes notables by event id (`POST /services/notable_update`, status 5 = Closed), 100 a call. */
async function writeBackResolutions(ctx: ProviderContext, externalIds: string[]): Promise<number> {
  let closed = 0;
  // Derived ids (notables without an event_id) cannot be named to ES.
  const eventIds = externalIds.filter((id) => !id.startsWith('derived:'));
  for (let i = 0; i < eventIds.length; i += 100) {
    const batch = eventIds.slice(i, i + 100);
    const form = new URLSearchParams({ status: '5', comment: 'Resolved in Sentinel', output_mode: 'json' });
    for (const id of batch) form.append('ruleUIDs', id);
    // Closing twice changes nothing: safe to retry.
    const res = await splunkRequest(ctx, { method: 'POST', path: '/services/notable_update', body: form, retry: true });
    const body = res.json<{ success?: boolean; message?: string; failure_count?: number }>();
    if (body?.success !== true) throw new ProviderError('bad_response', `Splunk ES did not close the notables: ${body?.message ?? res.text.slice(0, 200)}`);
    closed += batch.length - Math.min(batch.length, body.failure_count ?? 0);
  }
  return closed;
}

const provider: Provider = { check, fetchStatus, fetchAlerts, writeBackResolutions };

export const definition: ProviderDefinition = {
  type: 'splunk',
  label: 'Splunk',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('splunk', {
    write_back_resolutions: Type.Boolean({ default: false, description: 'Close in ES incident review the notables a person resolves in Sentinel (the token\'s role needs edit_notable_events)' }),
  }),
  secretSchema: Type.Union([
    Type.String({ minLength: 1, maxLength: 4096, description: 'Splunk authentication token (sent as Authorization: Bearer)' }),
    Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false, description: 'A Splunk user, logged in through /services/auth/login' }),
  ]),
  secretRequired: true,
  provider,
};
