import type { IntegrationType } from '../../security-domain/vocabulary.ts';
import type { ProviderDefinition } from './types.ts';
import { definition as grafana } from './grafana.ts';
import { definition as meraki } from './meraki.ts';
import { definition as paloalto } from './paloalto.ts';
import { definition as prometheus } from './prometheus.ts';
import { definition as splunk } from './splunk.ts';
import { definition as wazuh } from './wazuh.ts';

/** Every provider by type: a new vendor is one file plus a line here. */
export const PROVIDERS: Record<IntegrationType, ProviderDefinition> = { grafana, prometheus, wazuh, splunk, meraki, paloalto };
