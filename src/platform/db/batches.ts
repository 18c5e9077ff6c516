// Work on many rows done a batch at a time, each batch one short statement, so that no transaction holds
// SQLite's one write lock (or PostgreSQL's row locks) for long however much is due: after an outage, a
// restore, or the first run of a new retention.

/** Rows changed by one statement: a fraction of a second each, however large the backlog. */
export const BATCH_ROWS = 1000;

/**
 * Runs `step` (one statement over at most `batch` rows, returning how many it changed) until a step
 * changes fewer than `batch`: the total. Each step must leave the rows it changed out of the next (they
 * are deleted, or no longer match). When `signal` is aborted, stops after the step in hand by throwing
 * its reason.
 */
export async function inBatches(
  batch: number,
  step: () => Promise<number>,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await step();
    total += count;
    if (count < batch) return total;
    signal?.throwIfAborted();
  }
}
