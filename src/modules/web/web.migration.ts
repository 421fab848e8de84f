import type { Kysely } from 'kysely';

/** Each user's own theme and language for the web UI; removed with the user. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('web_preferences')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('theme', 'text')
    .addColumn('language', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
