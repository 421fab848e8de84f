import { ProviderError } from '../../vendor-http.ts';
import { stringRecord } from '../common.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { api } from './client.ts';
import { alertAsset, alertSeverity, alertTitle, labelsHash } from './labels.ts';

interface RuleAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
  value?: string;
}

/** Alerts beyond this are cut (a sane bound on one sync). */
const MAX_ALERTS = 10_000;

export async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
  const { data } = await api<{ alerts?: RuleAlert[] }>(ctx, '/api/v1/alerts');
  if (!Array.isArray(data?.alerts)) throw new ProviderError('bad_response', 'the alerts answer has no alerts list');
  const alerts: NormalizedAlert[] = [];
  for (const alert of data.alerts.slice(0, MAX_ALERTS)) {
    if (alert.state !== 'firing') continue;
    const labels = stringRecord(alert.labels);
    const annotations = stringRecord(alert.annotations);
    const activeAt = alert.activeAt ? Date.parse(alert.activeAt) : Number.NaN;
    alerts.push({
      external_id: labelsHash(labels),
      title: alertTitle(labels, annotations),
      description: annotations.description ?? annotations.summary ?? '',
      severity: alertSeverity(labels.severity),
      vendor_severity: labels.severity ?? '',
      source: labels.alertname ?? 'prometheus',
      time: Number.isFinite(activeAt) ? activeAt : null,
      asset: alertAsset(labels),
    });
  }
  return alerts;
}
