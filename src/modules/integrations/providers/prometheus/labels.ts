import { createHash } from 'node:crypto';
import type { Severity } from '../../../security-domain/vocabulary.ts';

// Prometheus label conventions, shared with the Grafana provider (Grafana-managed alerts use them too).

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'critical', crit: 'critical', fatal: 'critical', emergency: 'critical', emerg: 'critical', disaster: 'critical', page: 'critical', p1: 'critical', sev1: 'critical',
  high: 'high', error: 'high', err: 'high', major: 'high', p2: 'high', sev2: 'high',
  warning: 'medium', warn: 'medium', medium: 'medium', moderate: 'medium', average: 'medium', p3: 'medium', sev3: 'medium',
  low: 'low', minor: 'low', notice: 'low', ticket: 'low', p4: 'low', sev4: 'low',
  info: 'info', informational: 'info', information: 'info', none: 'info', debug: 'info', p5: 'info', sev5: 'info',
};

/** An alert's `severity` label → Sentinel's severity; a missing or unknown value is `medium`. */
export function alertSeverity(raw: string | undefined): Severity {
  if (raw === undefined) return 'medium';
  return SEVERITY_WORDS[raw.trim().toLowerCase()] ?? 'medium';
}

/** A stable id for a label set: the same labels in any order give the same id. */
export function labelsHash(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/** `alertname: summary`, or whichever of the two exists. */
export function alertTitle(labels: Record<string, string>, annotations: Record<string, string>): string {
  const name = labels.alertname ?? 'alert';
  const summary = annotations.summary?.trim();
  return summary ? `${name}: ${summary}` : name;
}

/** The host an alert concerns, from the usual labels. */
export function alertAsset(labels: Record<string, string>): string | null {
  return labels.instance ?? labels.host ?? labels.hostname ?? labels.node ?? null;
}

/** A sample value as Prometheus encodes it ("1.5", "NaN", "+Inf") → a finite number or null. */
export function sampleValue(raw: unknown): number | null {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(value) ? value : null;
}
