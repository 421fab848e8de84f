import type * as Pg from 'pg';

/** Prepared statements kept per connection unless SENTINEL_PG_STATEMENT_CACHE says otherwise. */
export const DEFAULT_STATEMENTS_PER_CONNECTION = 256;
/** Texts longer than this run unnamed (long IN lists: rarely the same twice). */
const MAX_NAMED_TEXT_LENGTH = 4_096;
/** Distinct statement texts named in this process; later new texts run unnamed. */
const MAX_NAMED_TEXTS = 4_096;
/** SQLSTATE 0A000 with this message: a table under a prepared statement changed its columns (another node's migration). */
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

interface ClientState {
  prepared: number;
  inTransaction: boolean;
  /** Off after a statement of this connection went stale: it runs unnamed until the pool closes it. */
  naming: boolean;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Named prepared statements for the platform database's PostgreSQL connections. node-postgres
 * sends every Kysely query unnamed, so PostgreSQL parses and plans it at every execution, and
 * planning a hot read costs more than running it (bench/README.md). A parameterised query whose text
 * was seen before is sent under a name: each connection parses it once, and PostgreSQL may keep a
 * generic plan for it. At most `perConnection` statements are prepared per connection (they live
 * until the pool closes it, after 30 s idle); 0 turns this off (e.g. behind a pooler that does not
 * support prepared statements).
 *
 * A migration run by another node that changes a table's columns makes PostgreSQL refuse the
 * statements prepared on it ("cached plan must not change result type"): that connection stops
 * naming statements, and a query outside a transaction is sent again unnamed; one inside a
 * transaction fails with the transaction, as any other error would.
 */
export function cachePgStatements(pool: Pg.Pool, perConnection: number): void {
  if (perConnection <= 0) return;
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && text.length <= MAX_NAMED_TEXT_LENGTH && names.size < MAX_NAMED_TEXTS) {
      name = `sentinel_${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  pool.on('connect', (client) => {
    const state: ClientState = { prepared: 0, inTransaction: false, naming: true };
    const send = client.query.bind(client) as Query;
    const parsed = (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
    (client as unknown as { query: Query }).query = (config, values, callback) => {
      if (typeof config !== 'string' || !Array.isArray(values) || typeof callback === 'function') return send(config, values, callback);
      trackTransaction(state, config);
      if (values.length === 0 || !state.naming) return send(config, values);
      const name = nameOf(config);
      if (name === undefined || (parsed[name] === undefined && state.prepared >= perConnection)) return send(config, values);
      if (parsed[name] === undefined) state.prepared += 1;
      const named = send({ name, text: config, values }) as Promise<unknown>;
      return named.catch((error: unknown) => {
        if (!(error instanceof Error) || !RESULT_TYPE_CHANGED.test(error.message)) throw error;
        state.naming = false;
        if (state.inTransaction) throw error;
        return send(config, values);
      });
    };
  });
}

function trackTransaction(state: ClientState, text: string): void {
  if (/^\s*(begin|start transaction)\b/i.test(text)) state.inTransaction = true;
  else if (/^\s*(commit|rollback)\s*$/i.test(text)) state.inTransaction = false;
}
