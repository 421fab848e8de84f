import { randomBytes, randomInt } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { AuditSink } from './audit-sink.ts';
import type { Role } from './auth/permissions.ts';

/** What the first start needs from the users module: create an account. */
export interface AccountCreator {
  insertUser(input: { tenantId: string | null; username: string; email: string | null; password: string; role: Role; permissions: string[]; isActive: boolean }): Promise<{ id: string }>;
}

/** What the first start needs from the auth module: make a generated password be changed at the first sign-in. */
export interface PasswordPolicy {
  requirePasswordChange(userId: string): Promise<void>;
}

/** Where the generated password of the first administrator is also written, readable by the owner only. */
export const ADMIN_PASSWORD_FILE = 'initial-admin-password';

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
 * Writes the generated password to `<data dir>/initial-admin-password`, mode 0600: the console line
 * scrolls away or lands in a shared log; the file stays with the data, for its owner only. A file
 * left from an earlier database is replaced, never written through (it could be a link elsewhere).
 */
function writePasswordFile(dataDir: string, username: string, password: string): string {
  const file = path.join(dataDir, ADMIN_PASSWORD_FILE);
  rmSync(file, { force: true });
  writeFileSync(file, `username: ${username}\npassword: ${password}\n# Generated on the first start; the first sign-in must change it. Delete this file afterwards.\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * On first start with an empty database, creates the platform SUPER_ADMIN. When no password was
 * configured, one is generated: returned (to print once), written to a file only the owner can
 * read, and it must be changed at the first sign-in.
 */
export async function bootstrapAdmin(
  config: Config,
  services: { users: AccountCreator; audit: Pick<AuditSink, 'record'>; auth: PasswordPolicy },
  accounts: AccountLookup,
): Promise<{ username: string; generatedPassword?: string; passwordFile?: string } | undefined> {
  if ((await accounts.countAll()) > 0) return undefined;
  const password = config.adminPassword ?? generatePassword();
  let admin: { id: string };
  try {
    admin = await services.users.insertUser({
      tenantId: null, username: config.adminUsername, email: null, password, role: 'SUPER_ADMIN', permissions: [], isActive: true,
    });
  } catch (error) {
    // Another process starting at the same moment created it first.
    if ((await accounts.findByUsername(config.adminUsername)) !== undefined) return undefined;
    throw error;
  }
  await services.audit.record({ action: 'user.bootstrap_admin', outcome: 'success', actorUsername: 'system', resourceType: 'user', detail: { username: config.adminUsername } });
  if (config.adminPassword !== undefined) return { username: config.adminUsername };
  await services.auth.requirePasswordChange(admin.id);
  return { username: config.adminUsername, generatedPassword: password, passwordFile: writePasswordFile(config.dataDir, config.adminUsername, password) };
}
