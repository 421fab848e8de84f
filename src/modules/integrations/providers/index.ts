import type { IntegrationType } from '../../security-domain/vocabulary.ts';
import { definition as grafana } from './grafana/index.ts';
import { definition as meraki } from './meraki/index.ts';
import { definition as paloalto } from './paloalto/index.ts';
import { definition as prometheus } from './prometheus/index.ts';
import { definition as splunk } from './splunk/index.ts';
import type { ProviderDefinition } from './types.ts';
import { definition as wazuh } from './wazuh/index.ts';

/** Every provider by type: a new vendor is one folder (client, status, alerts …, index) plus a line here. */
export const PROVIDERS: Record<IntegrationType, ProviderDefinition> = { grafana, prometheus, wazuh, splunk, meraki, paloalto };
