import type { Severity } from '../../../security-domain/vocabulary.ts';
import { ProviderError } from '../../vendor-http.ts';
import type { NormalizedVulnerability, ProviderContext } from '../types.ts';
import { get, parseTime, searchHits, str, WazuhSession, type SearchHit } from './client.ts';

export const VULNERABILITIES_PAGE_SIZE = 1000;
/** Above this many findings the feed fails rather than return a partial list (missing = fixed). */
export const MAX_VULNERABILITIES = 100_000;
export const VULNERABILITIES_INDEX = 'wazuh-states-vulnerabilities-*';

/**
 * vulnerability.severity → severity: Critical/High/Medium/Low as themselves; Untriaged → medium
 * (Wazuh's own rule 23504 gives it Medium's level 7); "-" or anything else → from the CVSS base
 * score when there is one, else info.
 */
export function vulnerabilitySeverity(raw: unknown, score: number | null): Severity {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (value === 'critical' || value === 'high' || value === 'medium' || value === 'low') return value;
  if (value === 'untriaged') return 'medium';
  if (score !== null && score > 0) {
    if (score >= 9) return 'critical';
    if (score >= 7) return 'high';
    if (score >= 4) return 'medium';
    return 'low';
  }
  return 'info';
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** "Package less than 3.0.2-0ubuntu1.16" names the first fixed version; other conditions have none. */
export function fixedVersionFrom(condition: unknown): string | null {
  const match = typeof condition === 'string' ? /^Package less than (\S+)\s*$/i.exec(condition.trim()) : null;
  return match?.[1] ?? null;
}

export function vulnerabilityFromHit(hit: SearchHit): NormalizedVulnerability | null {
  const src = hit._source ?? {};
  const cve = str(get(src, 'vulnerability.id'));
  const agentId = str(get(src, 'agent.id'));
  if (!cve || !agentId) return null;
  const pkg = str(get(src, 'package.name')) ?? null;
  const version = str(get(src, 'package.version')) ?? null;
  const rawSeverity = get(src, 'vulnerability.severity');
  const scoreRaw = get(src, 'vulnerability.score.base');
  const scoreNum = typeof scoreRaw === 'number' ? scoreRaw : typeof scoreRaw === 'string' && scoreRaw !== '' ? Number(scoreRaw) : NaN;
  // A 0 score on a finding without severity ("-") means "not scored yet", not CVSS 0.0.
  const unscored = typeof rawSeverity !== 'string' || rawSeverity.trim() === '-' || rawSeverity.trim() === '';
  const score = Number.isFinite(scoreNum) && !(unscored && scoreNum === 0) ? scoreNum : null;
  const description = str(get(src, 'vulnerability.description'));
  const fallbackTitle = `${cve} in ${[pkg, version].filter(Boolean).join(' ') || 'the system'}`;
  return {
    external_id: `${agentId}:${cve}:${pkg ?? ''}`,
    cve,
    title: description ? truncate(description, 200) : fallbackTitle,
    severity: vulnerabilitySeverity(rawSeverity, score),
    vendor_severity: typeof rawSeverity === 'string' && rawSeverity.trim() !== '' ? rawSeverity.trim() : null,
    cvss_score: score,
    asset: str(get(src, 'agent.name')) ?? agentId,
    package: pkg,
    version,
    fixed_version: str(get(src, 'vulnerability.fixed_version')) ?? str(get(src, 'package.fixed_version')) ?? fixedVersionFrom(get(src, 'vulnerability.scanner.condition')),
    detected_at: parseTime(get(src, 'vulnerability.detected_at')) ?? parseTime(get(src, 'vulnerability.published_at')) ?? Date.now(),
  };
}

export async function fetchVulnerabilities(ctx: ProviderContext): Promise<NormalizedVulnerability[]> {
  const session = new WazuhSession(ctx);
  const findings = new Map<string, NormalizedVulnerability>();
  let searchAfter: unknown[] | undefined;
  const maxPages = Math.ceil(MAX_VULNERABILITIES / VULNERABILITIES_PAGE_SIZE);
  for (let page = 0; page < maxPages; page++) {
    const res = await session.indexer({
      method: 'POST',
      path: `/${VULNERABILITIES_INDEX}/_search`,
      body: {
        size: VULNERABILITIES_PAGE_SIZE,
        track_total_hits: page === 0,
        // Ties on all four keys are the same finding (same external_id): search_after skipping them loses nothing.
        sort: ['agent.id', 'vulnerability.id', 'package.name', 'package.version'].map((field) => ({ [field]: { order: 'asc', missing: '_last', unmapped_type: 'keyword' } })),
        query: { match_all: {} },
        _source: [
          'agent.id', 'agent.name', 'package.name', 'package.version', 'package.fixed_version',
          'vulnerability.id', 'vulnerability.severity', 'vulnerability.score.base', 'vulnerability.description',
          'vulnerability.detected_at', 'vulnerability.published_at', 'vulnerability.scanner.condition', 'vulnerability.fixed_version',
        ],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      },
    });
    const { hits, total } = searchHits(res, VULNERABILITIES_INDEX);
    if (page === 0 && total !== null && total > MAX_VULNERABILITIES) {
      // A partial list would make the rest look fixed: fail loudly instead.
      throw new ProviderError('vendor_error', `Wazuh indexer holds ${total} vulnerability findings, more than the ${MAX_VULNERABILITIES} Sentinel reads in one sync`);
    }
    for (const hit of hits) {
      const finding = vulnerabilityFromHit(hit);
      if (finding && !findings.has(finding.external_id)) findings.set(finding.external_id, finding);
    }
    const last = hits[hits.length - 1];
    if (hits.length < VULNERABILITIES_PAGE_SIZE || !last || !Array.isArray(last.sort)) return [...findings.values()];
    searchAfter = last.sort;
  }
  throw new ProviderError('vendor_error', `Wazuh indexer: more than ${MAX_VULNERABILITIES} vulnerability findings; refusing to return a partial list`);
}
