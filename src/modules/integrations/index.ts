import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import type { AuditSink } from '../../platform/audit-sink.ts';
import type { LiveEvent } from '../../platform/events/event-bus.ts';
import { createSecretStore } from '../../platform/secrets/index.ts';
import { createAlertsMerge } from '../alerts/alerts.merge.ts';
import { createSystemsMerge } from '../systems/systems.merge.ts';
import { createVulnerabilitiesMerge } from '../vulnerabilities/vulnerabilities.merge.ts';
import { createIntegrationsRepo } from './integrations.repo.ts';
import { createIntegrationsService } from './integrations.service.ts';
import { createSyncRepo } from './sync.repo.ts';
import { createSyncService } from './sync.service.ts';

/** The integrations services over one database connection (the API's, or the sync worker's own). */
export function createIntegrationServices(config: Config, db: Db, secretKey: string, publish: (event: LiveEvent) => void, audit: Pick<AuditSink, 'recordMany'>) {
  const integrationsRepo = createIntegrationsRepo(db.kysely);
  const integrations = createIntegrationsService({ repo: integrationsRepo, secrets: createSecretStore(config, db.kysely, secretKey), vendorTimeoutMs: config.vendorTimeoutMs });
  const sync = createSyncService({
    publish,
    audit,
    syncRepo: createSyncRepo(db.kysely),
    systems: createSystemsMerge(db.kysely),
    alerts: createAlertsMerge(db.kysely),
    vulnerabilities: createVulnerabilitiesMerge(db.kysely),
    integrationsRepo,
    contextFor: integrations.contextFor,
    definitionOf: integrations.definitionOf,
    findIntegration: integrationsRepo.find,
  });
  return { integrations, sync };
}
