import type { Kysely } from 'kysely';
import { chunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { VulnerabilityRow } from './vulnerabilities.tables.ts';
import { newId } from '../../platform/ids.ts';
import { ACTIVE_PATCH_JOB_STATUSES, OPEN_VULNERABILITY_STATUSES, severityFromCvss, type Severity } from '../security-domain/vocabulary.ts';

/** A vulnerability finding as a feed reports it. */
export interface NormalizedVulnerability {
  /** Stable per (asset, CVE, package): the same finding seen twice has the same external_id. */
  external_id: string;
  cve: string;
  title: string;
  /** The vendor's severity mapped to Sentinel's; used when there is no CVSS score. */
  severity: Severity;
  /** The vendor's own severity word, as received. */
  vendor_severity: string | null;
  cvss_score: number | null;
  asset: string;
  package: string | null;
  version: string | null;
  fixed_version: string | null;
  /** epoch ms */
  detected_at: number;
}

/** The vulnerabilities a merge changed (ids), by kind of change, for live events and the audit log. */
export interface VulnerabilityChanges {
  created: string[];
  /** Resolved ones the feed reports again, and accepted risks whose acceptance expired. */
  reopened: { id: string; previous_status: string }[];
  resolved: string[];
}

/** Sentinel's severity: the CVSS band when the finding is scored (so severity and CVSS agree), else the vendor's. */
export function severityOf(finding: Pick<NormalizedVulnerability, 'severity' | 'cvss_score'>): { severity: Severity; severity_basis: 'cvss' | 'vendor' } {
  return finding.cvss_score !== null ? { severity: severityFromCvss(finding.cvss_score), severity_basis: 'cvss' } : { severity: finding.severity, severity_basis: 'vendor' };
}

/** The vulnerabilities write API for feeds (the integration sync). */
export function createVulnerabilitiesMerge(db: Kysely<PlatformDatabase>) {
  return {
    /**
     * A feed reports every open finding: new ones are created open, ones seen again are updated
     * (a resolved one reopens: it is not fixed; an accepted risk stays accepted until its
     * acceptance expires), and an open or accepted one the feed no longer reports is resolved,
     * its running patch job succeeded (confirmed by the feed). `onReopened` runs in the transaction
     * of each chunk of updates with the findings it reopened, so their audit entries commit with them.
     */
    async mergeFromFeed(
      tenantId: string, feed: { integrationId: string; systemId: string }, findings: NormalizedVulnerability[], now: number,
      onReopened?: (reopened: VulnerabilityChanges['reopened']) => Promise<void>,
    ): Promise<VulnerabilityChanges> {
      const { integrationId, systemId } = feed;
      const byExternal = new Map<string, NormalizedVulnerability>();
      for (const finding of findings) byExternal.set(finding.external_id, finding);
      const existing = new Map<string, VulnerabilityRow>();
      for await (const batch of chunks([...byExternal.keys()], 100)) {
        const rows = await db.selectFrom('vulnerabilities').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('external_id', 'in', batch).execute();
        for (const row of rows) existing.set(row.external_id, row);
      }
      const open = await db.selectFrom('vulnerabilities').select(['id', 'external_id']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId)
        .where('status', 'in', [...OPEN_VULNERABILITY_STATUSES, 'accepted_risk']).execute();
      const inserts: VulnerabilityRow[] = [];
      const updates: { id: string; previousStatus: string; values: Partial<VulnerabilityRow> }[] = [];
      for (const finding of byExternal.values()) {
        const fields = {
          cve: finding.cve.slice(0, 64), title: finding.title.slice(0, 500), ...severityOf(finding), vendor_severity: finding.vendor_severity?.slice(0, 64) ?? null, cvss_score: finding.cvss_score,
          asset: finding.asset.slice(0, 300), package: finding.package?.slice(0, 300) ?? null, version: finding.version?.slice(0, 200) ?? null,
          fixed_version: finding.fixed_version?.slice(0, 200) ?? null,
        };
        const row = existing.get(finding.external_id);
        if (row === undefined) {
          inserts.push({
            id: newId(now), tenant_id: tenantId, integration_id: integrationId, system_id: systemId, external_id: finding.external_id, ...fields,
            status: 'open', first_seen: Math.min(finding.detected_at || now, now), last_seen: now, resolved_at: null, resolved_by: null,
            accepted_by: null, accepted_at: null, acceptance_reason: null, accepted_until: null, created_at: now, updated_at: now,
          });
        } else {
          const expired = row.status === 'accepted_risk' && row.accepted_until !== null && row.accepted_until <= now;
          const reopen = row.status === 'resolved' || expired;
          updates.push({ id: row.id, previousStatus: row.status, values: { ...fields, last_seen: now, ...(reopen ? { status: 'open', resolved_at: null, resolved_by: null } : {}), updated_at: now } });
        }
      }
      const toResolve = open.filter((row) => !byExternal.has(row.external_id)).map((row) => row.id);
      for await (const batch of chunks(inserts)) await db.insertInto('vulnerabilities').values(batch).execute();
      // A reopening is written only over the status it was read with: a person's change made while
      // the merge runs (a risk accepted, a patch started) is not overwritten, and is not reopened.
      const overtaken = new Set<string>();
      const reopens = (update: (typeof updates)[number]) => update.values.status === 'open' && !overtaken.has(update.id);
      for await (const batch of chunks(updates)) {
        await db.transaction().execute(async (trx) => {
          for (const { id, previousStatus, values } of batch) {
            let update = trx.updateTable('vulnerabilities').set(values).where('tenant_id', '=', tenantId).where('id', '=', id);
            if (values.status === 'open') update = update.where('status', '=', previousStatus);
            const { numUpdatedRows } = await update.executeTakeFirst();
            if (values.status === 'open' && numUpdatedRows === 0n) overtaken.add(id);
          }
          const reopenedHere = batch.filter(reopens).map((update) => ({ id: update.id, previous_status: update.previousStatus }));
          if (onReopened !== undefined && reopenedHere.length > 0) await onReopened(reopenedHere);
        });
      }
      for await (const batch of chunks(toResolve)) {
        // Not already resolved: a person's resolution made meanwhile keeps its author.
        await db.updateTable('vulnerabilities').set({ status: 'resolved', resolved_at: now, resolved_by: null, updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', 'in', batch).where('status', '!=', 'resolved').execute();
        // The feed no longer reports it: a running patch job has done its job (completed_by null: confirmed by the feed).
        await db.updateTable('patch_jobs').set({ status: 'succeeded', completed_at: now, completed_by: null, updated_at: now })
          .where('tenant_id', '=', tenantId).where('vulnerability_id', 'in', batch).where('status', 'in', ACTIVE_PATCH_JOB_STATUSES).execute();
      }
      return {
        created: inserts.map((r) => r.id),
        reopened: updates.filter(reopens).map((u) => ({ id: u.id, previous_status: u.previousStatus })),
        resolved: toResolve,
      };
    },
  };
}

export type VulnerabilitiesMerge = ReturnType<typeof createVulnerabilitiesMerge>;
