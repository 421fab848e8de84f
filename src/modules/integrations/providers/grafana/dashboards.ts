import { ProviderError, type VendorResponse } from '../../vendor-http.ts';
import { isObject } from '../common.ts';
import type { DashboardDetail, DashboardSummary, PanelSummary, ProviderContext } from '../types.ts';
import { call, str } from './client.ts';
import { say } from '../../../../platform/languages.ts';

export type Json = Record<string, unknown>;

/** /api/search page size (Grafana's default is 1000, its maximum 5000). */
const SEARCH_PAGE_SIZE = 1000;
/** At most this many search pages (50 000 dashboards) per listing. */
const MAX_SEARCH_PAGES = 50;

export async function listDashboards(ctx: ProviderContext): Promise<DashboardSummary[]> {
  const out: DashboardSummary[] = [];
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_SEARCH_PAGES; page++) {
    const response = await call(ctx, { path: '/api/search', query: { type: 'dash-db', limit: SEARCH_PAGE_SIZE, page } });
    const items = response.json<unknown>();
    if (!Array.isArray(items)) throw new ProviderError('bad_response', 'the /api/search answer is not a list');
    let fresh = 0;
    for (const item of items) {
      if (!isObject(item) || typeof item.uid !== 'string' || seen.has(item.uid)) continue;
      if (item.type !== undefined && item.type !== 'dash-db') continue;
      seen.add(item.uid);
      fresh++;
      const url = str(item.url);
      out.push({
        uid: item.uid,
        title: str(item.title) ?? item.uid,
        url: url ? new URL(url, ctx.config.url).toString() : new URL(`/d/${encodeURIComponent(item.uid)}`, ctx.config.url).toString(),
        folder: str(item.folderTitle) ?? null,
        tags: Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === 'string') : [],
      });
    }
    // A short page is the last one; a page with nothing new means the server ignores `page`.
    if (items.length < SEARCH_PAGE_SIZE || fresh === 0) break;
  }
  return out;
}

export async function rawDashboard(ctx: ProviderContext, uid: string): Promise<Json> {
  let response: VendorResponse;
  try {
    response = await call(ctx, { path: `/api/dashboards/uid/${encodeURIComponent(uid)}` });
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'not_found') throw new ProviderError('not_found', say(`Grafana has no dashboard with uid "${uid}"`, `Grafana no tiene ningún dashboard con uid "${uid}"`), 404);
    throw error;
  }
  const body = response.json<unknown>();
  if (!isObject(body) || !isObject(body.dashboard)) throw new ProviderError('bad_response', 'the dashboard answer has no dashboard object');
  return body.dashboard;
}

/** Every panel, rows' children included (collapsed rows keep theirs in `panels`; pre-5.0 dashboards in `rows`). */
export function flattenPanels(dashboard: Json): Json[] {
  const out: Json[] = [];
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels) {
      if (!isObject(panel)) continue;
      if (panel.type === 'row') {
        visit(panel.panels);
        continue;
      }
      out.push(panel);
    }
  };
  visit(dashboard.panels);
  if (Array.isArray(dashboard.rows)) for (const row of dashboard.rows) if (isObject(row)) visit(row.panels);
  return out;
}

function panelDatasource(raw: unknown): PanelSummary['datasource'] {
  if (!isObject(raw)) return null; // null, absent, or a legacy name
  return { type: str(raw.type) ?? null, uid: str(raw.uid) ?? null };
}

function toPanelSummary(panel: Json): PanelSummary {
  return {
    id: typeof panel.id === 'number' ? panel.id : -1,
    title: str(panel.title) ?? '',
    type: str(panel.type) ?? 'unknown',
    datasource: panelDatasource(panel.datasource),
    targets: Array.isArray(panel.targets) ? panel.targets.filter(isObject) : [],
  };
}

export async function getDashboard(ctx: ProviderContext, uid: string): Promise<DashboardDetail> {
  const dashboard = await rawDashboard(ctx, uid);
  return {
    uid: str(dashboard.uid) ?? uid,
    title: str(dashboard.title) ?? uid,
    tags: Array.isArray(dashboard.tags) ? dashboard.tags.filter((t): t is string => typeof t === 'string') : [],
    panels: flattenPanels(dashboard).filter((panel) => typeof panel.id === 'number').map(toPanelSummary),
  };
}
