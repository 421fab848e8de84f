interface DriverError {
  code?: string;
  errcode?: number;
  message?: string;
}

const fields = (error: unknown): DriverError => (typeof error === 'object' && error !== null ? (error as DriverError) : {});

/** True for a unique-constraint violation on SQLite or PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errcode, message } = fields(error);
  // SQLITE_CONSTRAINT_UNIQUE = 2067, SQLITE_CONSTRAINT_PRIMARYKEY = 1555; PostgreSQL unique_violation = 23505.
  return code === '23505' || errcode === 2067 || errcode === 1555 || /UNIQUE constraint failed/.test(message ?? '');
}

/**
 * Network errors, and PostgreSQL's: 57P01-03 shutting down or starting, 53300 too many
 * connections, 08xxx connection failures.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

/** Connection-level failures (PostgreSQL down, restarting or saturated; SQLite locked too long): worth retrying. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = fields(error);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
    // pg's own messages: a checked-out client whose connection died answers every later query (the
  // transaction's ROLLBACK included) with "Client has encountered a connection error and is not queryable".
  return /Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|is not queryable|database is locked|did not answer within/i.test(message ?? '');
}

/**
 * PostgreSQL data exceptions that a value from the request causes (validation should have caught
 * it; this is the second line): 22021 invalid byte sequence (a NUL), 22P02 invalid text
 * representation, 22P05 untranslatable character, 22001 string too long, 22003 numeric out of
 * range, 22007/22008 invalid or out-of-range date/time.
 */
const INVALID_VALUE_CODES = new Set(['22021', '22P02', '22P05', '22001', '22003', '22007', '22008']);

/** True when the database refused a value as input, not because it failed. */
export function isInvalidValue(error: unknown): boolean {
  const { code } = fields(error);
  return code !== undefined && INVALID_VALUE_CODES.has(code);
}
