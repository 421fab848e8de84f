import type { FastifyRequest } from 'fastify';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEntry {
  action: string;
  outcome: AuditOutcome;
  tenantId?: string | null;
  actorId?: string | null;
  actorUsername?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** An entry about a request: the actor, IP, user agent and request id come from the request. */
export type RequestAuditEntry = Omit<AuditEntry, 'ip' | 'userAgent' | 'requestId'>;

/** Where platform code (the guard, the first start) writes audit entries; the audit module implements it. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
  fromRequest(request: FastifyRequest, entry: RequestAuditEntry): Promise<void>;
  /** Many entries written together (a few multi-row inserts): one per alert of a bulk action, say. */
  recordMany(entries: AuditEntry[]): Promise<void>;
  /** `recordMany` with the actor, IP, user agent and request id of the request. */
  manyFromRequest(request: FastifyRequest, entries: RequestAuditEntry[]): Promise<void>;
  /** Reads are queued and written in batches. */
  readFromRequest(request: FastifyRequest, entry: RequestAuditEntry): void;
}
