import type { Kysely } from 'kysely';
import { chunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { VulnerabilityRow } from './vulnerabilities.tables.ts';
import { newId } from '../../platform/ids.ts';
import { isOpenVulnerability, OPEN_VULNERABILITY_STATUSES, type Severity } from '../security-domain/vocabulary.ts';

/** A vulnerability finding as a feed reports it. */
export interface NormalizedVulnerability {
  /** Stable per (asset, CVE, package): the same finding seen twice has the same external_id. */
  external_id: string;
  cve: string;
  title: string;
  severity: Severity;
  cvss_score: number | null;
  asset: string;
  package: string | null;
  version: string | null;
  fixed_version: string | null;
  /** epoch ms */
  detected_at: number;
}

/** The vulnerabilities a merge changed (ids), by kind of change, for live events. */
export interface VulnerabilityChanges {
  created: string[];
  reopened: string[];
  resolved: string[];
}

/** The vulnerabilities write API for feeds (the integration sync). */
export function createVulnerabilitiesMerge(db: Kysely<PlatformDatabase>) {
  return {
    /**
     * A feed reports every open finding: new ones are created open, ones seen again are updated
     * (and reopen if they had been resolved), and an open one the feed no longer reports is
     * resolved, completing its pending patch job.
     */
    async mergeFromFeed(tenantId: string, feed: { integrationId: string; systemId: string }, findings: NormalizedVulnerability[], now: number): Promise<VulnerabilityChanges> {
      const { integrationId, systemId } = feed;
      const byExternal = new Map<string, NormalizedVulnerability>();
      for (const finding of findings) byExternal.set(finding.external_id, finding);
      const existing = new Map<string, VulnerabilityRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('vulnerabilities').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const open = await db.selectFrom('vulnerabilities').select(['id', 'external_id']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('status', 'in', OPEN_VULNERABILITY_STATUSES).execute();
      const inserts: VulnerabilityRow[] = [];
      const updates: { id: string; values: Partial<VulnerabilityRow> }[] = [];
      for (const finding of byExternal.values()) {
        const fields = {
          cve: finding.cve.slice(0, 64), title: finding.title.slice(0, 500), severity: finding.severity, cvss_score: finding.cvss_score,
          asset: finding.asset.slice(0, 300), package: finding.package?.slice(0, 300) ?? null, version: finding.version?.slice(0, 200) ?? null,
          fixed_version: finding.fixed_version?.slice(0, 200) ?? null,
        };
        const row = existing.get(finding.external_id);
        if (row === undefined) {
          inserts.push({
            id: newId(now), tenant_id: tenantId, integration_id: integrationId, system_id: systemId, external_id: finding.external_id, ...fields,
            status: 'open', first_seen: Math.min(finding.detected_at || now, now), last_seen: now, resolved_at: null, created_at: now, updated_at: now,
          });
        } else {
          updates.push({ id: row.id, values: { ...fields, last_seen: now, ...(isOpenVulnerability(row.status) ? {} : { status: 'open', resolved_at: null }), updated_at: now } });
        }
      }
      const toResolve = open.filter((row) => !byExternal.has(row.external_id)).map((row) => row.id);
      for await (const batch of chunks(inserts)) await db.insertInto('vulnerabilities').values(batch).execute();
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, values } of batch) await trx.updateTable('vulnerabilities').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
        });
      }
      for await (const batch of chunks(toResolve)) {
        await db.updateTable('vulnerabilities').set({ status: 'resolved', resolved_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', 'in', batch).execute();
        // The feed no longer reports it: a patch in progress has done its job.
        await db.updateTable('patch_jobs').set({ status: 'completed', completed_at: now, updated_at: now })
          .where('tenant_id', '=', tenantId).where('vulnerability_id', 'in', batch).where('status', '=', 'pending').execute();
      }
      return { created: inserts.map((r) => r.id), reopened: updates.filter((u) => u.values.status === 'open').map((u) => u.id), resolved: toResolve };
    },
  };
}

export type VulnerabilitiesMerge = ReturnType<typeof createVulnerabilitiesMerge>;
