import type { Kysely, Transaction } from 'kysely';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { SessionRow } from './auth.tables.ts';

export type Executor = Kysely<PlatformDatabase> | Transaction<PlatformDatabase>;

export function createAuthRepo(db: Kysely<PlatformDatabase>) {
  return {
    db,
    transaction: <T>(work: (trx: Transaction<PlatformDatabase>) => Promise<T>) => db.transaction().execute(work),

    findUserForLogin(login: string) {
      return db
        .selectFrom('users')
        .leftJoin('tenants', 'tenants.id', 'users.tenant_id')
        .selectAll('users')
        .select('tenants.is_active as tenant_is_active')
        .where((eb) => eb.or([eb('users.username', '=', login), eb('users.email', '=', login)]))
        .executeTakeFirst();
    },

    findUserById: (userId: string) => db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst(),

    /** One row with everything needed to turn an access token into a principal. */
    findSessionPrincipal(executor: Executor, sessionId: string) {
      return executor
        .selectFrom('user_logins as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .leftJoin('tenants as t', 't.id', 'u.tenant_id')
        .leftJoin('password_change_required as pc', 'pc.user_id', 'u.id')
        .select([
          's.id as session_id', 's.ended_at', 's.last_seen_at', 's.expires_at',
          'u.id as user_id', 'u.username', 'u.email', 'u.tenant_id', 'u.role', 'u.permissions', 'u.is_active',
          't.is_active as tenant_is_active', 'pc.created_at as password_change_required_since',
        ])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
    },

    async insertSession(trx: Executor, session: SessionRow): Promise<void> {
      await trx.insertInto('user_logins').values(session).execute();
    },

    activeSessionIds(trx: Executor, userId: string, now: number, idleMs: number) {
      return trx
        .selectFrom('user_logins')
        .select(['id', 'ip', 'user_agent', 'created_at', 'last_seen_at'])
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', now - idleMs)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },

    listActiveSessions(userId: string, now: number, idleMs: number) {
      return db
        .selectFrom('user_logins')
        .selectAll()
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', now - idleMs)
        .orderBy('created_at', 'desc')
        .execute();
    },

    async passwordChangeRequired(executor: Executor, userId: string): Promise<boolean> {
      return (await executor.selectFrom('password_change_required').select('user_id').where('user_id', '=', userId).executeTakeFirst()) !== undefined;
    },

    async requirePasswordChange(userId: string, reason: string, now: number): Promise<void> {
      await db
        .insertInto('password_change_required')
        .values({ user_id: userId, reason, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ reason, updated_at: now }))
        .execute();
    },

    async clearPasswordChange(trx: Executor, userId: string): Promise<void> {
      await trx.deleteFrom('password_change_required').where('user_id', '=', userId).execute();
    },

    findSession: (executor: Executor, sessionId: string) =>
      executor.selectFrom('user_logins').selectAll().where('id', '=', sessionId).executeTakeFirst(),

    async endSessions(trx: Executor, ids: string[], reason: string, now: number): Promise<void> {
      if (ids.length === 0) return;
      await trx
        .updateTable('user_logins')
        .set({ ended_at: now, end_reason: reason, updated_at: now })
        .where('id', 'in', ids)
        .where('ended_at', 'is', null)
        .execute();
    },

    async endUserSessions(trx: Executor, userId: string, reason: string, now: number, exceptSessionId?: string): Promise<void> {
      let query = trx
        .updateTable('user_logins')
        .set({ ended_at: now, end_reason: reason, updated_at: now })
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null);
      if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
      await query.execute();
    },

    async endTenantSessions(trx: Executor, tenantId: string, reason: string, now: number): Promise<void> {
      await trx
        .updateTable('user_logins')
        .set({ ended_at: now, end_reason: reason, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('ended_at', 'is', null)
        .execute();
    },

    async touchSession(executor: Executor, sessionId: string, now: number): Promise<void> {
      await executor.updateTable('user_logins').set({ last_seen_at: now, updated_at: now }).where('id', '=', sessionId).execute();
    },

    async insertRefreshToken(trx: Executor, tokenHash: string, sessionId: string, now: number, expiresAt: number): Promise<void> {
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash, session_id: sessionId, created_at: now, updated_at: now, expires_at: expiresAt, used_at: null })
        .execute();
    },

    findRefreshToken: (trx: Executor, tokenHash: string) =>
      trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),

    /** Marks the token spent; false when another request spent it first. */
    async spendRefreshToken(trx: Executor, tokenHash: string, now: number): Promise<boolean> {
      const result = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now, updated_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async updatePassword(trx: Executor, userId: string, passwordHash: string, now: number): Promise<void> {
      await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
    },
  };
}

export type AuthRepo = ReturnType<typeof createAuthRepo>;
