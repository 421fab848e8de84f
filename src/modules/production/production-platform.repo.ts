/** The production module's rows in the platform database: plant database sources and downtime reasons. */
import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { DowntimeReasonRow, PlantDatabaseRow } from './production.tables.ts';

export function createProductionPlatformRepo(db: Kysely<PlatformDatabase>) {
  return {
    plantDatabase: (tenantId: string): Promise<PlantDatabaseRow | undefined> =>
      db.selectFrom('plant_databases').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst(),

    async savePlantDatabase(row: PlantDatabaseRow): Promise<void> {
      await db.insertInto('plant_databases').values(row)
        .onConflict((conflict) => conflict.column('tenant_id').doUpdateSet({ dialect: row.dialect, secret_ref: row.secret_ref, updated_at: row.updated_at }))
        .execute();
    },

    async deletePlantDatabase(tenantId: string): Promise<void> {
      await db.deleteFrom('plant_databases').where('tenant_id', '=', tenantId).execute();
    },

    downtimeReasons: (tenantId: string): Promise<DowntimeReasonRow[]> =>
      db.selectFrom('downtime_reasons').selectAll().where('tenant_id', '=', tenantId).orderBy('reason').execute(),

    async insertDowntimeReason(row: DowntimeReasonRow): Promise<void> {
      await db.insertInto('downtime_reasons').values(row).execute();
    },

    /** Whether a row was deleted. */
    async deleteDowntimeReason(tenantId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('downtime_reasons').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type ProductionPlatformRepo = ReturnType<typeof createProductionPlatformRepo>;
