import type { Kysely } from 'kysely';

/** Alert rules per tenant with their evaluation state, and each tenant's evaluation slot. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('metric', 'text')
    .addColumn('labels', 'text')
    .addColumn('aggregation', 'text')
    .addColumn('window_seconds', 'integer')
    .addColumn('operator', 'text')
    .addColumn('threshold', 'double precision')
    .addColumn('for_seconds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('line_id', 'bigint')
    .addColumn('minutes', 'integer')
    .addColumn('target', 'double precision')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('pending_since', 'bigint')
    .addColumn('firing_since', 'bigint')
    .addColumn('last_value', 'double precision')
    .addColumn('last_evaluated_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_rules_tenant_idx').on('alert_rules').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('alert_rule_schedules')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('next_eval_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_rule_schedules_due_idx').on('alert_rule_schedules').columns(['next_eval_at']).execute();
}
