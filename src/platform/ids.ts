import { randomUUID } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): a 48-bit millisecond timestamp followed by random bits, so ids sort by creation
 * time and a list can page on the id alone. The random part comes from a v4 UUID, whose layout
 * matches v7 after the version digit (same variant bits, 74 random bits): randomUUID draws from a
 * batched entropy cache, ~20x cheaper than randomBytes per id, and every audited request makes one.
 */
export function newId(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

const MAX_FAST_ISO_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Epoch milliseconds → ISO-8601 UTC, exactly as Date#toISOString for years 0000-9999 but without a
 * Date object: list endpoints format three instants per row, and Date#toISOString costs ~0.8 µs
 * each on Node 24 (this takes ~0.2 µs). Civil-from-days after Howard Hinnant's date algorithms.
 */
export function toIso(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= MAX_FAST_ISO_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${String(millis).padStart(3, '0')}Z`;
}
export const toIsoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms));
