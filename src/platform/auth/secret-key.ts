import { randomBytes, randomUUID, hkdfSync } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';

/**
 * The master secret: SENTINEL_SECRET_KEY, or a key generated once into the data directory (mode
 * 0600). Several API nodes must share SENTINEL_SECRET_KEY.
 */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): string {
  if (config.secretKey !== undefined) return config.secretKey;
  const file = path.join(config.dataDir, 'secret.key');
  mkdirSync(config.dataDir, { recursive: true });
  if (!existsSync(file)) {
    // Written whole under a name of its own, then linked into place: a link fails if the file exists,
    // so two processes starting at once agree on one key, and neither can read it half-written.
    const candidate = `${file}.${randomUUID()}.tmp`;
    try {
      writeFileSync(candidate, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
      linkSync(candidate, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(candidate, { force: true });
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** A purpose-specific key, so that one secret never serves two uses. */
export function deriveKey(secret: string, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'sentinel', purpose, 32));
}
