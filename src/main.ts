import { readFileSync } from 'node:fs';
import module from 'node:module';
import { parseArgs } from 'node:util';
import { buildApp } from './app.ts';
import { jobContext, MODULE_MIGRATIONS, scheduledJobs } from './modules/index.ts';
import { createServices, type Services } from './services.ts';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.ts';
import { openDatabase, openMemoryDatabase, type Db } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrator.ts';
import { bootstrapAdmin, generatePassword } from './platform/bootstrap.ts';
import { loadSecretKey } from './platform/auth/secret-key.ts';
import { HttpError } from './platform/http/errors.ts';
import { openApiYaml } from './platform/http/openapi.ts';
import { TENANT_ROLES, type TenantRole } from './platform/auth/permissions.ts';
import { startSyncWorker, type SyncWorker } from './modules/integrations/sync-worker-client.ts';
import { rotateLocalKey } from './platform/secrets/local.ts';
import { logUnhandledRejections } from './platform/process-errors.ts';
import { describeStartupFailure } from './platform/startup-errors.ts';
import type { ProductionService } from './modules/production/production.service.ts';
import { BACKUP_USAGE, BackupError, backupCommand } from './modules/operations/backup.cli.ts';
import { JOBS_USAGE, JobsCliError, jobsCommand } from './modules/operations/jobs.cli.ts';
import { createMcpService } from './modules/mcp/mcp.service.ts';

const USAGE = `Usage: sentinel <command> [options]

Commands:
  serve                                   Migrate, create the first admin if needed, and serve HTTP
  migrate                                 Bring the database schema up to date
  tenant create --name NAME [--slug SLUG] [--timezone TZ] [--language es|en]
  tenant register --name NAME [--slug SLUG] [--timezone TZ] [--language es|en] --admin-username U
                  [--admin-email E] [--admin-password P] [--plant-url URL]
                                          Create a tenant with its first ADMIN; --plant-url points it
                                          at the client's own plant database (postgres:// or mysql://)
                                          and reports that database's structure
  tenant list
  plant verify --tenant SLUG              Check the tenant's plant database table by table
                                          (exit status 1 when something is missing)
  plant init-dynamic-tables --tenant SLUG Create the missing detection and downtime tables of every line
  user create --username NAME --role ROLE (--tenant SLUG | --super-admin) [--email E] [--password P]
  user reset-password --username NAME [--password P]
  secrets rotate-key --previous-key-file FILE
                                          Re-wrap the local secret store's data keys: from the key in
                                          FILE (or SENTINEL_PREVIOUS_SECRET_KEY) to SENTINEL_SECRET_KEY
${BACKUP_USAGE}
${JOBS_USAGE}
  widgets seed                            Fill the widget catalog and the default dashboard templates
                                          (adds what is missing, updates what changed; safe to repeat)
  openapi                                 Print the OpenAPI document (YAML)
  mcp                                     Serve the MCP tools for AI assistants on stdin/stdout, as the
                                          API key (assistant scope) in SENTINEL_API_KEY

Configuration comes from the environment and an optional .env file (see README).
A password that is not given is generated and printed once, and must be changed at the first sign-in.`;

async function openMigrated(config: Config): Promise<Db> {
  const db = openDatabase(config);
  await migrateToLatest(db, MODULE_MIGRATIONS);
  return db;
}

async function withServices<T>(config: Config, work: (services: Services, db: Db) => Promise<T>): Promise<T> {
  const db = await openMigrated(config);
  const services = createServices(config, db, loadSecretKey(config));
  try {
    return await work(services, db);
  } finally {
    await services.shared.close();
    await db.close();
  }
}

async function serve(config: Config): Promise<void> {
  const db = await openMigrated(config);
  const secretKey = loadSecretKey(config);
  const services = createServices(config, db, secretKey);
  // Listed by the jobs API from the start; the worker (here or on another node) runs them.
  await services.jobsRepo.ledger.define(scheduledJobs(jobContext(services, config, db)), Date.now());
  // The background sync runs in a worker thread (its own database connection), off the API's event
  // loop; "sync now" requests are forwarded to it. With SENTINEL_SYNC=off they run in this process.
  let syncWorker: SyncWorker | undefined;
  // The first administrator's password is hashed (Argon2, on the thread pool) while the app is built.
  const [admin, app] = await Promise.all([
    bootstrapAdmin(config, services, services.usersRepo),
    buildApp(config, db, { ...services, sync: { syncNow: (row) => (syncWorker ?? services.sync).syncNow(row) } }),
  ]);
  if (admin?.generatedPassword !== undefined) {
    console.log(`\nCreated the platform administrator.\n  username: ${admin.username}\n  password: ${admin.generatedPassword}\n`
      + `It is shown only this once, and kept in ${admin.passwordFile} (readable by you only).\n`
      + 'The first sign-in must change it (POST /api/v1/auth/change-password); then delete that file.\n');
  }
  logUnhandledRejections(app.log);
  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await syncWorker?.stop();
    services.lineWatch.stop();
    await app.close();
    await services.shared.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  // Node writes the compile cache at exit; written now too, a server that is killed still restarts warm.
  setTimeout(() => module.flushCompileCache?.(), 2_000).unref();
  // Started once the API answers: loading it is a second copy of the module graph.
  if (config.syncEnabled) syncWorker = startSyncWorker(config, secretKey, app.log, services.bus);
  await services.lineWatch.start();
}

async function printOpenApi(config: Config): Promise<void> {
  const db = openMemoryDatabase();
  const quiet: Config = { ...config, logLevel: 'silent', redisUrl: undefined };
  const app = await buildApp(quiet, db, createServices(quiet, db, 'openapi-export-needs-no-real-secret-key'));
  await app.ready();
  process.stdout.write(openApiYaml(app));
  await app.close();
  await db.close();
}

/**
 * The production service of a CLI run, with a plant registry of its own. Every tenant's plant is its
 * embedded database here until the platform stores external plant databases.
 */
async function withProduction<T>(config: Config, slug: string, work: (production: ProductionService, tenantId: string) => Promise<T>): Promise<T> {
  return withServices(config, async (services, db) => {
    const tenant = await db.kysely.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
    if (tenant === undefined) throw new CliError(`No tenant with slug "${slug}"`);
    // The tenant's own plant database, embedded or the client's, as the server would open it.
    try {
      return await work(services.production, tenant.id);
    } finally {
      await services.plants.close();
    }
  });
}

function tenantLanguage(value: string | undefined): 'es' | 'en' | undefined {
  if (value !== undefined && value !== 'es' && value !== 'en') throw new CliError('--language must be es or en');
  return value;
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required`);
  return value;
}

class CliError extends Error {}

/** The plant database's tables one per line; exit status 1 when one is missing or incomplete. */
function printPlantReport(report: Awaited<ReturnType<ProductionService['verify']>>): void {
  console.log(`Plant database: ${report.mode} (${report.dialect})`);
  for (const table of report.tables) {
    const state = !table.exists ? 'MISSING' : table.ok ? 'ok' : `missing columns: ${table.missing_columns.join(', ')}`;
    console.log(`  ${table.name.padEnd(32)} ${state}${table.rows !== null ? `  (${table.rows} rows)` : ''}`);
  }
  if (report.tables.some((table) => !table.exists || !table.ok)) {
    console.error('The plant database is not complete.');
    process.exitCode = 1;
  }
}

const GENERATED = ' (shown once; it must be changed at the first sign-in)';

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' }, slug: { type: 'string' }, timezone: { type: 'string' }, language: { type: 'string' },
      username: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' },
      tenant: { type: 'string' }, 'super-admin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'previous-key-file': { type: 'string' }, 'admin-username': { type: 'string' }, 'admin-email': { type: 'string' },
      'admin-password': { type: 'string' }, 'plant-url': { type: 'string' }, force: { type: 'boolean' },
    },
  });
  const [command, sub] = positionals;
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  if (command === 'backup') return backupCommand(config, sub, positionals[2], { force: values.force });
  if (command === 'jobs') return withServices(config, (services, db) => jobsCommand(config, services, db, sub, positionals[2]));

  switch (`${command}${sub ? ` ${sub}` : ''}`) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const db = openDatabase(config);
      try {
        const applied = await migrateToLatest(db, MODULE_MIGRATIONS);
        console.log(applied.length === 0 ? 'The database is up to date.' : `Applied: ${applied.join(', ')}`);
      } finally {
        await db.close();
      }
      return;
    }
    case 'openapi':
      return printOpenApi(config);
    case 'mcp': {
      const { MCP_API_KEY_VARIABLE, serveMcpOverStdio } = await import('./modules/mcp/mcp.stdio.ts');
      const apiKey = process.env[MCP_API_KEY_VARIABLE];
      if (apiKey === undefined || apiKey === '') throw new CliError(`Set ${MCP_API_KEY_VARIABLE} to an API key with the assistant scope (POST /api/v1/api-keys)`);
      return withServices(config, async (services, db) => {
        try {
          await serveMcpOverStdio(createMcpService({ services, transaction: (work) => db.transaction(work) }), apiKey);
        } finally {
          await services.plants.close();
        }
      });
    }
    case 'widgets seed':
      return withServices(config, async (services) => {
        const { inserted, updated, unchanged, templates } = await services.widgets.seed();
        console.log(`Widget catalog: ${inserted} added, ${updated} updated, ${unchanged} unchanged; ${templates} default template${templates === 1 ? '' : 's'} added.`);
      });
    case 'tenant create':
    case 'tenant register':
      return withServices(config, async (services, db) => {
        const language = tenantLanguage(values.language);
        const register = sub === 'register';
        const adminUsername = register ? required(values, 'admin-username') : undefined;
        const password = values['admin-password'] ?? generatePassword();
        // The tenant and its first administrator exist together or not at all (a refused password leaves nothing).
        const { tenant, admin } = await db.transaction(async () => {
          const tenant = await services.tenants.create({
            name: required(values, 'name'),
            ...(values.slug !== undefined ? { slug: values.slug } : {}),
            config: { ...(values.timezone !== undefined ? { timezone: values.timezone } : {}), ...(language !== undefined ? { language } : {}) },
          });
          // A refused URL (400) leaves nothing behind either.
          if (values['plant-url'] !== undefined) await services.plantDatabases.set(tenant.id, { url: values['plant-url'] });
          if (adminUsername === undefined) return { tenant, admin: undefined };
          const admin = await services.users.insertUser({
            tenantId: tenant.id, username: adminUsername, email: values['admin-email'] ?? null, password, role: 'ADMIN', permissions: [], isActive: true,
          });
          await services.audit.record({ action: 'user.create', outcome: 'success', tenantId: tenant.id, actorUsername: 'cli', resourceType: 'user', resourceId: admin.id });
          if (values['admin-password'] === undefined) await services.auth.requirePasswordChange(admin.id);
          return { tenant, admin };
        });
        console.log(`Created tenant ${tenant.slug} (${tenant.id})`);
        if (admin !== undefined) console.log(`Created its administrator ${admin.username} (${admin.id})${values['admin-password'] === undefined ? `\n  password: ${password}${GENERATED}` : ''}`);
        if (values['plant-url'] === undefined) return;
        // The tenant stays registered when the client's database is not ready yet: the report says what to fix.
        try {
          printPlantReport(await services.production.verify(tenant.id));
        } finally {
          await services.plants.close();
        }
      });
    case 'tenant list':
      return withServices(config, async (services) => {
        for (let cursor: string | undefined; ; ) {
          const page = await services.tenants.list({ limit: 500, ...(cursor ? { cursor } : {}) });
          for (const t of page.items) console.log(`${t.id}  ${t.slug.padEnd(24)} ${t.is_active ? 'active  ' : 'inactive'}  ${t.name}`);
          if (page.next_cursor === null) break;
          cursor = page.next_cursor;
        }
      });
    case 'user create':
      return withServices(config, async (services, db) => {
        const superAdmin = values['super-admin'] === true;
        const role = superAdmin ? 'SUPER_ADMIN' : required(values, 'role').toUpperCase();
        if (!superAdmin && !(TENANT_ROLES as readonly string[]).includes(role)) throw new CliError(`--role must be one of ${TENANT_ROLES.join(', ')}`);
        let tenantId: string | null = null;
        if (!superAdmin) {
          const slug = required(values, 'tenant');
          const tenant = await db.kysely.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirst();
          if (tenant === undefined) throw new CliError(`No tenant with slug "${slug}"`);
          tenantId = tenant.id;
        }
        const password = values.password ?? generatePassword();
        const user = await services.users.insertUser({
          tenantId, username: required(values, 'username'), email: values.email ?? null, password,
          role: role as TenantRole | 'SUPER_ADMIN', permissions: [], isActive: true,
        });
        await services.audit.record({ action: 'user.create', outcome: 'success', tenantId, actorUsername: 'cli', resourceType: 'user', resourceId: user.id });
        if (values.password === undefined) await services.auth.requirePasswordChange(user.id);
        console.log(`Created user ${user.username} (${user.id})${values.password === undefined ? `\n  password: ${password}${GENERATED}` : ''}`);
      });
    case 'user reset-password':
      return withServices(config, async (services) => {
        const password = values.password ?? generatePassword();
        const username = required(values, 'username');
        await services.users.resetPassword(username, password);
        await services.audit.record({ action: 'user.reset_password', outcome: 'success', actorUsername: 'cli', resourceType: 'user', detail: { username } });
        const user = await services.usersRepo.findByUsername(username.toLowerCase());
        if (values.password === undefined && user !== undefined) await services.auth.requirePasswordChange(user.id);
        console.log(`Password reset for ${username}; their sessions have ended.${values.password === undefined ? `\n  password: ${password}${GENERATED}` : ''}`);
      });
    case 'plant verify':
      return withProduction(config, required(values, 'tenant'), async (production, tenantId) => {
        printPlantReport(await production.verify(tenantId));
      });
    case 'plant init-dynamic-tables':
      return withProduction(config, required(values, 'tenant'), async (production, tenantId) => {
        const { lines } = await production.initTables(tenantId);
        for (const line of lines) console.log(`  line ${line.line_id} (${line.line_code}): ${line.detection_table}, ${line.downtime_table}`);
        console.log(`The tables of ${lines.length} line${lines.length === 1 ? '' : 's'} are in place.`);
      });
    case 'secrets rotate-key': {
      const file = values['previous-key-file'];
      const previous = file !== undefined ? readFileSync(file, 'utf8').trim() : process.env.SENTINEL_PREVIOUS_SECRET_KEY;
      if (previous === undefined || previous === '') throw new CliError('Give the previous key with --previous-key-file FILE or SENTINEL_PREVIOUS_SECRET_KEY');
      if (config.secretKey === undefined) throw new CliError('Set the new key in SENTINEL_SECRET_KEY (the generated data/secret.key cannot be rotated in place)');
      const db = await openMigrated(config);
      try {
        const { rewrapped } = await rotateLocalKey(db.kysely, previous, config.secretKey);
        console.log(`Re-wrapped ${rewrapped} secret${rewrapped === 1 ? '' : 's'} with the new key.`);
      } finally {
        await db.close();
      }
      return;
    }
    default:
      throw new CliError(`Unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof CliError || error instanceof BackupError || error instanceof JobsCliError) console.error(error.message);
  else if (error instanceof HttpError) console.error(`${error.detail ?? error.title}${error.errors ? `: ${error.errors.map((e) => `${e.field} ${e.message}`).join('; ')}` : ''}`);
  else if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') console.error(`${error.message}\n\n${USAGE}`);
  else {
    // A port in use, an unreachable database …: one line that says what to do; the stack only when debugging.
    const config = (() => {
      try {
        return loadConfig();
      } catch {
        return undefined;
      }
    })();
    console.error(describeStartupFailure(error, config));
    if (config?.logLevel === 'debug' || config?.logLevel === 'trace') console.error(error);
    // What was opened before the failure (database pool, timers) must not keep the process alive.
    process.exit(1);
  }
  process.exitCode = 1;
}
