import type { Kysely } from 'kysely';

/**
 * Integrations (connected vendor systems), the local secret store, and what their sync produces:
 * systems with their assets, alerts, vulnerabilities; plus the history of background job runs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // Envelope encryption: a random data key encrypts the value; the key-encryption key (derived
    // from SENTINEL_SECRET_KEY, identified by key_id) wraps the data key.
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('secrets_tenant_idx').on('secrets').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    // Exactly one of: secret_ref (a secret Sentinel stored from the API's `secret`), or
    // keyvault_secret_id (a secret already in the external store), or neither (no credential).
    .addColumn('secret_ref', 'text')
    .addColumn('keyvault_secret_id', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_sync_at', 'bigint')
    .addColumn('last_sync_status', 'text')
    .addColumn('last_error', 'text')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_sync_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('integrations_tenant_name_uq', ['tenant_id', 'name'])
    .execute();
  await db.schema.createIndex('integrations_tenant_idx').on('integrations').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('systems')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_summary', 'text')
    .addColumn('uptime_seconds', 'bigint')
    .addColumn('response_time_avg_ms', 'integer')
    .addColumn('last_seen', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('systems_tenant_integration_uq', ['tenant_id', 'integration_id'])
    .execute();
  await db.schema.createIndex('systems_tenant_idx').on('systems').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('system_id', 'text', (c) => c.notNull().references('systems.id').onDelete('cascade'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('assets_tenant_system_external_uq', ['tenant_id', 'system_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('integration_id', 'text', (c) => c.references('integrations.id').onDelete('set null'))
    .addColumn('system_id', 'text', (c) => c.references('systems.id').onDelete('set null'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('vendor_severity', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('asset', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'text')
    .addColumn('resolution_note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('alerts_tenant_integration_external_uq', ['tenant_id', 'integration_id', 'external_id'])
    .execute();
  await db.schema.createIndex('alerts_tenant_status_idx').on('alerts').columns(['tenant_id', 'status', 'id']).execute();
  await db.schema.createIndex('alerts_tenant_idx').on('alerts').columns(['tenant_id', 'id']).execute();
  // The sync reads an integration's open alerts on every run.
  await db.schema.createIndex('alerts_integration_status_idx').on('alerts').columns(['tenant_id', 'integration_id', 'status']).execute();

  await db.schema
    .createTable('vulnerabilities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('integration_id', 'text', (c) => c.references('integrations.id').onDelete('set null'))
    .addColumn('system_id', 'text', (c) => c.references('systems.id').onDelete('set null'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('cve', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('cvss_score', 'real')
    .addColumn('asset', 'text', (c) => c.notNull())
    .addColumn('package', 'text')
    .addColumn('version', 'text')
    .addColumn('fixed_version', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('vulnerabilities_tenant_integration_external_uq', ['tenant_id', 'integration_id', 'external_id'])
    .execute();
  await db.schema.createIndex('vulnerabilities_tenant_status_idx').on('vulnerabilities').columns(['tenant_id', 'status', 'id']).execute();
  await db.schema.createIndex('vulnerabilities_integration_status_idx').on('vulnerabilities').columns(['tenant_id', 'integration_id', 'status']).execute();

  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('duration_ms', 'integer')
    .addColumn('detail', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('job_runs_subject_idx').on('job_runs').columns(['subject_id', 'id']).execute();
  await db.schema.createIndex('job_runs_tenant_idx').on('job_runs').columns(['tenant_id', 'id']).execute();
}
