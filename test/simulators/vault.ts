import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, startSimulator, type SimRequest, type Simulator } from './base.ts';

/**
 * HashiCorp Vault, KV secrets engine version 2, over its HTTP API:
 * - `X-Vault-Token` auth: a missing or unknown token → 403 {"errors":["permission denied"]};
 * - `GET  /v1/<mount>/data/<path>[?version=N]` → {"data":{"data":{…},"metadata":{…}}}; a missing path
 *   → 404 {"errors":[]}; a soft-deleted version → 404 with data null and its deletion_time;
 * - `POST|PUT /v1/<mount>/data/<path>` with {"data":{…}} → a new version, {"data":{version,…}};
 * - `DELETE /v1/<mount>/data/<path>` → soft-deletes the latest version (204);
 * - `GET /v1/<mount>/metadata/<path>` → the metadata with its versions; `DELETE` → every version and
 *   the metadata (204, also for a path that does not exist, as Vault does);
 * - a path outside the mount → 404 {"errors":["no handler for route …"]}; `sealed` → 503
 *   {"errors":["Vault is sealed"]}.
 */

export interface VaultVersion {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

export interface VaultEntry {
  versions: VaultVersion[];
  created_time: string;
  updated_time: string;
}

export interface VaultSimulator extends Simulator {
  token: string;
  mount: string;
  /** KV entries by path inside the mount (e.g. `apps/grafana`); tests may seed and inspect them. */
  data: Map<string, VaultEntry>;
  /** Writes a new version, as a client would. */
  seed(path: string, data: Record<string, unknown>): void;
  /** When true every request answers 503 "Vault is sealed". */
  sealed: boolean;
}

const now = () => new Date().toISOString();

function envelope(data: unknown) {
  return { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, mount_type: 'kv' };
}

function versionMetadata(version: VaultVersion, number: number) {
  return { created_time: version.created_time, custom_metadata: null, deletion_time: version.deletion_time, destroyed: version.destroyed, version: number };
}

export async function startVaultSimulator(options: { token?: string; mount?: string } = {}): Promise<VaultSimulator> {
  const token = options.token ?? `hvs.${randomUUID().replace(/-/g, '')}`;
  const mount = options.mount ?? 'secret';
  const data = new Map<string, VaultEntry>();

  const write = (path: string, values: Record<string, unknown>): number => {
    let entry = data.get(path);
    if (entry === undefined) {
      entry = { versions: [], created_time: now(), updated_time: now() };
      data.set(path, entry);
    }
    entry.versions.push({ data: structuredClone(values), created_time: now(), deletion_time: '', destroyed: false });
    entry.updated_time = now();
    return entry.versions.length;
  };

  const state = { sealed: false };

  const handler = (req: SimRequest, res: ServerResponse) => {
    if (state.sealed) return sendJson(res, 503, { errors: ['Vault is sealed'] });
    if (req.headers['x-vault-token'] !== token) return sendJson(res, 403, { errors: ['permission denied'] });
    const prefix = `/v1/${mount}/`;
    if (!req.path.startsWith(prefix)) return sendJson(res, 404, { errors: [`no handler for route "${req.path.slice(4)}". route entry not found.`] });
    const rest = req.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const api = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1)).replace(/\/+$/, '');
    if ((api !== 'data' && api !== 'metadata') || path === '') return sendJson(res, 404, { errors: [`no handler for route "${req.path.slice(4)}". route entry not found.`] });
    const entry = data.get(path);

    if (api === 'data' && req.method === 'GET') {
      if (entry === undefined || entry.versions.length === 0) return sendJson(res, 404, { errors: [] });
      const number = req.query.has('version') && req.query.get('version') !== '0' ? Number(req.query.get('version')) : entry.versions.length;
      const version = entry.versions[number - 1];
      if (version === undefined) return sendJson(res, 404, { errors: [] });
      if (version.deletion_time !== '' || version.destroyed) return sendJson(res, 404, envelope({ data: null, metadata: versionMetadata(version, number) }));
      return sendJson(res, 200, envelope({ data: version.data, metadata: versionMetadata(version, number) }));
    }
    if (api === 'data' && (req.method === 'POST' || req.method === 'PUT')) {
      let body: unknown;
      try {
        body = JSON.parse(req.body);
      } catch {
        return sendJson(res, 400, { errors: ['failed to parse JSON input: invalid character'] });
      }
      const values = (body as { data?: unknown } | null)?.data;
      if (values === null || typeof values !== 'object' || Array.isArray(values)) return sendJson(res, 400, { errors: ['no data provided'] });
      const number = write(path, values as Record<string, unknown>);
      const version = data.get(path)!.versions[number - 1]!;
      return sendJson(res, 200, envelope(versionMetadata(version, number)));
    }
    if (api === 'data' && req.method === 'DELETE') {
      const latest = entry?.versions.at(-1);
      if (latest !== undefined) latest.deletion_time = now();
      res.writeHead(204).end();
      return;
    }
    if (api === 'metadata' && req.method === 'GET') {
      if (entry === undefined) return sendJson(res, 404, { errors: [] });
      const versions = Object.fromEntries(entry.versions.map((v, i) => [String(i + 1), { created_time: v.created_time, deletion_time: v.deletion_time, destroyed: v.destroyed }]));
      return sendJson(res, 200, envelope({
        cas_required: false, created_time: entry.created_time, current_version: entry.versions.length, custom_metadata: null,
        delete_version_after: '0s', max_versions: 0, oldest_version: 1, updated_time: entry.updated_time, versions,
      }));
    }
    if (api === 'metadata' && req.method === 'DELETE') {
      data.delete(path);
      res.writeHead(204).end();
      return;
    }
    return sendJson(res, 405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
  };

  const sim = await startSimulator(handler, {
    rateLimitBody: { text: JSON.stringify({ errors: ['request path "…": rate limit quota exceeded'] }), contentType: 'application/json' },
    errorBody: (status) => ({ text: JSON.stringify({ errors: [status === 503 ? 'Vault is sealed' : 'internal error'] }), contentType: 'application/json' }),
  });
  const extra = {
    token,
    mount,
    data,
    seed: (path: string, values: Record<string, unknown>) => void write(path, values),
  };
  // Object.assign would copy a getter's value, so the live `sealed` flag is defined as an accessor.
  return Object.defineProperty(Object.assign(sim, extra), 'sealed', {
    enumerable: true,
    get: () => state.sealed,
    set: (value: boolean) => {
      state.sealed = value;
    },
  }) as VaultSimulator;
}
