interface DriverError {
  code?: string;
  errcode?: number;
  message?: string;
}

const fields = (error: unknown): DriverError => (typeof error === 'object' && error !== null ? (error as DriverError) : {});

/** True for a unique-constraint violation on SQLite, PostgreSQL or MySQL. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errcode, message } = fields(error);
  // SQLITE_CONSTRAINT_UNIQUE = 2067, SQLITE_CONSTRAINT_PRIMARYKEY = 1555; PostgreSQL unique_violation = 23505; MySQL 1062.
  return code === '23505' || code === 'ER_DUP_ENTRY' || errcode === 2067 || errcode === 1555 || /UNIQUE constraint failed/.test(message ?? '');
}

/**
 * Network errors; PostgreSQL's 57P01-03 shutting down or starting, 53300 too many connections,
 * 08xxx connection failures; mysql2's lost connection and MySQL's too many connections, shutting
 * down, and connection killed.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED',
]);

/** Connection-level failures (PostgreSQL down, restarting or saturated; SQLite locked too long): worth retrying. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = fields(error);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
    // pg's own messages: a checked-out client whose connection died answers every later query (the
  // transaction's ROLLBACK included) with "Client has encountered a connection error and is not queryable".
  // mysql2's: a pooled connection that closed answers "Can't add new command when connection is in closed state".
  return /Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|is not queryable|database is locked|did not answer within|connection is in closed state/i.test(message ?? '');
}

/**
 * Data exceptions that a value from the request causes (validation should have caught it; this is
 * the second line). PostgreSQL: 22021 invalid byte sequence (a NUL), 22P02 invalid text
 * representation, 22P05 untranslatable character, 22001 string too long, 22003 numeric out of
 * range, 22007/22008 invalid or out-of-range date/time. MySQL (strict mode): the same kinds by name.
 */
const INVALID_VALUE_CODES = new Set([
  '22021', '22P02', '22P05', '22001', '22003', '22007', '22008',
  'ER_DATA_TOO_LONG', 'ER_WARN_DATA_OUT_OF_RANGE', 'ER_TRUNCATED_WRONG_VALUE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_INVALID_CHARACTER_STRING',
]);

/** True when the database refused a value as input, not because it failed. */
export function isInvalidValue(error: unknown): boolean {
  const { code } = fields(error);
  return code !== undefined && INVALID_VALUE_CODES.has(code);
}
