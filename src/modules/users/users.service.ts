import { isUniqueViolation } from '../../platform/db/errors.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso } from '../../platform/ids.ts';
import { hashPassword, passwordProblems } from '../../platform/auth/passwords.ts';
import { permissionsOf, type Role } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import type { SessionRow } from '../auth/auth.tables.ts';
import type { UserRow } from './users.tables.ts';
import type { UsersRepo } from './users.repo.ts';
import type { CreateUserInput, ListUsersInput, UpdateUserInput, UserView } from './users.schemas.ts';

interface SessionControl {
  endUserSessions(userId: string, reason: string): Promise<void>;
  invalidateUser(userId: string): void;
  listUserSessions(userId: string): Promise<SessionRow[]>;
}

export function userView(row: UserRow): UserView {
  const extra = JSON.parse(row.permissions) as string[];
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    username: row.username,
    email: row.email,
    role: row.role,
    permissions: extra,
    effective_permissions: [...permissionsOf(row.role as Role, extra)].sort(),
    is_active: row.is_active === 1,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

function assertAcceptablePassword(password: string, username: string): void {
  const problems = passwordProblems(password, username);
  if (problems.length > 0) throw badRequest(say('The password is not acceptable', 'La contraseña no es aceptable'), problems);
}

const taken = () => conflict(say('That username or e-mail is already in use', 'Ese nombre de usuario o correo electrónico ya está en uso'));

/**
 * Users of a tenant. A tenant ADMIN works inside its own tenant; SUPER_ADMIN reaches every tenant
 * and names the tenant of a new user.
 */
export function createUsersService(repo: UsersRepo, sessions: SessionControl) {
  /** A user the caller may manage: one of its own tenant, or (SUPER_ADMIN) any. */
  async function get(principal: Principal, id: string): Promise<UserRow> {
    const row = await repo.find(principal.tenantId ?? undefined, id);
    if (row === undefined) throw notFound(say('User not found', 'No se ha encontrado el usuario'));
    return row;
  }

  async function insertUser(input: { tenantId: string | null; username: string; email: string | null; password: string; role: Role; permissions: string[]; isActive: boolean }): Promise<UserRow> {
    const username = input.username.toLowerCase();
    assertAcceptablePassword(input.password, username);
    const now = Date.now();
    const row: UserRow = {
      id: newId(now),
      tenant_id: input.tenantId,
      username,
      email: input.email?.toLowerCase() ?? null,
      role: input.role,
      permissions: JSON.stringify(input.permissions),
      password_hash: await hashPassword(input.password),
      is_active: input.isActive ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    try {
      await repo.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw taken();
      throw error;
    }
    return row;
  }

  return {
    insertUser,

    get: async (principal: Principal, id: string) => userView(await get(principal, id)),

    /** Users of one tenant, or of every tenant (a SUPER_ADMIN naming none). */
    async list(tenantId: string | undefined, input: ListUsersInput) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, {
        limit,
        ...(input.role !== undefined ? { role: input.role } : {}),
        ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
        ...(input.q !== undefined ? { q: input.q } : {}),
        ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}),
      });
      return toPage(rows, limit, userView);
    },

    async create(tenantId: string, input: CreateUserInput): Promise<UserView> {
      const row = await insertUser({
        tenantId,
        username: input.username,
        email: input.email ?? null,
        password: input.password,
        role: input.role,
        permissions: input.permissions ?? [],
        isActive: input.is_active ?? true,
      });
      return userView(row);
    },

    async update(principal: Principal, id: string, input: UpdateUserInput): Promise<UserView> {
      const current = await get(principal, id);
      const self = current.id === principal.userId;
      if (self && (input.role !== undefined || input.is_active === false || input.permissions !== undefined)) {
        throw badRequest(say('You cannot change your own role, permissions or status; ask another administrator', 'No puede cambiar su propio rol, sus permisos ni su estado; pídaselo a otro administrador'));
      }
      if (current.role === 'SUPER_ADMIN' && (input.role !== undefined || input.permissions !== undefined)) {
        throw badRequest(say('A platform SUPER_ADMIN has no tenant role or extra permissions', 'Un SUPER_ADMIN de la plataforma no tiene rol de cliente ni permisos adicionales'));
      }
      if (input.password !== undefined) assertAcceptablePassword(input.password, current.username);
      const now = Date.now();
      try {
        await repo.update(current.tenant_id ?? undefined, id, {
          ...(input.email !== undefined ? { email: input.email?.toLowerCase() ?? null } : {}),
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.permissions !== undefined ? { permissions: JSON.stringify(input.permissions) } : {}),
          ...(input.is_active !== undefined ? { is_active: input.is_active ? 1 : 0 } : {}),
          ...(input.password !== undefined ? { password_hash: await hashPassword(input.password) } : {}),
          updated_at: now,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
      if (input.is_active === false) await sessions.endUserSessions(id, 'user_disabled');
      else if (input.password !== undefined && !self) await sessions.endUserSessions(id, 'password_reset');
      else sessions.invalidateUser(id);
      return userView(await get(principal, id));
    },

    async delete(principal: Principal, id: string): Promise<UserRow> {
      const current = await get(principal, id);
      if (current.id === principal.userId) throw badRequest(say('You cannot delete your own account', 'No puede eliminar su propia cuenta'));
      await sessions.endUserSessions(id, 'user_deleted');
      if (!(await repo.delete(current.tenant_id ?? undefined, id))) throw notFound(say('User not found', 'No se ha encontrado el usuario'));
      return current;
    },

    /** An admin's view of a user's active sessions. */
    async sessions(principal: Principal, id: string): Promise<SessionRow[]> {
      return sessions.listUserSessions((await get(principal, id)).id);
    },

    /** An admin ends every session of a user (e.g. a lost laptop); the user can sign in again. */
    async endSessions(principal: Principal, id: string): Promise<UserRow> {
      const user = await get(principal, id);
      await sessions.endUserSessions(user.id, 'ended_by_admin');
      return user;
    },

    /** CLI: set a password without knowing the old one; ends the user's sessions. */
    async resetPassword(username: string, password: string): Promise<void> {
      const user = await repo.findByUsername(username.toLowerCase());
      if (user === undefined) throw notFound(say('User not found', 'No se ha encontrado el usuario'));
      assertAcceptablePassword(password, user.username);
      await repo.update(undefined, user.id, { password_hash: await hashPassword(password), updated_at: Date.now() });
      await sessions.endUserSessions(user.id, 'password_reset');
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
