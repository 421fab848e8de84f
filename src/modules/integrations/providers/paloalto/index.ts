import { Type } from 'typebox';
import { configSchema } from '../base-config.ts';
import { checkConnection } from '../common.ts';
import type { Provider, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { call, DEFAULT_OPTIONS, text, type PaloAltoOptions } from './client.ts';
import { fetchStatus, SHOW_SYSTEM_INFO, systemInfo } from './status.ts';

/*
 * Palo Alto Networks PAN-OS firewall through the XML API (`/api/`).
 *
 * - Auth: an API key (secret string), or `{username, password}` exchanged for a key with
 *   `POST /api/?type=keygen` (cached in ctx.state, regenerated once when the firewall rejects it).
 *   The key always travels in the `X-PAN-KEY` header, never in the URL.
 * - Every answer is checked for `<response status="error" code="N">`, whatever the HTTP status.
 * - Status: `show system info`; alerts: threat logs through the asynchronous log-query job.
 * See docs/providers/paloalto.md.
 */

/** The provider with its options (tests shorten the waits). */
export function createPaloAltoProvider(overrides: Partial<PaloAltoOptions> = {}): Provider {
  const o: PaloAltoOptions = { ...DEFAULT_OPTIONS, ...overrides };
  return {
    check: (ctx) =>
      checkConnection(async (elapsed) => {
        const system = systemInfo(await call(ctx, o, [], { type: 'op', cmd: SHOW_SYSTEM_INFO }));
        const name = text(system.hostname) || text(system.devicename) || 'firewall';
        return { ok: true, latency_ms: elapsed(), detail: `${name}: ${text(system.model) || 'unknown model'}, PAN-OS ${text(system['sw-version']) || 'unknown version'}` };
      }, (error) => `${error.kind}: ${error.message}`),
    fetchStatus: (ctx) => fetchStatus(ctx, o),
    fetchAlerts: (ctx, since) => fetchAlerts(ctx, o, since),
  };
}

const provider: Provider = createPaloAltoProvider();

export const definition: ProviderDefinition = {
  type: 'paloalto',
  label: 'Palo Alto Networks PAN-OS',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('paloalto', {
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the firewall writes log times in (default UTC)' })),
  }),
  secretSchema: Type.Union([Type.String({ minLength: 1, maxLength: 4096, description: 'API key' }), Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })]),
  secretRequired: true,
  // Threat logs are events since the last sync, not the set of open alerts.
  alertMode: 'events',
  provider,
};
