import type { Kysely } from 'kysely';

/**
 * The widget catalog (filled by `sentinel widgets seed` and on start), dashboard templates (the
 * platform's per role, a tenant's overrides) and the record of widget and dashboard data queries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('widget_catalog')
    .addColumn('widget_id', 'text', (c) => c.primaryKey())
    .addColumn('widget_name', 'text', (c) => c.notNull())
    .addColumn('widget_type', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('data_source', 'text', (c) => c.notNull())
    .addColumn('required_params', 'text', (c) => c.notNull())
    .addColumn('default_w', 'integer', (c) => c.notNull())
    .addColumn('default_h', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dashboard_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('layout', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One template per role and tenant (nulls are distinct: the platform's defaults have fixed ids instead).
  await db.schema.createIndex('dashboard_templates_tenant_role').on('dashboard_templates').columns(['tenant_id', 'role']).unique().execute();
  await db.schema
    .createTable('user_queries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text')
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('widget_id', 'text')
    .addColumn('template_id', 'text')
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('cache_hit', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_queries_tenant_created').on('user_queries').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('user_queries_tenant_duration').on('user_queries').columns(['tenant_id', 'duration_ms']).execute();
  await db.schema.createIndex('user_queries_created').on('user_queries').column('created_at').execute();
}
