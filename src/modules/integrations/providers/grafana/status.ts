import type { AssetStatus, SystemStatus } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import { isObject, mean } from '../common.ts';
import type { NormalizedAsset, ProviderContext, StatusReport } from '../types.ts';
import { call, health, str } from './client.ts';

/** Data sources health-checked per status report, and how many at once. */
const MAX_DATASOURCE_CHECKS = 25;
const DATASOURCE_CHECK_CONCURRENCY = 5;

interface DatasourceRow {
  id?: number;
  uid?: string;
  name?: string;
  type?: string;
  typeName?: string;
  url?: string;
  isDefault?: boolean;
}

export async function fetchStatus(ctx: ProviderContext): Promise<StatusReport> {
  const latencies: number[] = [];
  const h = await health(ctx);
  latencies.push(h.response.latencyMs);

  // GET /api/datasources needs datasources:read (Admin by default); a token without it gets 403,
  // and the report then has no assets.
  const list = await call(ctx, { path: '/api/datasources', acceptStatus: [403] });
  latencies.push(list.latencyMs);
  const assets: NormalizedAsset[] = [];
  let listed = false;
  if (list.status === 200) {
    const rows = list.json<unknown>();
    if (!Array.isArray(rows)) throw new ProviderError('bad_response', 'the /api/datasources answer is not a list');
    listed = true;
    const sources = (rows as DatasourceRow[]).filter((row) => isObject(row) && typeof row.uid === 'string');
    const checked = sources.slice(0, MAX_DATASOURCE_CHECKS);
    const results: { status: AssetStatus; message: string | null }[] = new Array(checked.length);
    let next = 0;
    const worker = async () => {
      while (next < checked.length) {
        const index = next++;
        const uid = checked[index]!.uid!;
        // 200 {"status":"OK"} healthy; 400 {"status":"ERROR","message"} failing; 404: plugin without a health check.
        const response = await call(ctx, { path: `/api/datasources/uid/${encodeURIComponent(uid)}/health`, acceptStatus: [400, 403, 404, 500, 502, 503, 504] });
        latencies.push(response.latencyMs);
        let body: unknown;
        try {
          body = response.json<unknown>();
        } catch {
          body = undefined;
        }
        const message = isObject(body) ? (str(body.message) ?? null) : null;
        const state = isObject(body) ? str(body.status) : undefined;
        if (response.status === 200 && (state === undefined || state === 'OK')) results[index] = { status: 'online', message };
        else if (response.status === 400 || (response.status === 200 && state === 'ERROR') || response.status >= 500) results[index] = { status: 'offline', message };
        else results[index] = { status: 'unknown', message };
      }
    };
    await Promise.all(Array.from({ length: Math.min(DATASOURCE_CHECK_CONCURRENCY, checked.length) }, worker));
    sources.forEach((row, index) => {
      const result = results[index] ?? { status: 'unknown' as const, message: 'not health-checked (too many data sources)' };
      assets.push({
        external_id: row.uid!,
        name: row.name ?? row.uid!,
        kind: 'datasource',
        status: result.status,
        detail: { type: row.type ?? null, type_name: row.typeName ?? null, url: row.url ?? null, is_default: row.isDefault === true, health_message: result.message },
      });
    });
  }

  const failing = assets.filter((a) => a.status === 'offline');
  const version = h.version ? `Grafana ${h.version}` : 'Grafana';
  let status: SystemStatus;
  let summary: string;
  if (!h.ok) {
    status = 'alert';
    summary = `${version}: database health check failing`;
  } else if (failing.length > 0) {
    status = 'warning';
    const names = failing.slice(0, 3).map((a) => a.name).join(', ');
    summary = `${version}: database ok; ${failing.length} of ${assets.length} data sources failing their health check (${names}${failing.length > 3 ? ', …' : ''})`;
  } else {
    status = 'online';
    summary = listed ? `${version}: database ok; ${assets.length} data sources healthy or unchecked` : `${version}: database ok (data sources not listed: the token lacks datasources:read)`;
  }
  return { status, metrics: { uptime: null, response_time_avg: mean(latencies) }, assets, summary };
}
