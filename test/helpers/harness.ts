import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { FastifyInstance } from 'fastify';
import { buildApp, createServices, type Services } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Db, type Dialect } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrator.ts';
import { MODULE_MIGRATIONS } from '../../src/modules/index.ts';
import { bootstrapAdmin } from '../../src/platform/bootstrap.ts';
import { loadSecretKey } from '../../src/platform/auth/secret-key.ts';
import { createUsersRepo } from '../../src/modules/users/users.repo.ts';
import { FIELD_ERROR_CODES } from '../../src/platform/http/errors.ts';

export const ADMIN_PASSWORD = 'Bootstrap-Root-Pass-9';
/** A `"code"` string in an answer that is not one of the field error codes the API documents: a driver's or Node's, leaked. */
export const FOREIGN_CODE = String.raw`"code":"(?!(?:${FIELD_ERROR_CODES.join('|')})")`;
export const PASSWORD = 'Correct-Horse-7-Battery';

/**
 * Every database-facing test runs on SQLite, on PostgreSQL when TEST_DATABASE_URL is set, and on
 * MySQL/MariaDB when TEST_MYSQL_URL is set.
 */
export function dialects(): Dialect[] {
  return ['sqlite', ...(process.env.TEST_DATABASE_URL ? ['postgres' as const] : []), ...(process.env.TEST_MYSQL_URL ? ['mysql' as const] : [])];
}

/** A fresh, empty MySQL database next to TEST_MYSQL_URL's (the CI user may create sentinel_t_* only); dropped by the returned function. */
export async function createMysqlDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.TEST_MYSQL_URL!);
  const name = `sentinel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await mysql.createConnection({ uri: base.toString() });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const connection = await mysql.createConnection({ uri: base.toString() });
      await connection.query(`DROP DATABASE IF EXISTS ${name}`);
      await connection.end();
    },
  };
}

/** A fresh server database for the dialect (none for SQLite, which lives in the data directory). */
export async function createServerDatabase(dialect: Dialect): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  if (dialect === 'postgres') return createPostgresDatabase();
  if (dialect === 'mysql') return createMysqlDatabase();
  return undefined;
}

/**
 * A data directory and, on a server dialect, a fresh database for the `sentinel` processes a suite
 * starts: made before its tests and removed after them.
 */
export function useServerSandbox(dialect: Dialect, prefix: string, extraEnv: Record<string, string> = {}): { dataDir: string; env: Record<string, string> } {
  const sandbox = { dataDir: '', env: {} as Record<string, string> };
  let dropDatabase: (() => Promise<void>) | undefined;
  before(async () => {
    sandbox.dataDir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
    const database = await createServerDatabase(dialect);
    dropDatabase = database?.drop;
    sandbox.env = { SENTINEL_DATA_DIR: sandbox.dataDir, ...extraEnv, ...(database ? { DATABASE_URL: database.url } : {}) };
  });
  after(async () => {
    await dropDatabase?.();
    rmSync(sandbox.dataDir, { recursive: true, force: true });
  });
  return sandbox;
}

/**
 * A platform database of the dialect for a suite that uses it directly (no server): opened in a new
 * data directory (and on a fresh server database) and handed to `prepare` before the suite's tests,
 * closed and removed after them.
 */
export function useTestDatabase(dialect: Dialect, prefix: string, prepare: (db: Db) => Promise<void>): void {
  let opened: { db: Db; dataDir: string; drop?: () => Promise<void> } | undefined;
  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
    const server = await createServerDatabase(dialect);
    opened = { db: openDatabase({ dataDir, databaseUrl: server?.url }), dataDir, ...(server ? { drop: server.drop } : {}) };
    await prepare(opened.db);
  });
  after(async () => {
    await opened?.db.close();
    await opened?.drop?.();
    if (opened) rmSync(opened.dataDir, { recursive: true, force: true });
  });
}

/** A fresh, empty PostgreSQL database next to TEST_DATABASE_URL's; dropped by the returned function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `sentinel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestServer {
  url: string;
  app: FastifyInstance;
  db: Db;
  config: Config;
  services: Services;
  secretKey: string;
  api: ApiClient;
  close(): Promise<void>;
}

/** Starts Sentinel on a loopback port with a fresh database of the given dialect. */
export async function startServer(dialect: Dialect, env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentinel-test-'));
  const serverDb = await createServerDatabase(dialect);
  const config = loadConfig({
    SENTINEL_DATA_DIR: dataDir,
    SENTINEL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SENTINEL_RATE_LIMIT_PER_MINUTE: '100000',
    LOG_LEVEL: 'silent',
    ...(serverDb ? { DATABASE_URL: serverDb.url } : {}),
    ...env,
  });
  const db = openDatabase(config);
  await migrateToLatest(db, MODULE_MIGRATIONS);
  const secretKey = loadSecretKey(config);
  const services = createServices(config, db, secretKey);
  await bootstrapAdmin(config, services, createUsersRepo(db.kysely));
  const app = await buildApp(config, db, services);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url, app, db, config, services, secretKey,
    api: new ApiClient(url),
    async close() {
      await app.close();
      await services.shared.close();
      await db.close();
      await serverDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A small HTTP client over real sockets (fetch), speaking JSON. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '' && /json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get = <T = any>(url: string, token?: string) => this.request<T>('GET', url, { token });
  post = <T = any>(url: string, body: unknown, token?: string) => this.request<T>('POST', url, { body, token });
  patch = <T = any>(url: string, body: unknown, token?: string) => this.request<T>('PATCH', url, { body, token });
  delete = <T = any>(url: string, token?: string) => this.request<T>('DELETE', url, { token });

  async login(username: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
    const response = await this.post('/api/v1/auth/login', { username, password });
    if (response.status !== 200) throw new Error(`login as ${username} failed: ${response.status} ${response.text}`);
    return response.body;
  }

  async adminToken(): Promise<string> {
    return (await this.login('admin', ADMIN_PASSWORD)).access_token;
  }

  async createTenant(adminToken: string, name: string): Promise<{ id: string; slug: string }> {
    const response = await this.post('/api/v1/tenants', { name }, adminToken);
    if (response.status !== 201) throw new Error(`tenant create failed: ${response.status} ${response.text}`);
    return response.body;
  }

  /** Creates a user as SUPER_ADMIN in the tenant and returns it with a fresh access token. */
  async createUser(adminToken: string, tenantId: string, username: string, role: string, extra: Record<string, unknown> = {}) {
    const response = await this.post('/api/v1/users', { username, password: PASSWORD, role, tenant_id: tenantId, ...extra }, adminToken);
    if (response.status !== 201) throw new Error(`user create failed: ${response.status} ${response.text}`);
    const tokens = await this.login(username, PASSWORD);
    return { id: response.body.id as string, token: tokens.access_token, refresh: tokens.refresh_token };
  }
}
