import { Type } from 'typebox';
import { configSchema } from './base-config.ts';
import type { Provider, ProviderDefinition } from './types.ts';
import { ProviderError } from '../vendor-http.ts';

// Placeholder until the Palo Alto Networks PAN-OS provider lands: every call fails with a clear error.
const notYet = async (): Promise<never> => {
  throw new ProviderError('config', 'Palo Alto Networks PAN-OS support is not available yet');
};
const provider: Provider = { check: notYet, fetchStatus: notYet };

export const definition: ProviderDefinition = {
  type: 'paloalto',
  label: 'Palo Alto Networks PAN-OS',
  capabilities: ['ALERTING', 'STATUS'],
  defaultCapabilities: ['ALERTING', 'STATUS'],
  configSchema: configSchema('paloalto', {}),
  secretSchema: Type.Union([Type.String({ minLength: 1, maxLength: 4096, description: 'API key' }), Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })]),
  secretRequired: true,
  provider,
};
