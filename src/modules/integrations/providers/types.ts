import type { TSchema } from 'typebox';
import type { SecretValue } from '../../../platform/secrets/types.ts';
import type { NormalizedAlert } from '../../alerts/alerts.merge.ts';
import type { IntegrationType, SystemStatus } from '../../security-domain/vocabulary.ts';
import type { NormalizedAsset } from '../../systems/systems.merge.ts';
import type { NormalizedVulnerability } from '../../vulnerabilities/vulnerabilities.merge.ts';
import type { ProviderErrorKind, VendorHttp } from '../vendor-http.ts';

// What providers report is what the owning modules merge: their input types are the contract.
export type { NormalizedAlert, NormalizedAsset, NormalizedVulnerability, SecretValue };

/** What an integration can feed into Sentinel. */
export const CAPABILITIES = ['ALERTING', 'METRICS', 'VULNERABILITY_FEED', 'STATUS'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface StatusReport {
  status: SystemStatus;
  metrics: {
    /** Seconds the vendor reports being up, when it says. */
    uptime: number | null;
    /** Mean latency of the calls made for this report, in ms. */
    response_time_avg: number | null;
  };
  assets: NormalizedAsset[];
  /** One line saying why the status is what it is (e.g. "3 of 11 agents disconnected"). */
  summary: string;
}

export interface Series {
  refId: string;
  name: string;
  labels: Record<string, string>;
  /** [epoch_ms, value] */
  points: [number, number | null][];
}

export interface DashboardSummary {
  uid: string;
  title: string;
  url: string;
  folder: string | null;
  tags: string[];
}

export interface PanelSummary {
  id: number;
  title: string;
  type: string;
  /** null when the panel has none or only a legacy name. */
  datasource: { type: string | null; uid: string | null } | null;
  targets: Record<string, unknown>[];
}

export interface DashboardDetail {
  uid: string;
  title: string;
  tags: string[];
  /** Every panel, including those inside collapsed rows (flattened). */
  panels: PanelSummary[];
}

export interface ProviderContext {
  /** The integration's validated config (base fields plus the type's own). */
  config: BaseConfig & Record<string, unknown>;
  /** The credential, resolved from the secret store (undefined when the type needs none). */
  secret: SecretValue | undefined;
  /** HTTP client bound to config.url with timeouts, retries and TLS settings. */
  http: VendorHttp;
  /** Per-integration scratch space that lives as long as the process (e.g. a cached login token). */
  state: Map<string, unknown>;
}

export interface BaseConfig {
  url: string;
  verify_tls: boolean;
  poll_interval_seconds: number;
}

export interface CheckResult {
  ok: boolean;
  latency_ms: number;
  detail: string;
  /** Why a failed check failed (credentials refused, unreachable, timeout …), for a client to act on. */
  reason?: ProviderErrorKind;
}

/** One vendor. Optional methods exist when the type supports the matching capability. */
export interface Provider {
  check(ctx: ProviderContext): Promise<CheckResult>;
  fetchStatus(ctx: ProviderContext): Promise<StatusReport>;
  /** ALERTING: currently firing/open alerts (since: epoch ms of the last successful sync, if any). */
  fetchAlerts?(ctx: ProviderContext, since: number | undefined): Promise<NormalizedAlert[]>;
  /**
   * Closes at the vendor the alerts a person resolved in Sentinel (their external ids), when the
   * integration opted in with `write_back_resolutions`; answers how many it closed.
   */
  writeBackResolutions?(ctx: ProviderContext, externalIds: string[]): Promise<number>;
  /** VULNERABILITY_FEED: every currently open finding (what is missing is considered fixed). */
  fetchVulnerabilities?(ctx: ProviderContext): Promise<NormalizedVulnerability[]>;
  /** METRICS */
  listDashboards?(ctx: ProviderContext): Promise<DashboardSummary[]>;
  getDashboard?(ctx: ProviderContext, uid: string): Promise<DashboardDetail>;
  fetchPanelData?(ctx: ProviderContext, dashboardUid: string, panelId: number, from: number, to: number): Promise<Series[]>;
  query?(ctx: ProviderContext, expression: string, from: number, to: number, stepSeconds: number): Promise<Series[]>;
}

export interface ProviderDefinition {
  type: IntegrationType;
  /** Human name: "Grafana", "Palo Alto Networks PAN-OS" … */
  label: string;
  capabilities: readonly Capability[];
  defaultCapabilities: readonly Capability[];
  /**
   * JSON Schema (TypeBox) of `config`, with the base fields (url, verify_tls, poll_interval_seconds)
   * and the type's own; `additionalProperties: false`. Published in the OpenAPI document.
   */
  configSchema: TSchema;
  /** JSON Schema of the write-only `secret` (a string, or an object). */
  secretSchema: TSchema;
  /** Whether an integration of this type needs a credential. */
  secretRequired: boolean;
  /**
   * `state` (default): fetchAlerts returns every alert open at the vendor, so one missing from a
   * sync has cleared upstream and is resolved here. `events`: it returns what happened since the
   * last sync (log entries), so absence means nothing and alerts stay until someone resolves them.
   */
  alertMode?: 'state' | 'events';
  provider: Provider;
}
