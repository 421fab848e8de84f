import { ProviderError } from '../../vendor-http.ts';
import { alertAsset, alertSeverity, alertTitle } from '../prometheus/labels.ts';
import { isObject, stringRecord } from '../common.ts';
import type { NormalizedAlert, ProviderContext } from '../types.ts';
import { call, str } from './client.ts';

const MAX_ALERTS = 10_000;

interface AmAlert {
  labels?: unknown;
  annotations?: unknown;
  startsAt?: string;
  fingerprint?: string;
  status?: unknown;
}

export async function fetchAlerts(ctx: ProviderContext, _since: number | undefined): Promise<NormalizedAlert[]> {
  const response = await call(ctx, {
    path: '/api/alertmanager/grafana/api/v2/alerts',
    query: { active: true, silenced: false, inhibited: false },
  });
  const body = response.json<unknown>();
  if (!Array.isArray(body)) throw new ProviderError('bad_response', 'the Alertmanager alerts answer is not a list');
  const alerts: NormalizedAlert[] = [];
  for (const alert of (body as (AmAlert | null)[]).slice(0, MAX_ALERTS)) {
    if (alert === null || typeof alert !== 'object') continue;
    const state = isObject(alert.status) ? str(alert.status.state) : undefined;
    if (state !== undefined && state !== 'active') continue;
    const labels = stringRecord(alert.labels);
    const annotations = stringRecord(alert.annotations);
    if (typeof alert.fingerprint !== 'string' || alert.fingerprint === '') continue;
    const startsAt = typeof alert.startsAt === 'string' ? Date.parse(alert.startsAt) : Number.NaN;
    alerts.push({
      external_id: alert.fingerprint,
      title: alertTitle(labels, annotations),
      description: annotations.description ?? annotations.summary ?? '',
      severity: alertSeverity(labels.severity),
      vendor_severity: labels.severity ?? '',
      source: labels.grafana_folder ?? labels.alertname ?? 'grafana',
      time: Number.isFinite(startsAt) ? startsAt : null,
      asset: alertAsset(labels),
    });
  }
  return alerts;
}
