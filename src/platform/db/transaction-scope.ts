import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';

/**
 * A database handle whose queries join the transaction open in the current async context.
 *
 * Why: a write and its audit entry must commit together (docs/requirements.md#platform-core-plt,
 * PLT-7), yet they are made by different modules' repositories, each built once on the database
 * handle. Through this handle, every query made while `run()` (or `handle.transaction()`) is in
 * progress goes to that transaction, so a route's write, the audit row the platform adds and any
 * other module's write in between are one unit, with no transaction object threaded through every
 * call. On SQLite (one connection behind a mutex) this is also what keeps a query made inside a
 * transaction from waiting forever for the connection that transaction holds.
 */
export interface TransactionScope<DB> {
  /** The handle to build repositories on. */
  readonly db: Kysely<DB>;
  /** Runs `work` in one transaction; a nested call joins the outer transaction. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Whether a transaction is open in the current async context. */
  inTransaction(): boolean;
  /**
   * Runs `effect` once the transaction open in this async context has committed (dropped if it
   * rolls back), or at once outside a transaction. Why: a live event announcing a write must not
   * reach a client before the write is visible, nor announce one that was rolled back.
   */
  afterCommit(effect: () => void): void;
}

interface OpenTransaction<DB> {
  trx: Transaction<DB>;
  /** False once committed or rolled back: a timer started inside must not reuse the ended transaction. */
  open: boolean;
  /** What runs once the transaction has committed. */
  committed: Array<() => void>;
}

export function createTransactionScope<DB>(raw: Kysely<DB>): TransactionScope<DB> {
  const current = new AsyncLocalStorage<OpenTransaction<DB>>();
  const active = (): Transaction<DB> | undefined => {
    const store = current.getStore();
    return store?.open === true ? store.trx : undefined;
  };

  async function run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const outer = active();
    if (outer !== undefined) return work(outer);
    const committed: Array<() => void> = [];
    const result = await raw.transaction().execute(async (trx) => {
      const store: OpenTransaction<DB> = { trx, open: true, committed };
      try {
        return await current.run(store, () => work(trx));
      } finally {
        store.open = false;
      }
    });
    runAll(committed);
    return result;
  }

  function afterCommit(effect: () => void): void {
    const store = current.getStore();
    if (store?.open === true) store.committed.push(effect);
    else effect();
  }

  // `transaction()` on the handle goes through `run`, so repositories that open their own
  // transaction join an outer one instead of waiting for (or nesting in) it.
  const transactionBuilder = () => ({ execute: run });
  const db = new Proxy(raw, {
    get(target, property) {
      if (property === 'transaction') return transactionBuilder;
      const executor = active() ?? target;
      const value: unknown = Reflect.get(executor, property, executor);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(executor) : value;
    },
  });
  return { db, run, inTransaction: () => active() !== undefined, afterCommit };
}

/** Runs every effect even when one throws (the write is committed either way); rethrows the first error. */
function runAll(effects: Array<() => void>): void {
  let failure: { error: unknown } | undefined;
  for (const effect of effects) {
    try {
      effect();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}
