import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { WebPreferencesRow } from './web.tables.ts';

export function createWebRepo(db: Kysely<PlatformDatabase>) {
  return {
    preferences: (userId: string): Promise<WebPreferencesRow | undefined> =>
      db.selectFrom('web_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst(),

    /** Sets the given preferences of a user and keeps the others. */
    async savePreferences(userId: string, change: { theme?: string; language?: string }, now: number): Promise<void> {
      await db.insertInto('web_preferences')
        .values({ user_id: userId, theme: change.theme ?? null, language: change.language ?? null, updated_at: now })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...change, updated_at: now }))
        .execute();
    },
  };
}

export type WebRepo = ReturnType<typeof createWebRepo>;
