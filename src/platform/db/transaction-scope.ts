import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';

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
  /**
   * Runs `work` in a savepoint of the open transaction (in a transaction of its own outside one): if
   * it fails, its writes are rolled back alone and the effects it registered with `afterCommit` are
   * dropped, then the error is rethrown. Why: one failing part of a transaction (a batch of a group
   * commit) must neither be written nor announced, while the rest commits.
   */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

interface OpenTransaction<DB> {
  trx: Transaction<DB>;
  /** False once committed or rolled back: a timer started inside must not reuse the ended transaction. */
  open: boolean;
}

/** The transaction open in an async context, and where that context's after-commit effects go. */
interface Context<DB> {
  transaction: OpenTransaction<DB>;
  /** What runs once the transaction has committed (a savepoint's list is merged into its parent's on release). */
  committed: Array<() => void>;
  /** Savepoints open around this context, for unique names. */
  depth: number;
}

export function createTransactionScope<DB>(raw: Kysely<DB>): TransactionScope<DB> {
  const current = new AsyncLocalStorage<Context<DB>>();
  const open = (): Context<DB> | undefined => {
    const store = current.getStore();
    return store?.transaction.open === true ? store : undefined;
  };
  const active = (): Transaction<DB> | undefined => open()?.transaction.trx;

  async function run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const outer = active();
    if (outer !== undefined) return work(outer);
    const committed: Array<() => void> = [];
    const result = await raw.transaction().execute(async (trx) => {
      const transaction: OpenTransaction<DB> = { trx, open: true };
      try {
        return await current.run({ transaction, committed, depth: 0 }, () => work(trx));
      } finally {
        transaction.open = false;
      }
    });
    runAll(committed);
    return result;
  }

  function afterCommit(effect: () => void): void {
    const store = open();
    if (store !== undefined) store.committed.push(effect);
    else effect();
  }

  async function savepoint<T>(work: () => Promise<T>): Promise<T> {
    const parent = open();
    if (parent === undefined) return run(() => work());
    const { trx } = parent.transaction;
    const name = `sentinel_sp_${parent.depth + 1}`;
    const inner: Context<DB> = { transaction: parent.transaction, committed: [], depth: parent.depth + 1 };
    await trx.executeQuery(CompiledQuery.raw(`SAVEPOINT ${name}`));
    let result: T;
    try {
      result = await current.run(inner, work);
    } catch (error) {
      // Effects registered later from inside (a timer) are dropped too.
      inner.committed = [];
      await trx.executeQuery(CompiledQuery.raw(`ROLLBACK TO SAVEPOINT ${name}`));
      await trx.executeQuery(CompiledQuery.raw(`RELEASE SAVEPOINT ${name}`));
      throw error;
    }
    await trx.executeQuery(CompiledQuery.raw(`RELEASE SAVEPOINT ${name}`));
    parent.committed.push(...inner.committed);
    // Effects registered later from inside now belong to the parent.
    inner.committed = parent.committed;
    return result;
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
  return { db, run, inTransaction: () => active() !== undefined, afterCommit, savepoint };
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
