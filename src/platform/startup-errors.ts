import type { Config } from '../config.ts';

interface SystemError {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  path?: string;
  message?: string;
}

/** Where the database is, without its password. */
function databaseName(config: Pick<Config, 'databaseUrl' | 'dataDir'> | undefined): string {
  if (config === undefined) return 'the database';
  if (config.databaseUrl === undefined) return `the SQLite database in ${config.dataDir}`;
  const mysql = /^(mysql|mariadb):/i.test(config.databaseUrl);
  const engine = mysql ? 'MySQL' : 'PostgreSQL';
  try {
    const url = new URL(config.databaseUrl);
    return `${engine} at ${url.hostname}:${url.port || (mysql ? '3306' : '5432')}${url.pathname}`;
  } catch {
    return `the ${engine} database of DATABASE_URL`;
  }
}

/**
 * One line that says why Sentinel could not start and what to do, for the failures an operator
 * meets (port taken, no permission, database unreachable or refusing): a stack trace tells them
 * nothing and hides the cause. Anything else is its message's first line.
 */
export function describeStartupFailure(error: unknown, config?: Pick<Config, 'databaseUrl' | 'dataDir' | 'host' | 'port'>): string {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as SystemError;
  const where = e.syscall === 'listen' ? `${e.address ?? config?.host ?? ''}:${e.port ?? config?.port ?? ''}` : undefined;
  const database = databaseName(config);
  switch (e.code) {
    case 'EADDRINUSE':
      if (where !== undefined) return `Cannot listen on ${where}: the port is already in use (another Sentinel, or another program). Stop it or set PORT to a free port.`;
      break;
    case 'EACCES':
    case 'EPERM':
      if (where !== undefined) return `Cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`;
      return `Permission denied${e.path ? ` on ${e.path}` : ''}: Sentinel's user must be able to read and write SENTINEL_DATA_DIR${config ? ` (${config.dataDir})` : ''}.`;
    case 'EADDRNOTAVAIL':
      if (where !== undefined) return `Cannot listen on ${where}: that address is not on this machine. Check HOST.`;
      break;
    case 'ECONNREFUSED':
      return `Cannot reach ${database}: connection refused. Is the database server running, and is DATABASE_URL right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach ${database}: the host name ${e.hostname ?? ''} does not resolve. Check DATABASE_URL.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `Cannot reach ${database}: no answer (${e.code}). Check DATABASE_URL and the network.`;
    case '28P01':
    case '28000':
    case 'ER_ACCESS_DENIED_ERROR':
      return `${database} refused the credentials in DATABASE_URL (${e.message ?? 'authentication failed'}).`;
    case '3D000':
    case 'ER_BAD_DB_ERROR':
      return `${database} does not exist: create it (CREATE DATABASE …) or fix DATABASE_URL.`;
    case '42501':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR':
      return `${database} refused an operation: the role in DATABASE_URL needs to create tables in its database (${e.message ?? 'permission denied'}).`;
  }
  if (/unable to open database file/i.test(e.message ?? '')) return `Cannot open ${database}: check that SENTINEL_DATA_DIR exists and is writable.`;
  const firstLine = (e.message ?? String(error)).split('\n')[0]!.trim();
  return `Sentinel could not start: ${firstLine || 'an unknown error'}${e.code ? ` (${e.code})` : ''}.`;
}
