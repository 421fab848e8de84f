import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Provider, ProviderDefinition } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

// Placeholder until the Splunk provider lands: every call fails with a clear error.
const notYet = async (): Promise<never> => {
  throw new ProviderError('config', 'Splunk support is not available yet');
};
const provider: Provider = { check: notYet, fetchStatus: notYet };

export const definition: ProviderDefinition = {
  type: 'splunk',
  label: 'Splunk',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('splunk', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Splunk authentication token' }),
  secretRequired: true,
  provider,
};
