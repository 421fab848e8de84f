import { randomBytes, randomInt } from 'node:crypto';
import type { Config } from '../config.ts';
import type { AuditSink } from './audit-sink.ts';
import type { Role } from './auth/permissions.ts';

/** What the first start needs from the users module: create an account. */
export interface AccountCreator {
  insertUser(input: { tenantId: string | null; username: string; email: string | null; password: string; role: Role; permissions: string[]; isActive: boolean }): Promise<unknown>;
}

/** What the first start needs to know about existing accounts. */
export interface AccountLookup {
  countAll(): Promise<number>;
  findByUsername(username: string): Promise<unknown>;
}

/** A random password that meets the password policy (upper, lower, digit, 20+ characters). */
export function generatePassword(): string {
  const upper = 'ABCDEFGHJKLMNPQRSTUVWXYZ'[randomInt(24)]!;
  const lower = 'abcdefghijkmnpqrstuvwxyz'[randomInt(24)]!;
  const digit = String(randomInt(10));
  return `${upper}${lower}${digit}${randomBytes(18).toString('base64url')}`;
}

/**
 * On first start with an empty database, creates the platform SUPER_ADMIN. Returns the generated
 * password (to print once) when none was configured.
 */
export async function bootstrapAdmin(
  config: Config,
  services: { users: AccountCreator; audit: Pick<AuditSink, 'record'> },
  accounts: AccountLookup,
): Promise<{ username: string; generatedPassword?: string } | undefined> {
  if ((await accounts.countAll()) > 0) return undefined;
  const password = config.adminPassword ?? generatePassword();
  try {
    await services.users.insertUser({
      tenantId: null, username: config.adminUsername, email: null, password, role: 'SUPER_ADMIN', permissions: [], isActive: true,
    });
  } catch (error) {
    // Another process starting at the same moment created it first.
    if ((await accounts.findByUsername(config.adminUsername)) !== undefined) return undefined;
    throw error;
  }
  await services.audit.record({ action: 'user.bootstrap_admin', outcome: 'success', actorUsername: 'system', resourceType: 'user', detail: { username: config.adminUsername } });
  return config.adminPassword === undefined ? { username: config.adminUsername, generatedPassword: password } : { username: config.adminUsername };
}
