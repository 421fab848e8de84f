import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Provider, ProviderDefinition } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

// Placeholder until the Cisco Meraki provider lands: every call fails with a clear error.
const notYet = async (): Promise<never> => {
  throw new ProviderError('config', 'Cisco Meraki support is not available yet');
};
const provider: Provider = { check: notYet, fetchStatus: notYet };

export const definition: ProviderDefinition = {
  type: 'meraki',
  label: 'Cisco Meraki',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('meraki', {
    organization_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  }, { defaultUrl: 'https://api.meraki.com/api/v1' }),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Dashboard API key' }),
  secretRequired: true,
  provider,
};
