import type { Kysely } from 'kysely';
import { statementChunks } from '../../platform/db/chunks.ts';
import type { PlatformDatabase } from '../../platform/db/schema.ts';
import type { NewAuditRow } from './audit.tables.ts';

/** Rows per INSERT: 1,400 parameters, within every dialect's limit, and few statement shapes (see statementChunks). */
const INSERT_ROWS = 100;

export interface AuditFilter {
  /** undefined = every tenant (SUPER_ADMIN only). */
  tenantId: string | undefined;
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  fromMs?: number;
  toMs?: number;
  beforeId?: string;
  limit: number;
}

export function createAuditRepo(db: Kysely<PlatformDatabase>) {
  return {
    async insert(row: NewAuditRow): Promise<void> {
      await db.insertInto('audit_logs').values(row).execute();
    },

    /** Many entries in a few multi-row statements; the caller's transaction (if any) makes them one fsync. */
    async insertMany(rows: NewAuditRow[]): Promise<void> {
      for (const slice of statementChunks(rows, INSERT_ROWS)) await db.insertInto('audit_logs').values(slice).execute();
    },

    list(filter: AuditFilter) {
      let query = db.selectFrom('audit_logs').selectAll();
      if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.resourceType !== undefined) query = query.where('resource_type', '=', filter.resourceType);
      if (filter.resourceId !== undefined) query = query.where('resource_id', '=', filter.resourceId);
      if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
      if (filter.fromMs !== undefined) query = query.where('created_at', '>=', filter.fromMs);
      if (filter.toMs !== undefined) query = query.where('created_at', '<', filter.toMs);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
