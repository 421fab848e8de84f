import type { Selectable } from 'kysely';

/** The widgets module's platform tables (conventions in src/platform/db/schema.ts). */
export interface WidgetCatalogTable {
  widget_id: string;
  widget_name: string;
  widget_type: string;
  description: string;
  data_source: string;
  /** JSON Schema of the widget's params, as JSON text. */
  required_params: string;
  default_w: number;
  default_h: number;
  created_at: number;
  updated_at: number;
}

export interface DashboardTemplatesTable {
  id: string;
  /** Null for the platform's default of the role. */
  tenant_id: string | null;
  role: string;
  name: string;
  /** The grid items as JSON text. */
  layout: string;
  created_at: number;
  updated_at: number;
}

export interface UserQueriesTable {
  id: string;
  tenant_id: string;
  /** Null for a SUPER_ADMIN (not a user of the tenant); `username` names it. */
  user_id: string | null;
  username: string;
  widget_id: string | null;
  template_id: string | null;
  params: string;
  duration_ms: number;
  rows: number;
  /** 0/1; null when the query needed no plant metadata. */
  cache_hit: number | null;
  created_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    widget_catalog: WidgetCatalogTable;
    dashboard_templates: DashboardTemplatesTable;
    user_queries: UserQueriesTable;
  }
}

export type WidgetCatalogRow = Selectable<WidgetCatalogTable>;
export type DashboardTemplateRow = Selectable<DashboardTemplatesTable>;
export type UserQueryRow = Selectable<UserQueriesTable>;
