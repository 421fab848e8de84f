/**
 * What failures of a tenant's plant database become for the client. The platform's error handler
 * knows the platform database; these come from the plant registry, the secret store holding a
 * client's URL, and the client's own database server, which refuses or is misconfigured — the
 * client's to fix, so 502 naming the cause in words, never the driver's message (it may hold
 * addresses or user names).
 */
import { PlantRegistryError } from '../../platform/db/plant-registry.ts';
import { HttpError } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { tenantNotFound } from '../../platform/auth/tenant-scope.ts';

const RETRY = { 'Retry-After': '5' };

/** PostgreSQL SQLSTATE classes and MySQL error codes that mean "this database cannot be used as configured". */
const REFUSED_PREFIXES = ['28', '3D', '42501'];
const REFUSED_MYSQL = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE', 'HANDSHAKE_SSL_ERROR', 'ER_TABLEACCESS_DENIED_ERROR']);

function isRefusal(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return false;
  return REFUSED_MYSQL.has(code) || (/^[0-9A-Z]{5}$/.test(code) && REFUSED_PREFIXES.some((prefix) => code.startsWith(prefix)));
}

/** The problem a plant failure is, or the error unchanged for the platform's handler. */
export function plantProblem(error: unknown): unknown {
  if (error instanceof PlantRegistryError) {
    switch (error.kind) {
      case 'busy':
        return new HttpError(503, say('Too many plant databases are in use at once; try again shortly', 'Hay demasiadas bases de datos de planta en uso a la vez; inténtelo de nuevo en breve'), { headers: RETRY });
      case 'closed':
        return new HttpError(503, say('The server is shutting down', 'El servidor se está deteniendo'), { headers: RETRY });
      case 'invalid_tenant_id':
        return tenantNotFound();
      default:
        return new HttpError(409, say('The tenant\'s plant database URL cannot be used; set it again (PUT /tenants/{id}/plant-database)', 'La URL de la base de datos de planta del cliente no se puede usar; configúrela de nuevo (PUT /tenants/{id}/plant-database)'));
    }
  }
  if (isRefusal(error)) {
    return new HttpError(502, say(
      'The tenant\'s plant database refused the connection or the access (credentials, database name or privileges); check its URL and grants',
      'La base de datos de planta del cliente rechazó la conexión o el acceso (credenciales, nombre de la base de datos o privilegios); compruebe su URL y sus permisos',
    ));
  }
  return error;
}
