import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Azure Key Vault (secrets) over HTTPS — the SDK refuses to send a bearer token over plain http.
 * Documented REST shapes (https://learn.microsoft.com/rest/api/keyvault/secrets):
 * - every call needs `?api-version=`; without it → 400 BadParameter;
 * - challenge auth: no `Authorization` → 401 with
 *   `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"`;
 *   a bearer token other than the expected one → 401 (with the same challenge);
 * - `PUT /secrets/{name}` {value, contentType?, tags?, attributes?} → SecretBundle {value, id, contentType, attributes, tags};
 * - `GET /secrets/{name}[/{version}]` → SecretBundle; unknown → 404 {"error":{"code":"SecretNotFound",…}};
 * - `DELETE /secrets/{name}` → DeletedSecretBundle (soft delete: the secret moves to /deletedsecrets);
 * - `GET /deletedsecrets/{name}` → DeletedSecretBundle (what the SDK's delete poller reads);
 * - `forbidden` → 403 {"error":{"code":"Forbidden",…,"innererror":{"code":"AccessDenied"}}}.
 */

export interface SimSecretVersion {
  version: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  created: number;
}

export interface AzureKeyVaultSimulator {
  /** The vault URL, https://127.0.0.1:<port>. */
  url: string;
  /** PEM of the self-signed certificate the server presents: what the client must trust. */
  ca: string;
  /** The bearer token the simulator accepts. */
  token: string;
  /** The Entra tenant the challenge names. */
  tenantId: string;
  /** Secret versions by name, oldest first; tests may seed and inspect them. */
  secrets: Map<string, SimSecretVersion[]>;
  deleted: Map<string, SimSecretVersion[]>;
  requests: { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string }[];
  /** When true, authenticated requests answer 403 (no access policy / RBAC role). */
  forbidden: boolean;
  close(): Promise<void>;
}

/** Whether the `openssl` CLI is available to make the test certificate. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for 127.0.0.1 (P-256, one day), made with the openssl CLI. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-akv-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-ms-keyvault-service-version': '1.9.0.0', ...headers });
  res.end(text);
}

const error = (code: string, message: string, inner?: string) => ({ error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });

export async function startAzureKeyVaultSimulator(options: { token?: string; tenantId?: string } = {}): Promise<AzureKeyVaultSimulator> {
  const { key, cert } = selfSignedCertificate();
  const token = options.token ?? `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
  const tenantId = options.tenantId ?? randomUUID();
  const secrets = new Map<string, SimSecretVersion[]>();
  const deleted = new Map<string, SimSecretVersion[]>();
  const requests: AzureKeyVaultSimulator['requests'] = [];
  let url = '';
  const challenge = `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`;

  const attributes = (v: SimSecretVersion) => ({ enabled: true, created: v.created, updated: v.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 });
  const bundle = (name: string, v: SimSecretVersion) => ({
    value: v.value, id: `${url}/secrets/${name}/${v.version}`, attributes: attributes(v),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}), ...(v.tags !== undefined ? { tags: v.tags } : {}),
  });
  const deletedBundle = (name: string, v: SimSecretVersion) => {
    const { value: _value, ...rest } = bundle(name, v);
    const now = Math.floor(Date.now() / 1000);
    return { ...rest, recoveryId: `${url}/deletedsecrets/${name}`, deletedDate: now, scheduledPurgeDate: now + 90 * 86_400 };
  };
  const notFound = (id: string) => error('SecretNotFound', `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

  const state = { forbidden: false };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const parsed = new URL(req.url ?? '/', 'https://simulator');
    const method = req.method ?? 'GET';
    requests.push({ method, path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body });
    if (!parsed.searchParams.get('api-version')) return send(res, 400, error('BadParameter', 'The request URI contains an invalid api-version.'));
    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      return send(res, 401, error('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), { 'www-authenticate': challenge });
    }
    if (authorization !== `Bearer ${token}`) {
      return send(res, 401, error('Unauthorized', 'AKV10022: Invalid audience or token.'), { 'www-authenticate': challenge });
    }
    const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [collection, name, version, ...extra] = segments;
    if (state.forbidden) {
      const verb = method === 'PUT' ? 'set' : method === 'DELETE' ? 'delete' : 'get';
      return send(res, 403, error('Forbidden', `The user, group or application 'appid=00000000-0000-0000-0000-000000000000;iss=https://sts.windows.net/${tenantId}/' does not have secrets ${verb} permission on key vault 'simulator;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`, 'AccessDenied'));
    }
    if (name === undefined || extra.length > 0 || !NAME.test(name)) {
      return send(res, 400, error('BadParameter', 'The request URI contains an invalid name: secret names may only contain alphanumeric characters and dashes and must be between 1 and 127 characters long'));
    }

    if (collection === 'secrets' && method === 'PUT' && version === undefined) {
      let input: { value?: unknown; contentType?: unknown; tags?: unknown };
      try {
        input = JSON.parse(body);
      } catch {
        return send(res, 400, error('BadParameter', 'The request body is not valid JSON.'));
      }
      if (typeof input.value !== 'string') return send(res, 400, error('BadParameter', 'Property value is required.'));
      const created: SimSecretVersion = {
        version: randomBytes(16).toString('hex'),
        value: input.value,
        contentType: typeof input.contentType === 'string' ? input.contentType : undefined,
        tags: input.tags !== null && typeof input.tags === 'object' ? (input.tags as Record<string, string>) : undefined,
        created: Math.floor(Date.now() / 1000),
      };
      if (deleted.has(name)) {
        return send(res, 409, error('Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable'));
      }
      secrets.set(name, [...(secrets.get(name) ?? []), created]);
      return send(res, 200, bundle(name, created));
    }
    if (collection === 'secrets' && method === 'GET') {
      const versions = secrets.get(name);
      const found = version === undefined || version === '' ? versions?.at(-1) : versions?.find((v) => v.version === version);
      if (found === undefined) return send(res, 404, notFound(version ? `${name}/${version}` : name));
      return send(res, 200, bundle(name, found));
    }
    if (collection === 'secrets' && method === 'DELETE' && version === undefined) {
      const versions = secrets.get(name);
      if (versions === undefined) return send(res, 404, notFound(name));
      secrets.delete(name);
      deleted.set(name, versions);
      return send(res, 200, deletedBundle(name, versions.at(-1)!));
    }
    if (collection === 'deletedsecrets' && method === 'GET' && version === undefined) {
      const versions = deleted.get(name);
      if (versions === undefined) return send(res, 404, error('DeletedSecretNotFound', `Deleted Secret not found: ${name}`));
      return send(res, 200, deletedBundle(name, versions.at(-1)!));
    }
    return send(res, 405, error('BadParameter', `The requested operation ${method} ${parsed.pathname} is not supported by the simulator.`));
  };

  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        if (!res.headersSent) send(res, 500, error('InternalServerError', (err as Error).message));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, ca: cert, token, tenantId, secrets, deleted, requests,
    get forbidden() {
      return state.forbidden;
    },
    set forbidden(value: boolean) {
      state.forbidden = value;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
