/** A Grafana panel through a tenant's Grafana integration, as `/integrations/{id}/grafana/…/panels/{panel_id}/data` gives it. */
import { HttpError } from '../../../platform/http/errors.ts';
import { say } from '../../../platform/languages.ts';
import { vendorFailure } from '../../integrations/integrations.service.ts';
import type { Series } from '../../integrations/providers/types.ts';
import { ProviderError } from '../../integrations/vendor-http.ts';
import type { SourceContext } from './types.ts';
import { type DataSource, chart, paramsSchema, windowOf } from './types.ts';

/** The panel's series; another tenant's integration is 404 like an unknown one, vendor failures 502/504 as on the integrations API. */
async function panelSeries(context: SourceContext, integrationId: string, dashboardUid: string, panelId: number, window: { from: number; to: number }): Promise<Series[]> {
  const { integrations } = context.services;
  const row = await integrations.getRow(context.tenantId, integrationId);
  const provider = integrations.definitionOf(row).provider;
  if (row.type !== 'grafana' || provider.fetchPanelData === undefined) throw new HttpError(404, say('This integration is not a Grafana integration', 'Esta integración no es una integración de Grafana'));
  try {
    return await provider.fetchPanelData(await integrations.contextFor(row), dashboardUid, panelId, window.from, window.to);
  } catch (error) {
    if (error instanceof ProviderError) throw vendorFailure(error);
    throw error;
  }
}

const panel: DataSource = {
  id: 'grafana.panel',
  permission: 'integrations:read',
  params: paramsSchema({
    integration_id: { type: 'string', format: 'uuid', description: 'A Grafana integration of the tenant' },
    dashboard_uid: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'Grafana dashboard uid' },
    panel_id: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Panel id in that dashboard' },
    from: { type: 'string', format: 'date-time', description: 'Default: 7 days before to' },
    to: { type: 'string', format: 'date-time', description: 'Default: now' },
  }, ['integration_id', 'dashboard_uid', 'panel_id']),
  async load(context, params) {
    const window = windowOf(params, context.now);
    const series = await panelSeries(context, params.integration_id as string, params.dashboard_uid as string, params.panel_id as number, window);
    // One label per instant any series has; a series without a point there has null.
    const instants = [...new Set(series.flatMap((one) => one.points.map(([at]) => at)))].sort((a, b) => a - b);
    return chart(instants.map((at) => new Date(at).toISOString()), series.map((one) => {
      const byInstant = new Map(one.points);
      return { label: one.name, data: instants.map((at) => byInstant.get(at) ?? null), unit: '' };
    }));
  },
};

export const GRAFANA_SOURCES: readonly DataSource[] = [panel];
