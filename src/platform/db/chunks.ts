/**
 * Rows per statement/transaction for bulk writes. SQLite calls run on the event loop, so a large
 * write goes in small chunks and yields between them: API requests are served in the gaps instead
 * of waiting for the whole write.
 */
const WRITE_CHUNK = 50;

/** Splits items into chunks, handing the event loop back before each one after the first. */
export async function* chunks<T>(items: T[], size = WRITE_CHUNK): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) {
    // A timer (not setImmediate) so that the loop's poll phase runs too: waiting requests go first.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    yield items.slice(i, i + size);
  }
}

/**
 * Splits rows for multi-row statements: chunks of `size`, and the rest in chunks whose sizes are
 * powers of two. A statement's text depends on its row count and the connection keeps a prepared
 * statement per text, so arbitrary counts (the rollup cells of each batch) would keep hundreds of
 * large statements (tens of MiB during an ingest); this way a dozen shapes are kept per statement.
 */
export function* statementChunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length;) {
    const left = items.length - i;
    const count = left >= size ? size : 2 ** Math.floor(Math.log2(left));
    yield items.slice(i, i + count);
    i += count;
  }
}
