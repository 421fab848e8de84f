import type { Selectable } from 'kysely';

/** The web module's tables (conventions in src/platform/db/schema.ts). */
export interface WebPreferencesTable {
  /** One row per user who changed a setting; the tenant's defaults apply otherwise. */
  user_id: string;
  /** 'dark' or 'light'; null = the tenant's default. */
  theme: string | null;
  /** 'es' or 'en'; null = the tenant's language. */
  language: string | null;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    web_preferences: WebPreferencesTable;
  }
}

export type WebPreferencesRow = Selectable<WebPreferencesTable>;
