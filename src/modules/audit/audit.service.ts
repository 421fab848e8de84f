import type { FastifyRequest } from 'fastify';
import { newId, toIso } from '../../platform/ids.ts';
import type { AuditRow, NewAuditRow } from './audit.tables.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import type { AuditEntry, AuditOutcome, RequestAuditEntry } from '../../platform/audit-sink.ts';
import { toStorableText } from '../../platform/text.ts';
import type { ListAuditInput } from './audit.schemas.ts';
import type { AuditFilter, AuditRepo } from './audit.repo.ts';

/** Read entries wait at most this long, or until this many are queued, before being written together. */
const READ_FLUSH_MS = 50;
const READ_FLUSH_ROWS = 200;

const storable = (text: string | null | undefined) => (text == null ? null : toStorableText(text));

export function createAuditService(repo: AuditRepo) {
  function toRow(entry: AuditEntry): NewAuditRow {
    const now = Date.now();
    return {
      id: newId(now),
      tenant_id: entry.tenantId ?? null,
      actor_id: entry.actorId ?? null,
      // What a client sent is recorded even when refused, so it may hold text no database stores.
      actor_username: storable(entry.actorUsername),
      action: entry.action,
      resource_type: entry.resourceType ?? null,
      // Taken from the path even when it failed validation.
      resource_id: storable(entry.resourceId),
      outcome: entry.outcome,
      ip: entry.ip ?? null,
      user_agent: storable(entry.userAgent?.slice(0, 512)),
      request_id: entry.requestId ?? null,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      created_at: now,
      updated_at: now,
    };
  }

  async function record(entry: AuditEntry): Promise<void> {
    await repo.insert(toRow(entry));
  }

  /** Each entry its own row, written in a few multi-row inserts instead of one insert per entry. */
  async function recordMany(entries: AuditEntry[]): Promise<void> {
    await repo.insertMany(entries.map(toRow));
  }

  /*
   * Reads are audited too (docs/requirements.md, SEC-11), but an fsync'd insert per GET would dominate the cost of a
   * read. Read entries are queued and written in batches; writes, logins and denials are written
   * before their response leaves.
   */
  let readQueue: NewAuditRow[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function flushReads(): Promise<void> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const rows = readQueue;
    readQueue = [];
    flushing = flushing.then(() => repo.insertMany(rows)).catch((error: unknown) => {
      // The API answered already; keep the process up and say what was lost.
      console.error(`audit: ${rows.length} read entries could not be written`, error);
    });
    return flushing;
  }

  function fromRequestEntry(request: FastifyRequest, entry: RequestAuditEntry): AuditEntry {
    const principal = request.principal;
    return {
      tenantId: principal?.tenantId ?? null,
      actorId: principal?.userId ?? null,
      actorUsername: principal?.username ?? null,
      ...entry,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      requestId: request.id,
    };
  }

  return {
    record,

    /** Records an entry with the actor, tenant, IP, user agent and request id taken from the request. */
    fromRequest: (request: FastifyRequest, entry: RequestAuditEntry) => record(fromRequestEntry(request, entry)),

    recordMany,

    manyFromRequest: (request: FastifyRequest, entries: RequestAuditEntry[]) => recordMany(entries.map((entry) => fromRequestEntry(request, entry))),

    /** Queues the audit entry of a read; it is written within READ_FLUSH_MS. */
    readFromRequest(request: FastifyRequest, entry: RequestAuditEntry): void {
      readQueue.push(toRow(fromRequestEntry(request, entry)));
      if (readQueue.length >= READ_FLUSH_ROWS) void flushReads();
      else flushTimer ??= setTimeout(() => void flushReads(), READ_FLUSH_MS);
    },

    /** Writes queued read entries now (at shutdown, and before answering an audit query). */
    flushReads,

    /** One page of the audit log: one tenant's entries, or (SUPER_ADMIN naming none) every tenant's. */
    async listPage(tenantId: string | undefined, q: ListAuditInput) {
      await flushReads();
      const fromMs = q.from === undefined ? undefined : Date.parse(q.from);
      const toMs = q.to === undefined ? undefined : Date.parse(q.to);
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw badRequest(say('from must not be after to', 'from no debe ser posterior a to'), [{ field: 'from', message: 'is after to', code: 'not_after', params: { other: 'to' } }]);
      const limit = q.limit ?? 50;
      const filter: AuditFilter = {
        tenantId,
        limit,
        ...(q.actor_id !== undefined ? { actorId: q.actor_id } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.resource_type !== undefined ? { resourceType: q.resource_type } : {}),
        ...(q.resource_id !== undefined ? { resourceId: q.resource_id } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(q.cursor !== undefined ? { beforeId: decodeCursor(q.cursor) } : {}),
      };
      return toPage(await repo.list(filter), limit, auditView);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

export function auditView(row: AuditRow) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    actor_id: row.actor_id,
    actor_username: row.actor_username,
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    outcome: row.outcome as AuditOutcome,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    created_at: toIso(row.created_at),
  };
}
