import type { Kysely } from 'kysely';
import type { PlantDialect } from '../../platform/db/plant-registry.ts';

/**
 * Sentinel's own key/value metadata in a tenant's plant database. The `sentinel_` prefix keeps
 * every table Sentinel creates apart from a client's own tables.
 */
export async function up(db: Kysely<unknown>, _dialect: PlantDialect): Promise<void> {
  await db.schema
    .createTable('sentinel_plant_meta')
    .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
