import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { DashboardTemplatesTable, UserQueriesTable, WidgetCatalogTable } from './widgets.tables.ts';

export type UserQueryOrder = 'newest' | 'slowest';

/** The catalog, templates (every query of a tenant's scoped by it) and the query record. */
export function createWidgetsRepo(db: Kysely<PlatformDatabase>) {
  return {
    catalog: () => db.selectFrom('widget_catalog').selectAll().orderBy('widget_id').execute(),
    widget: (widgetId: string) => db.selectFrom('widget_catalog').selectAll().where('widget_id', '=', widgetId).executeTakeFirst(),
    /** Adds the widgets that are missing; two processes seeding at once add each once. */
    insertWidgets: async (rows: WidgetCatalogTable[]) => {
      if (rows.length > 0) await db.insertInto('widget_catalog').values(rows).onConflict((oc) => oc.column('widget_id').doNothing()).execute();
    },
    updateWidget: async (widgetId: string, changes: Partial<WidgetCatalogTable>) => {
      await db.updateTable('widget_catalog').set(changes).where('widget_id', '=', widgetId).execute();
    },
    defaultTemplateIds: async () => (await db.selectFrom('dashboard_templates').select('id').where('tenant_id', 'is', null).execute()).map((row) => row.id),
    insertDefaultTemplates: async (rows: DashboardTemplatesTable[]) => {
      if (rows.length > 0) await db.insertInto('dashboard_templates').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
    },

    /** The platform's defaults and the tenant's own. */
    templates: (tenantId: string) =>
      db.selectFrom('dashboard_templates').selectAll()
        .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
        .orderBy('role').orderBy('tenant_id').execute(),
    /** A platform default or one of the tenant's own. */
    template: (tenantId: string, id: string) =>
      db.selectFrom('dashboard_templates').selectAll().where('id', '=', id)
        .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)])).executeTakeFirst(),
    /** The tenant's template for the role, else the platform's. */
    templateForRole: (tenantId: string, role: string) =>
      db.selectFrom('dashboard_templates').selectAll().where('role', '=', role)
        .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
        // Non-null tenant first on both dialects.
        .orderBy((eb) => eb.case().when('tenant_id', 'is', null).then(1).else(0).end())
        .executeTakeFirst(),
    tenantHasRole: async (tenantId: string, role: string, exceptId?: string) => {
      let query = db.selectFrom('dashboard_templates').select('id').where('tenant_id', '=', tenantId).where('role', '=', role);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      return (await query.executeTakeFirst()) !== undefined;
    },
    insertTemplate: async (row: DashboardTemplatesTable) => {
      await db.insertInto('dashboard_templates').values(row).execute();
    },
    updateTemplate: async (tenantId: string, id: string, changes: Partial<Pick<DashboardTemplatesTable, 'name' | 'role' | 'layout' | 'updated_at'>>) => {
      await db.updateTable('dashboard_templates').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },
    deleteTemplate: async (tenantId: string, id: string) => {
      await db.deleteFrom('dashboard_templates').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },

    insertUserQueries: async (rows: UserQueriesTable[]) => {
      if (rows.length > 0) await db.insertInto('user_queries').values(rows).execute();
    },
    userQueries: (tenantId: string, filter: { order: UserQueryOrder; limit: number; widgetId?: string; templateId?: string; userId?: string }) => {
      let query = db.selectFrom('user_queries').selectAll().where('tenant_id', '=', tenantId);
      if (filter.widgetId !== undefined) query = query.where('widget_id', '=', filter.widgetId);
      if (filter.templateId !== undefined) query = query.where('template_id', '=', filter.templateId);
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      query = filter.order === 'slowest' ? query.orderBy('duration_ms', 'desc').orderBy('id', 'desc') : query.orderBy('id', 'desc');
      return query.limit(filter.limit).execute();
    },
    deleteUserQueriesBefore: async (before: number) => {
      const result = await db.deleteFrom('user_queries').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type WidgetsRepo = ReturnType<typeof createWidgetsRepo>;
