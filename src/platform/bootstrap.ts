import { randomBytes, randomInt } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Services } from '../app.ts';
import type { UsersRepo } from '../modules/users/users.repo.ts';

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
export async function bootstrapAdmin(config: Config, services: Services, usersRepo: UsersRepo): Promise<{ username: string; generatedPassword?: string } | undefined> {
  if ((await usersRepo.countAll()) > 0) return undefined;
  const password = config.adminPassword ?? generatePassword();
  try {
    await services.users.insertUser({
      tenantId: null, username: config.adminUsername, email: null, password, role: 'SUPER_ADMIN', permissions: [], isActive: true,
    });
  } catch (error) {
    // Another process starting at the same moment created it first.
    if ((await usersRepo.findByUsername(config.adminUsername)) !== undefined) return undefined;
    throw error;
  }
  await services.audit.record({ action: 'user.bootstrap_admin', outcome: 'success', actorUsername: 'system', resourceType: 'user', detail: { username: config.adminUsername } });
  return config.adminPassword === undefined ? { username: config.adminUsername, generatedPassword: password } : { username: config.adminUsername };
}
