import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Provider, ProviderDefinition } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

// Placeholder until the Wazuh provider lands: every call fails with a clear error.
const notYet = async (): Promise<never> => {
  throw new ProviderError('config', 'Wazuh support is not available yet');
};
const provider: Provider = { check: notYet, fetchStatus: notYet };

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
  provider,
};
