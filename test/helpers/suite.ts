import { after, before, describe } from 'node:test';
import type { Dialect } from '../../src/platform/db/database.ts';
import { dialects, startServer, type TestServer } from './harness.ts';

export type TenantRole = 'ADMIN' | 'MANAGER' | 'OPERATOR' | 'VIEWER';

export interface TestUser {
  id: string;
  username: string;
  token: string;
  refresh: string;
}

/** A tenant with (some of) its four role holders logged in. */
export interface TestTenant {
  id: string;
  name: string;
  readonly admin: TestUser;
  readonly manager: TestUser;
  readonly operator: TestUser;
  readonly viewer: TestUser;
}

export interface TestTenants {
  /** A SUPER_ADMIN access token. */
  superAdmin: string;
  a: TestTenant;
  b: TestTenant;
}

const ALL_ROLES: readonly TenantRole[] = ['ADMIN', 'MANAGER', 'OPERATOR', 'VIEWER'];

async function setupTenant(server: TestServer, superAdmin: string, label: string, letter: 'a' | 'b', roles: readonly TenantRole[]): Promise<TestTenant> {
  const name = `${label} ${letter.toUpperCase()}`;
  const { id } = await server.api.createTenant(superAdmin, name);
  const users = new Map<TenantRole, TestUser>();
  for (const role of roles) {
    const username = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.${role.toLowerCase()}.${letter}`;
    users.set(role, { username, ...(await server.api.createUser(superAdmin, id, username, role)) });
  }
  const user = (role: TenantRole): TestUser => {
    const found = users.get(role);
    if (found === undefined) throw new Error(`tenant ${name} was set up without a ${role}: add it to the roles`);
    return found;
  };
  return {
    id, name,
    get admin() { return user('ADMIN'); },
    get manager() { return user('MANAGER'); },
    get operator() { return user('OPERATOR'); },
    get viewer() { return user('VIEWER'); },
  };
}

/**
 * Two tenants, "<label> A" and "<label> B", each with a user per role (usernames
 * `<label>.<role>.<a|b>`), so that every isolation test has data on both sides of the wall.
 */
export async function setupTenants(server: TestServer, label: string, roles: readonly TenantRole[] = ALL_ROLES, superAdmin?: string): Promise<TestTenants> {
  superAdmin ??= await server.api.adminToken();
  return {
    superAdmin,
    a: await setupTenant(server, superAdmin, label, 'a', roles),
    b: await setupTenant(server, superAdmin, label, 'b', roles),
  };
}

export interface SuiteOptions {
  /** Extra environment for the server (e.g. SENTINEL_SYNC: 'off'). */
  env?: Record<string, string>;
  /** Set up two tenants with this label (see setupTenants). */
  tenants?: string;
  /** Which roles each tenant gets (default: all four); users cost a password hash each. */
  roles?: readonly TenantRole[];
}

/**
 * What a suite's tests use. Filled in by the suite's first `before` hook, so read it inside hooks
 * and tests, not while the suite is being declared.
 */
export interface DialectSuite extends TestTenants {
  readonly dialect: Dialect;
  readonly server: TestServer;
  /** A SUPER_ADMIN access token (set up with or without tenants). */
  readonly superAdmin: string;
}

/**
 * Declares `title (<dialect>)` once per dialect under test, each with its own server (and, when
 * asked, two tenants), stopped after the suite. Hooks `body` adds run after this setup.
 */
export function forEachDialect(title: string, options: SuiteOptions, body: (suite: DialectSuite) => void): void {
  for (const dialect of dialects()) {
    let server: TestServer | undefined;
    let superAdmin: string | undefined;
    let tenants: TestTenants | undefined;
    const ready = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`${what} is not set up yet: read it inside a hook or test${what === 'tenants' ? ', and pass options.tenants' : ''}`);
      return value;
    };
    const suite: DialectSuite = {
      dialect,
      get server() { return ready(server, 'server'); },
      get superAdmin() { return ready(superAdmin, 'superAdmin'); },
      get a() { return ready(tenants, 'tenants').a; },
      get b() { return ready(tenants, 'tenants').b; },
    };
    describe(`${title} (${dialect})`, () => {
      before(async () => {
        server = await startServer(dialect, options.env);
        superAdmin = await server.api.adminToken();
        if (options.tenants !== undefined) tenants = await setupTenants(server, options.tenants, options.roles, superAdmin);
      });
      after(() => server?.close());
      body(suite);
    });
  }
}
