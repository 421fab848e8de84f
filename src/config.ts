import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STATEMENTS_PER_CONNECTION } from './platform/db/pg-statement-cache.ts';
import { nextSlot } from './platform/jobs/scheduled.ts';

/** Log levels pino understands, plus `silent`. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: SQLite file `<dataDir>/sentinel.db`. */
  databaseUrl: string | undefined;
  /** Unset: generated once into `<dataDir>/secret.key`. */
  secretKey: string | undefined;
  accessTokenMinutes: number;
  refreshTokenDays: number;
  sessionIdleMinutes: number;
  /** Absolute session lifetime, whatever the activity. */
  sessionMaxHours: number;
  maxSessions: number;
  rateLimitPerMinute: number;
  corsOrigins: string[];
  trustProxy: boolean | string;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  adminUsername: string;
  adminPassword: string | undefined;
  /** Optional bearer token required by GET /metrics. */
  metricsToken: string | undefined;
  secretStore: 'local' | 'azure-keyvault' | 'vault' | 'env';
  azureKeyVaultUrl: string | undefined;
  vaultAddr: string | undefined;
  vaultToken: string | undefined;
  /** KV v2 mount path in Vault. */
  vaultMount: string;
  /** Memory for repeated list answers (0 = off); see registerResponseCache. */
  responseCacheBytes: number;
  /** Prepared statements kept per PostgreSQL connection of the platform database (0 = none); see cachePgStatements. */
  pgStatementCache: number;
  /** Whether the background integration sync runs in this process. */
  syncEnabled: boolean;
  /** How long one vendor call may take before it counts as a timeout. */
  vendorTimeoutMs: number;
  /** How often the worker reads rows others wrote to the lines' detection tables. */
  plantPollMs: number;
  /** Days widget and dashboard data queries stay in the query record. */
  userQueryRetentionDays: number;
  /** Most plant-database handles (tenants' SQLite files and client pools) open at once. */
  plantMaxOpen: number;
  /** A plant-database handle unused for this long is closed. */
  plantIdleMs: number;
  /** How often each tenant's alert rules are evaluated. */
  rulesEvalMs: number;
  /** How scheduled jobs run: in this process (`local`) or through pg-boss in PostgreSQL. */
  jobsDriver: 'local' | 'pg-boss';
  /** Where backups are written (default `<dataDir>/backups`). */
  backupDir: string;
  /** How many backups are kept; older ones are deleted after each new one. */
  backupKeep: number;
  /** When backups are taken (cron, UTC). */
  backupCron: string;
  /** Raw detections in Sentinel's own detection tables older than this are removed (rollups stay); 0 keeps them. */
  detectionRetentionMonths: number;
  /** Runs of jobs older than this are removed. */
  jobRunRetentionDays: number;
  /** Audit entries older than this are removed; undefined keeps them forever. */
  auditRetentionDays: number | undefined;
  /** The SMTP server e-mail notifications and reports go through (`smtp://user:pass@host:port`); unset = no e-mail. */
  smtpUrl: string | undefined;
  /** The From address of those e-mails. */
  smtpFrom: string;
  /** How often the worker looks for alert changes to announce and messages to send. */
  notifyPollMs: number;
  /** Redis shared by every node (live events, rate-limit and sign-in counters, session invalidation); unset = this process alone. */
  redisUrl: string | undefined;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(`${name} must be on or off, got "${raw}"`);
  return raw === 'on';
}

const SECRET_STORES = ['local', 'azure-keyvault', 'vault', 'env'] as const;

function httpUrl(env: Env, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function smtpUrl(env: Env): string | undefined {
  const raw = optional(env, 'SENTINEL_SMTP_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SENTINEL_SMTP_URL is not a valid URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('SENTINEL_SMTP_URL must start with smtp:// or smtps://');
  return raw;
}

function redisUrl(env: Env): string | undefined {
  const raw = optional(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL must start with redis:// or rediss:// (leave it unset for a single node)');
  try {
    new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL is not a valid URL');
  }
  return raw;
}

function parseSecretStore(env: Env): Pick<Config, 'secretStore' | 'azureKeyVaultUrl' | 'vaultAddr' | 'vaultToken' | 'vaultMount'> {
  const secretStore = (optional(env, 'SENTINEL_SECRET_STORE') ?? 'local') as Config['secretStore'];
  if (!SECRET_STORES.includes(secretStore)) throw new ConfigError(`SENTINEL_SECRET_STORE must be one of ${SECRET_STORES.join(', ')}`);
  const azureKeyVaultUrl = httpUrl(env, 'AZURE_KEYVAULT_URL');
  const vaultAddr = httpUrl(env, 'VAULT_ADDR');
  const vaultToken = optional(env, 'VAULT_TOKEN');
  if (secretStore === 'azure-keyvault' && azureKeyVaultUrl === undefined) throw new ConfigError('SENTINEL_SECRET_STORE=azure-keyvault needs AZURE_KEYVAULT_URL');
  if (secretStore === 'vault' && (vaultAddr === undefined || vaultToken === undefined)) throw new ConfigError('SENTINEL_SECRET_STORE=vault needs VAULT_ADDR and VAULT_TOKEN');
  const vaultMount = optional(env, 'VAULT_MOUNT') ?? 'secret';
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(vaultMount)) throw new ConfigError('VAULT_MOUNT must be a mount path such as secret or kv/sentinel');
  return { secretStore, azureKeyVaultUrl, vaultAddr, vaultToken, vaultMount };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^(postgres(ql)?|mysql|mariadb):\/\//.test(raw)) {
    throw new ConfigError('DATABASE_URL must start with postgres://, postgresql://, mysql:// or mariadb:// (leave it unset for the embedded SQLite database)');
  }
  try {
    new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL');
  }
  return raw;
}

function parseTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  // A comma-separated list of addresses or CIDR ranges, as Fastify's trustProxy accepts.
  if (!/^[0-9a-fA-F.:/,\s]+$/.test(raw)) {
    throw new ConfigError('SENTINEL_TRUST_PROXY must be true, false or a comma-separated list of IP addresses/CIDR ranges');
  }
  return raw;
}

function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const origins = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`SENTINEL_CORS_ORIGINS has an invalid origin: "${origin}"`);
    }
    if (url.origin !== origin) {
      throw new ConfigError(`SENTINEL_CORS_ORIGINS entries must be bare origins like https://ops.example.com, got "${origin}"`);
    }
  }
  return origins;
}

/** Reads and validates the configuration; throws ConfigError with a message naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const secretKey = optional(env, 'SENTINEL_SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < 32) {
    throw new ConfigError('SENTINEL_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -base64 48`)');
  }
  const adminUsername = (optional(env, 'SENTINEL_ADMIN_USERNAME') ?? 'admin').toLowerCase();
  if (!/^[a-z0-9._-]{3,64}$/.test(adminUsername)) {
    throw new ConfigError('SENTINEL_ADMIN_USERNAME must be 3-64 characters of a-z, 0-9, ".", "_" or "-"');
  }
  const dataDir = path.resolve(optional(env, 'SENTINEL_DATA_DIR') ?? './data');
  const databaseUrl = parseDatabaseUrl(optional(env, 'DATABASE_URL'));
  return {
    port: integer(env, 'PORT', 8000, 0, 65535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    dataDir,
    databaseUrl,
    secretKey,
    accessTokenMinutes: integer(env, 'SENTINEL_ACCESS_TOKEN_MINUTES', 15, 1, 24 * 60),
    refreshTokenDays: integer(env, 'SENTINEL_REFRESH_TOKEN_DAYS', 7, 1, 365),
    sessionIdleMinutes: integer(env, 'SENTINEL_SESSION_IDLE_MINUTES', 30, 1, 7 * 24 * 60),
    sessionMaxHours: integer(env, 'SENTINEL_SESSION_MAX_HOURS', 12, 1, 24 * 365),
    maxSessions: integer(env, 'SENTINEL_MAX_SESSIONS', 3, 1, 100),
    rateLimitPerMinute: integer(env, 'SENTINEL_RATE_LIMIT_PER_MINUTE', 100, 1, 10_000_000),
    corsOrigins: parseOrigins(optional(env, 'SENTINEL_CORS_ORIGINS')),
    trustProxy: parseTrustProxy(optional(env, 'SENTINEL_TRUST_PROXY')),
    logLevel,
    bodyLimitBytes: integer(env, 'SENTINEL_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    adminUsername,
    adminPassword: optional(env, 'SENTINEL_ADMIN_PASSWORD'),
    metricsToken: optional(env, 'SENTINEL_METRICS_TOKEN'),
    ...parseSecretStore(env),
    responseCacheBytes: integer(env, 'SENTINEL_RESPONSE_CACHE_MB', 64, 0, 4096) * 1024 * 1024,
    pgStatementCache: integer(env, 'SENTINEL_PG_STATEMENT_CACHE', DEFAULT_STATEMENTS_PER_CONNECTION, 0, 10_000),
    syncEnabled: onOff(env, 'SENTINEL_SYNC', true),
    vendorTimeoutMs: integer(env, 'SENTINEL_VENDOR_TIMEOUT_SECONDS', 10, 1, 120) * 1000,
    plantPollMs: integer(env, 'SENTINEL_PLANT_POLL_SECONDS', 60, 5, 3600) * 1000,
    plantMaxOpen: integer(env, 'SENTINEL_PLANT_MAX_OPEN', 64, 1, 10_000),
    plantIdleMs: integer(env, 'SENTINEL_PLANT_IDLE_SECONDS', 300, 1, 86_400) * 1000,
    rulesEvalMs: integer(env, 'SENTINEL_RULES_EVAL_SECONDS', 10, 1, 3600) * 1000,
    userQueryRetentionDays: integer(env, 'SENTINEL_USER_QUERY_RETENTION_DAYS', 90, 1, 3650),
    smtpUrl: smtpUrl(env),
    smtpFrom: optional(env, 'SENTINEL_SMTP_FROM') ?? 'Sentinel <sentinel@localhost>',
    notifyPollMs: integer(env, 'SENTINEL_NOTIFY_POLL_SECONDS', 2, 1, 300) * 1000,
    redisUrl: redisUrl(env),
    ...parseOperations(env, dataDir, databaseUrl),
  };
}

function isCron(expression: string): boolean {
  try {
    nextSlot(expression, Date.now());
    return true;
  } catch {
    return false;
  }
}

const FIVE_FIELD_CRON = /^\S+( \S+){4}$/;

function parseOperations(env: Env, dataDir: string, databaseUrl: string | undefined) {
  const jobsDriver = optional(env, 'SENTINEL_JOBS') ?? 'local';
  if (jobsDriver !== 'local' && jobsDriver !== 'pg-boss') throw new ConfigError(`SENTINEL_JOBS must be local or pg-boss, got "${jobsDriver}"`);
  if (jobsDriver === 'pg-boss' && !/^postgres(ql)?:/.test(databaseUrl ?? '')) throw new ConfigError('SENTINEL_JOBS=pg-boss needs a PostgreSQL DATABASE_URL (pg-boss keeps its jobs in PostgreSQL)');
  const backupCron = optional(env, 'SENTINEL_BACKUP_CRON') ?? '0 */6 * * *';
  if (!FIVE_FIELD_CRON.test(backupCron.trim()) || !isCron(backupCron)) throw new ConfigError('SENTINEL_BACKUP_CRON must be a five-field cron expression (UTC), e.g. "0 */6 * * *"');
  const auditDays = optional(env, 'SENTINEL_AUDIT_RETENTION_DAYS');
  return {
    jobsDriver: jobsDriver as Config['jobsDriver'],
    backupDir: path.resolve(optional(env, 'SENTINEL_BACKUP_DIR') ?? path.join(dataDir, 'backups')),
    backupKeep: integer(env, 'SENTINEL_BACKUP_KEEP', 8, 1, 10_000),
    backupCron: backupCron.trim(),
    detectionRetentionMonths: integer(env, 'SENTINEL_DETECTION_RETENTION_MONTHS', 12, 0, 1200),
    jobRunRetentionDays: integer(env, 'SENTINEL_JOB_RUN_RETENTION_DAYS', 30, 1, 36_500),
    auditRetentionDays: auditDays === undefined ? undefined : integer(env, 'SENTINEL_AUDIT_RETENTION_DAYS', 0, 1, 36_500),
  };
}

/** Loads `.env` from the working directory into process.env (real environment variables win). */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
