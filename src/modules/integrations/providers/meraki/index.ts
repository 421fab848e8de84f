import { Type } from 'typebox';
import { ProviderError } from '../../vendor-http.ts';
import { configSchema } from '../base-config.ts';
import { checkConnection, describeFailure } from '../common.ts';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.ts';
import { fetchAlerts } from './alerts.ts';
import { headers, organizationId } from './client.ts';
import { fetchStatus } from './status.ts';

/*
 * Cisco Meraki Dashboard API v1 (https://api.meraki.com/api/v1).
 *
 * - Auth: the dashboard API key as `Authorization: Bearer` and in `X-Cisco-Meraki-API-Key`.
 * - Status: GET /organizations/{id}/devices/statuses, every page (RFC 5988 Link rel=next).
 * - Alerts: GET /organizations/{id}/assurance/alerts (active, not dismissed, not resolved), every page.
 * - Write-back (opt-in, write_back_resolutions): POST /organizations/{id}/assurance/alerts/dismiss.
 * - Rate limit: 10 requests/s per organization; 429 + Retry-After is retried by VendorHttp.
 * See docs/providers/meraki.md.
 */

interface MerakiOrganization {
  id?: string;
  name?: string;
  api?: { enabled?: boolean };
}

function check(ctx: ProviderContext) {
  let orgId = '';
  return checkConnection(
    async () => {
      orgId = organizationId(ctx);
      const res = await ctx.http.request({ path: `/organizations/${encodeURIComponent(orgId)}`, headers: headers(ctx) });
      const org = res.json<MerakiOrganization>();
      if (org === null || typeof org !== 'object' || Array.isArray(org)) throw new ProviderError('bad_response', 'Meraki: the organization is not a JSON object');
      if (org.api?.enabled === false) {
        return { ok: false, latency_ms: res.latencyMs, detail: `API access is disabled for Meraki organization "${org.name ?? orgId}"`, reason: 'auth' };
      }
      return { ok: true, latency_ms: res.latencyMs, detail: `Meraki organization "${org.name ?? orgId}" (${org.id ?? orgId})` };
    },
    (error) => describeFailure('Meraki', error, {
      auth: 'Meraki rejected the API key (invalid, revoked, or API access not enabled for it)',
      not_found: `Meraki organization ${orgId} not found, or this API key has no access to it`,
    }),
  );
}

/** Dismisses assurance alerts (POST …/assurance/alerts/dismiss), 100 ids a call; the next sync sees them gone. */
async function writeBackResolutions(ctx: ProviderContext, externalIds: string[]): Promise<number> {
  const path = `/organizations/${encodeURIComponent(organizationId(ctx))}/assurance/alerts/dismiss`;
  for (let i = 0; i < externalIds.length; i += 100) {
    // Dismissing twice changes nothing: safe to retry.
    await ctx.http.request({ method: 'POST', path, headers: headers(ctx), body: { alertIds: externalIds.slice(i, i + 100) }, retry: true });
  }
  return externalIds.length;
}

const provider: Provider = { check, fetchStatus, fetchAlerts, writeBackResolutions };

export const definition: ProviderDefinition = {
  type: 'meraki',
  label: 'Cisco Meraki',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('meraki', {
    organization_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Meraki organization id (GET /organizations lists them)' }),
    write_back_resolutions: Type.Boolean({ default: false, description: 'Dismiss at Meraki the assurance alerts a person resolves in Sentinel (the API key needs write access)' }),
  }, { defaultUrl: 'https://api.meraki.com/api/v1' }),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Dashboard API key (sent as Authorization: Bearer and X-Cisco-Meraki-API-Key)' }),
  secretRequired: true,
  provider,
};
