import { hash, verify } from '@node-rs/argon2';
import { createRequire } from 'node:module';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';
import type { FieldError, FieldErrorCode } from '../http/errors.ts';

/** OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. */
// `algorithm: 2` is Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// ~49,000 of the most common passwords (lower case), bundled with the npm package; loaded at the
// first password check (~0.1 s of CPU), not at start-up.
let commonPasswords: Set<string> | undefined;
function isCommonPassword(lowerCase: string): boolean {
  commonPasswords ??= new Set<string>((createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof LanguageCommon).dictionary['passwords-common'] as string[]);
  return commonPasswords.has(lowerCase);
}

export const hashPassword = (password: string) => hash(password, ARGON2_OPTIONS);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the account does not exist, so that timing does not reveal it. */
let dummyHash: Promise<string> | undefined;
export function burnPasswordCheck(password: string): Promise<boolean> {
  dummyHash ??= hashPassword('dummy-password-for-timing-Aa1');
  return dummyHash.then((h) => verifyPassword(h, password));
}

/** The password policy (docs/requirements.md, PLT-4: 8-128 chars, upper, lower, digit) plus a check against common passwords. */
export function passwordProblems(password: string, username?: string): FieldError[] {
  const problems: FieldError[] = [];
  const problem = (code: FieldErrorCode, message: string, params?: FieldError['params']) => problems.push({ field: 'password', message, code, ...(params ? { params } : {}) });
  if (password.length < 8 || password.length > 128) problem('password_length', 'must be 8 to 128 characters long', { min: 8, max: 128 });
  if (!/[A-Z]/.test(password)) problem('password_upper', 'must contain an upper-case letter');
  if (!/[a-z]/.test(password)) problem('password_lower', 'must contain a lower-case letter');
  if (!/[0-9]/.test(password)) problem('password_digit', 'must contain a digit');
  const lower = password.toLowerCase();
  if (isCommonPassword(lower)) problem('password_common', 'is too common');
  else if (username !== undefined && username.length >= 3 && lower.includes(username.toLowerCase())) problem('password_username', 'must not contain the username');
  return problems;
}
