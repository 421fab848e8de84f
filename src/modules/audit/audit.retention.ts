import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import type { RetentionPolicy } from '../../platform/jobs/retention.ts';

const DAY_MS = 24 * 60 * 60_000;
const CHUNK = 1000;

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    /** The bound below which the retention job may delete audit entries, set only inside its transaction. */
    audit_retention_gate: { before: number };
  }
}

/**
 * Audit entries are kept forever unless `SENTINEL_AUDIT_RETENTION_DAYS` is set; then those older
 * than it are deleted, in chunks, each in a transaction that opens the append-only gate for itself.
 */
export function auditRetention(context: { db: Db; config: Pick<Config, 'auditRetentionDays'> }): RetentionPolicy {
  return {
    name: 'audit.entries',
    async purge({ now, tenantId }) {
      const days = context.config.auditRetentionDays;
      if (days === undefined) return 0;
      const before = now - days * DAY_MS;
      // Ids are time-ordered (UUIDv7): the bound keeps each chunk on the primary key.
      const bound = `${newId(before).slice(0, 13)}-0000-0000-000000000000`;
      let removed = 0;
      for (;;) {
        const deleted = await context.db.transaction(async (trx) => {
          let chunk = trx.selectFrom('audit_logs').select('id').where('id', '<', bound).where('created_at', '<', before);
          if (tenantId !== undefined) chunk = chunk.where('tenant_id', '=', tenantId);
          const ids = (await chunk.limit(CHUNK).execute()).map((row) => row.id);
          if (ids.length === 0) return 0;
          await trx.insertInto('audit_retention_gate').values({ before }).execute();
          const { numDeletedRows } = await trx.deleteFrom('audit_logs').where('id', 'in', ids).executeTakeFirst();
          await trx.deleteFrom('audit_retention_gate').execute();
          return Number(numDeletedRows);
        });
        removed += deleted;
        if (deleted === 0) return removed;
      }
    },
  };
}
