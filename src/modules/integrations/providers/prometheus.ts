import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Provider, ProviderDefinition } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

// Placeholder until the Prometheus provider lands: every call fails with a clear error.
const notYet = async (): Promise<never> => {
  throw new ProviderError('config', 'Prometheus support is not available yet');
};
const provider: Provider = { check: notYet, fetchStatus: notYet };

export const definition: ProviderDefinition = {
  type: 'prometheus',
  label: 'Prometheus',
  capabilities: ['METRICS', 'ALERTING', 'STATUS'],
  defaultCapabilities: ['METRICS', 'ALERTING', 'STATUS'],
  configSchema: configSchema('prometheus', {}),
  secretSchema: Type.String({ minLength: 1, maxLength: 4096, description: 'Optional bearer token' }),
  secretRequired: false,
  provider,
};
