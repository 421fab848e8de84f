import type { Config } from '../../config.ts';
import { badRequest, notFound, tooManyRequests, unauthorized, type HttpError } from '../../platform/http/errors.ts';
import { say, type Localized } from '../../platform/languages.ts';
import { newId, toIso, toIsoOrNull } from '../../platform/ids.ts';
import type { SessionRow } from './auth.tables.ts';
import { burnPasswordCheck, hashPassword, passwordProblems, verifyPassword } from '../../platform/auth/passwords.ts';
import { permissionsOf, type Role } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { hashToken, newRefreshToken, type AccessClaims, type TokenService } from '../../platform/auth/tokens.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuthRepo, Executor } from './auth.repo.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { NodeBroadcast } from '../../platform/cluster-state/shared-state.ts';

export function sessionView(session: SessionRow, currentSessionId: string | null) {
  return {
    id: session.id,
    ip: session.ip,
    user_agent: session.user_agent,
    created_at: toIso(session.created_at),
    last_seen_at: toIso(session.last_seen_at),
    expires_at: toIso(session.expires_at),
    current: session.id === currentSessionId,
  };
}

/** Where a request comes from, for sessions and the audit log. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/** A sign-in's answer: the tokens, and what the user must know at once. */
export interface LoginAnswer extends TokenPair {
  /** The password was generated and shown once: change it before anything else (POST /auth/change-password). */
  password_change_required: boolean;
  /** Older sessions this sign-in ended to stay within the session limit. */
  ended_sessions: { id: string; reason: 'session_limit'; ip: string | null; user_agent: string | null; created_at: string; last_seen_at: string }[];
  notice?: string;
}

/** Why a session ended (`user_logins.end_reason`), as a client is told. */
const END_REASONS: Record<string, Localized> = {
  logout: say('it was signed out', 'se cerró la sesión'),
  password_changed: say('the password was changed in another session', 'se cambió la contraseña en otra sesión'),
  password_reset: say('an administrator set a new password', 'un administrador estableció una contraseña nueva'),
  revoked: say('it was ended from another session', 'se cerró desde otra sesión'),
  refresh_token_reuse: say('a refresh token of it was used twice (possible theft)', 'uno de sus tokens de actualización se usó dos veces (posible robo)'),
  user_disabled: say('the account was disabled', 'se desactivó la cuenta'),
  user_deleted: say('the account was deleted', 'se eliminó la cuenta'),
  ended_by_admin: say('an administrator ended it', 'un administrador la cerró'),
  tenant_disabled: say('tenant disabled', 'se desactivó el cliente'),
  tenant_deleted: say('tenant deleted', 'se eliminó el cliente'),
};

/**
 * Resolved principals are cached so that a user's requests do not each cost a query. Changes made
 * through this process invalidate the cache at once; other nodes drop their entries when the
 * change's message reaches them (REDIS_URL). An entry lives for the long TTL while this node has
 * heard every message since it was read (an unbroken subscription: the same delivery epoch), and
 * for the short TTL otherwise (no Redis, Redis away, the subscription interrupted since). A message
 * lost on the sender's side (the changing node lost Redis, or died between its commit and its
 * message) is therefore noticed within the long TTL at worst.
 */
const PRINCIPAL_CACHE_TTL_MS = 2_000;
const PRINCIPAL_CACHE_HEARD_TTL_MS = 15_000;
const PRINCIPAL_CACHE_MAX = 50_000;
/** last_seen_at is written at most this often per session; idle timeouts are this precise. */
const TOUCH_INTERVAL_MS = 30_000;

interface CachedPrincipal {
  principal: Principal;
  fetchedAt: number;
  /** The other nodes' delivery epoch when it was read (undefined: their messages were not heard). */
  deliveryEpoch: number | undefined;
  lastSeenAt: number;
  expiresAt: number;
}

type LoginUser = NonNullable<Awaited<ReturnType<AuthRepo['findUserForLogin']>>>;
type CredentialVerdict =
  | { user: LoginUser }
  | { failure: 'unknown_user' | 'bad_password' | 'user_disabled' | 'tenant_disabled'; user?: LoginUser };

type Settings = Pick<Config, 'refreshTokenDays' | 'sessionIdleMinutes' | 'sessionMaxHours' | 'maxSessions'>;

/** Which cached principals a change makes stale: one session's, a user's or a whole tenant's. */
interface Invalidation {
  scope: 'session' | 'user' | 'tenant';
  id: string;
}

export function createAuthService(deps: {
  repo: AuthRepo; tokens: TokenService; audit: AuditService; throttle: LoginThrottle; settings: Settings;
  otherNodes: NodeBroadcast;
  /** Runs an effect once the transaction open around the caller (an audited write's) has committed. */
  afterCommit: (effect: () => void) => void;
}) {
  const { repo, tokens, audit, throttle, settings, otherNodes, afterCommit } = deps;
  const idleMs = settings.sessionIdleMinutes * 60_000;
  const refreshMs = settings.refreshTokenDays * 86_400_000;
  const absoluteMs = settings.sessionMaxHours * 3_600_000;
  const cache = new Map<string, CachedPrincipal>();
  /** Grows with every invalidation: a principal read while one arrived is not cached (it may predate it). */
  let invalidations = 0;

  function dropCached({ scope, id }: Invalidation): void {
    invalidations += 1;
    if (scope === 'session') cache.delete(id);
    else for (const [sid, entry] of cache) if ((scope === 'user' ? entry.principal.userId : entry.principal.tenantId) === id) cache.delete(sid);
  }
  otherNodes.receive((message) => dropCached(JSON.parse(message) as Invalidation));

  /**
   * Drops the stale principals here and asks every other node to drop theirs, once the change is
   * committed: a node that dropped one earlier could read the old row again and keep it for the TTL.
   */
  function invalidate(scope: Invalidation['scope'], id: string): void {
    afterCommit(() => {
      dropCached({ scope, id });
      otherNodes.send(JSON.stringify({ scope, id }));
    });
  }

  /** Forget cached principals of a user whose role, permissions or status changed. */
  function invalidateUser(userId: string): void {
    invalidate('user', userId);
  }

  async function issueTokens(trx: Executor, claims: AccessClaims, now: number, sessionExpiresAt: number): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await repo.insertRefreshToken(trx, hashToken(refreshToken), claims.sid, now, Math.min(now + refreshMs, sessionExpiresAt));
    return {
      access_token: await tokens.issueAccessToken(claims),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: tokens.accessTokenSeconds,
    };
  }

  /** Judges a login and password. Every path costs one password hash, so timing tells no usernames apart. */
  async function checkCredentials(login: string, password: string): Promise<CredentialVerdict> {
    const user = await repo.findUserForLogin(login);
    if (user === undefined) {
      await burnPasswordCheck(password);
      return { failure: 'unknown_user' };
    }
    if (!(await verifyPassword(user.password_hash, password))) return { failure: 'bad_password', user };
    if (user.is_active !== 1) return { failure: 'user_disabled', user };
    if (user.tenant_id !== null && user.tenant_is_active !== 1) return { failure: 'tenant_disabled', user };
    return { user };
  }

  /** Audits a failed sign-in; the throttle counted it already, when it reserved the attempt. */
  function loginFailed(login: string, client: ClientInfo, reason: string, user?: { id: string; tenant_id: string | null }) {
    return audit.record({
      action: 'auth.login',
      outcome: 'failure',
      tenantId: user?.tenant_id ?? null,
      actorId: user?.id ?? null,
      actorUsername: login.slice(0, 128),
      resourceType: 'session',
      detail: { reason },
      ip: client.ip,
      userAgent: client.userAgent,
      requestId: client.requestId,
    });
  }

  return {
    async login(loginInput: string, password: string, client: ClientInfo): Promise<LoginAnswer> {
      const login = loginInput.trim().toLowerCase();
      const reservation = await throttle.reserve(login, client.ip);
      if (!reservation.allowed) {
        const wait = reservation.retryAfterSeconds;
        await audit.record({
          action: 'auth.login', outcome: 'denied', actorUsername: login.slice(0, 128), resourceType: 'session',
          detail: { reason: 'throttled', retry_after: wait }, ip: client.ip, userAgent: client.userAgent, requestId: client.requestId,
        });
        throw tooManyRequests(wait, say('Too many failed sign-in attempts; try again later', 'Demasiados intentos fallidos de inicio de sesión; inténtelo de nuevo más tarde'));
      }
      let verdict: CredentialVerdict;
      try {
        verdict = await checkCredentials(login, password);
      } catch (error) {
        // The attempt could not be judged (the database failed): it is no failed guess.
        await reservation.attempt.withdraw();
        throw error;
      }
      if ('failure' in verdict) {
        await loginFailed(login, client, verdict.failure, verdict.user);
        throw verdict.failure === 'user_disabled' || verdict.failure === 'tenant_disabled'
          ? unauthorized(say('This account is disabled', 'Esta cuenta está desactivada'), 'account_disabled')
          : unauthorized(say('Invalid username or password', 'Usuario o contraseña incorrectos'));
      }
      const { user } = verdict;
      await reservation.attempt.succeeded();

      const now = Date.now();
      const sessionId = newId(now);
      const expiresAt = now + absoluteMs;
      const pair = await repo.transaction(async (trx) => {
        // Keep at most maxSessions: the new one plus the newest maxSessions - 1; the oldest end.
        const active = await repo.activeSessionIds(trx, user.id, now, idleMs);
        const ended = active.slice(settings.maxSessions - 1);
        const surplus = ended.map((s) => s.id);
        await repo.endSessions(trx, surplus, 'session_limit', now);
        await repo.insertSession(trx, {
          id: sessionId, user_id: user.id, tenant_id: user.tenant_id, ip: client.ip, user_agent: client.userAgent?.slice(0, 512) ?? null,
          created_at: now, updated_at: now, last_seen_at: now, expires_at: expiresAt, ended_at: null, end_reason: null,
        });
        for (const id of surplus) invalidate('session', id);
        const tokens = await issueTokens(trx, { sub: user.id, tenant_id: user.tenant_id, role: user.role as Role, sid: sessionId }, now, expiresAt);
        // In the session's transaction (the audit repository joins it): no session without its entry.
        await audit.record({
          action: 'auth.login', outcome: 'success', tenantId: user.tenant_id, actorId: user.id, actorUsername: user.username,
          resourceType: 'session', resourceId: sessionId, ip: client.ip, userAgent: client.userAgent, requestId: client.requestId,
          ...(surplus.length > 0 ? { detail: { ended_sessions: surplus } } : {}),
        });
        return { tokens, ended, passwordChangeRequired: await repo.passwordChangeRequired(trx, user.id) };
      });
      const { ended } = pair;
      const notices = [
        ...(ended.length > 0 ? [`This sign-in ended your oldest session${ended.length > 1 ? 's' : ''} (${ended.map((s) => `started ${toIso(s.created_at)}${s.ip ? ` from ${s.ip}` : ''}`).join('; ')}): at most ${settings.maxSessions} sessions may be open at once.`] : []),
        ...(pair.passwordChangeRequired ? ['Your password was generated for you: change it (POST /api/v1/auth/change-password) before anything else.'] : []),
      ];
      return {
        ...pair.tokens,
        password_change_required: pair.passwordChangeRequired,
        ended_sessions: ended.map((s) => ({ id: s.id, reason: 'session_limit', ip: s.ip, user_agent: s.user_agent, created_at: toIso(s.created_at), last_seen_at: toIso(s.last_seen_at) })),
        ...(notices.length > 0 ? { notice: notices.join(' ') } : {}),
      };
    },

    /** Rotates a refresh token; a spent token presented again ends its whole session. */
    async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
      const tokenHash = hashToken(refreshToken);
      const now = Date.now();
      const outcome = await repo.transaction(async (trx) => {
        const stored = await repo.findRefreshToken(trx, tokenHash);
        if (stored === undefined) return { error: 'unknown' as const };
        const session = await repo.findSession(trx, stored.session_id);
        if (session === undefined) return { error: 'unknown' as const };
        if (stored.used_at !== null || !(await repo.spendRefreshToken(trx, tokenHash, now))) {
          await repo.endSessions(trx, [session.id], 'refresh_token_reuse', now);
          return { error: 'reuse' as const, session };
        }
        const principal = await repo.findSessionPrincipal(trx, session.id);
        const valid = principal !== undefined && sessionIsLive(principal, now) && stored.expires_at > now;
        if (!valid) return { error: 'expired' as const, session };
        const pair = await issueTokens(trx, { sub: principal.user_id, tenant_id: principal.tenant_id, role: principal.role as Role, sid: session.id }, now, session.expires_at);
        await repo.touchSession(trx, session.id, now);
        return { pair, session };
      });
      if ('pair' in outcome && outcome.pair) return outcome.pair;
      if (outcome.session) invalidate('session', outcome.session.id);
      await audit.record({
        action: 'auth.refresh', outcome: 'failure', tenantId: outcome.session?.tenant_id ?? null, actorId: outcome.session?.user_id ?? null,
        resourceType: 'session', resourceId: outcome.session?.id ?? null, detail: { reason: outcome.error },
        ip: client.ip, userAgent: client.userAgent, requestId: client.requestId,
      });
      throw unauthorized(outcome.error === 'reuse'
        ? say('This refresh token was already used; the session has been ended', 'Este token de actualización ya se usó; la sesión se ha cerrado')
        : say('The refresh token is invalid or expired', 'El token de actualización no es válido o ha caducado'));
    },

    async logout(principal: Principal): Promise<void> {
      await repo.transaction((trx) => repo.endSessions(trx, [principal.sessionId], 'logout', Date.now()));
      invalidate('session', principal.sessionId);
    },

    async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
      const user = await repo.findUserById(principal.userId);
      if (user === undefined) throw unauthorized();
      if (!(await verifyPassword(user.password_hash, currentPassword))) {
        throw badRequest(say('The current password is wrong', 'La contraseña actual es incorrecta'), [{ field: 'current_password', message: 'is wrong', code: 'password_wrong' }]);
      }
      const problems = passwordProblems(newPassword, user.username);
      if (currentPassword === newPassword) problems.push({ field: 'new_password', message: 'must differ from the current password', code: 'password_unchanged' });
      if (problems.length > 0) throw badRequest(say('The new password is not acceptable', 'La contraseña nueva no es aceptable'), problems.map((p) => ({ ...p, field: 'new_password' })));
      const passwordHash = await hashPassword(newPassword);
      const now = Date.now();
      await repo.transaction(async (trx) => {
        await repo.updatePassword(trx, user.id, passwordHash, now);
        await repo.clearPasswordChange(trx, user.id);
        await repo.endUserSessions(trx, user.id, 'password_changed', now, principal.sessionId);
      });
      invalidateUser(user.id);
    },

    listUserSessions: (userId: string) => repo.listActiveSessions(userId, Date.now(), idleMs),

    /** Ends one of the caller's own sessions. */
    async revokeSession(principal: Principal, sessionId: string): Promise<void> {
      const session = await repo.findSession(repo.db, sessionId);
      if (session === undefined || session.user_id !== principal.userId || session.ended_at !== null) throw notFound(say('Session not found', 'No se ha encontrado la sesión'));
      await repo.transaction((trx) => repo.endSessions(trx, [sessionId], 'revoked', Date.now()));
      invalidate('session', sessionId);
    },

    /** Turns verified token claims into a principal, or undefined when the session is no longer valid. */
    async resolvePrincipal(claims: AccessClaims): Promise<Principal | undefined> {
      const now = Date.now();
      const cached = cache.get(claims.sid);
      if (cached !== undefined && now - cached.fetchedAt < cachedPrincipalTtl(cached) && cached.expiresAt > now) {
        if (cached.principal.userId !== claims.sub) return undefined;
        if (now - cached.lastSeenAt > TOUCH_INTERVAL_MS) {
          cached.lastSeenAt = now;
          await repo.touchSession(repo.db, claims.sid, now);
        }
        return cached.principal;
      }
      const invalidationsBefore = invalidations;
      const deliveryEpoch = otherNodes.deliveryEpoch();
      const row = await repo.findSessionPrincipal(repo.db, claims.sid);
      if (row === undefined || row.user_id !== claims.sub || !sessionIsLive(row, now)) {
        cache.delete(claims.sid);
        return undefined;
      }
      let lastSeenAt = row.last_seen_at;
      if (now - lastSeenAt > TOUCH_INTERVAL_MS) {
        lastSeenAt = now;
        await repo.touchSession(repo.db, claims.sid, now);
      }
      const extra = JSON.parse(row.permissions) as string[];
      const principal: Principal = {
        userId: row.user_id,
        username: row.username,
        email: row.email,
        tenantId: row.tenant_id,
        role: row.role as Role,
        extraPermissions: extra,
        permissions: permissionsOf(row.role as Role, extra),
        sessionId: row.session_id,
        ...(row.password_change_required_since !== null ? { passwordChangeRequired: true as const } : {}),
      };
      if (invalidations !== invalidationsBefore) return principal;
      if (cache.size >= PRINCIPAL_CACHE_MAX) cache.delete(cache.keys().next().value as string);
      cache.set(claims.sid, { principal, fetchedAt: now, deliveryEpoch, lastSeenAt, expiresAt: Math.min(row.expires_at, lastSeenAt + idleMs) });
      return principal;
    },

    invalidateUser,

    /** The user must change the password at the next sign-in (it was generated and shown once). */
    async requirePasswordChange(userId: string): Promise<void> {
      await repo.requirePasswordChange(userId, 'generated', Date.now());
      invalidateUser(userId);
    },

    /**
     * Why a verified access token no longer finds a live session, as the client's 401: ended by a
     * newer sign-in (the session limit), ended for another reason, or expired. Undefined when there
     * is nothing more to say than "invalid".
     */
    async explainRejection(claims: AccessClaims): Promise<HttpError | undefined> {
      const session = await repo.findSession(repo.db, claims.sid);
      if (session === undefined || session.user_id !== claims.sub) return undefined;
      const endedAt = toIsoOrNull(session.ended_at);
      if (session.end_reason === 'session_limit') {
        return unauthorized(say(
          `This session was ended at ${endedAt} by a newer sign-in of the same user: at most ${settings.maxSessions} sessions may be open at once. Sign in again.`,
          `Esta sesión se cerró el ${endedAt} por un inicio de sesión más reciente del mismo usuario: puede haber como máximo ${settings.maxSessions} sesiones abiertas a la vez. Inicie sesión de nuevo.`,
        ), 'session_evicted');
      }
      if (session.ended_at !== null) {
        // A reason without a sentence is shown as it is stored, in both languages.
        const stored = session.end_reason?.replaceAll('_', ' ') ?? '';
        const reason = session.end_reason === null ? say('it was ended', 'se cerró') : (END_REASONS[session.end_reason] ?? say(stored, stored));
        return unauthorized(say(`This session ended at ${endedAt}: ${reason.en}. Sign in again.`, `Esta sesión terminó el ${endedAt}: ${reason.es}. Inicie sesión de nuevo.`), 'session_ended');
      }
      const now = Date.now();
      if (session.expires_at <= now || session.last_seen_at + idleMs <= now) return unauthorized(say('This session has expired; sign in again', 'Esta sesión ha caducado; inicie sesión de nuevo'), 'session_expired');
      return undefined;
    },

    /** Ends every session of a tenant's users (tenant disabled or deleted). */
    async endTenantSessions(tenantId: string, reason: string): Promise<void> {
      await repo.transaction((trx) => repo.endTenantSessions(trx, tenantId, reason, Date.now()));
      invalidate('tenant', tenantId);
    },

    /** Ends every session of a user (disabled, deleted, or password reset by an admin). */
    async endUserSessions(userId: string, reason: string): Promise<void> {
      await repo.transaction((trx) => repo.endUserSessions(trx, userId, reason, Date.now()));
      invalidateUser(userId);
    },
  };

  function cachedPrincipalTtl(cached: CachedPrincipal): number {
    return cached.deliveryEpoch !== undefined && cached.deliveryEpoch === otherNodes.deliveryEpoch() ? PRINCIPAL_CACHE_HEARD_TTL_MS : PRINCIPAL_CACHE_TTL_MS;
  }

  function sessionIsLive(row: { ended_at: number | null; last_seen_at: number; expires_at: number; is_active: number; tenant_id: string | null; tenant_is_active: number | null }, now: number): boolean {
    return (
      row.ended_at === null &&
      row.expires_at > now &&
      row.last_seen_at + idleMs > now &&
      row.is_active === 1 &&
      (row.tenant_id === null || row.tenant_is_active === 1)
    );
  }
}

export type AuthService = ReturnType<typeof createAuthService>;
