/**
 * The record of widget and dashboard data queries (who, what, params, how long, how many rows,
 * whether the metadata cache answered). Rows are written in batches after the answers: an fsync'd
 * insert per dashboard read would cost more than the read, and on SQLite the sync holds the event
 * loop (a few ms, more on a busy disk) for whichever request comes next, so at most once a second.
 */
import type { UserQueriesTable } from './widgets.tables.ts';

const FLUSH_AFTER_MS = 1_000;
const FLUSH_AT_ROWS = 200;

export interface UserQueryLog {
  record(row: UserQueriesTable): void;
  /** Writes what is queued (before a read of the log, and on shutdown). */
  flush(): Promise<void>;
}

export function createUserQueryLog(write: (rows: UserQueriesTable[]) => Promise<void>, onError: (error: unknown) => void): UserQueryLog {
  let queue: UserQueriesTable[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const rows = queue;
    queue = [];
    // One batch at a time, in order; a failed batch is reported and dropped (the answers already left).
    writing = writing.then(() => (rows.length === 0 ? undefined : write(rows).catch(onError)));
    return writing;
  }

  return {
    record(row) {
      queue.push(row);
      if (queue.length >= FLUSH_AT_ROWS) void flush();
      else timer ??= setTimeout(() => void flush(), FLUSH_AFTER_MS).unref();
    },
    flush,
  };
}
