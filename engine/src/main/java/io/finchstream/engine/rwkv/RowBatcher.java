package io.finchstream.engine.rwkv;

/**
 * Cuts the rows of several conversations into passes of at most {@code capacity} rows: each pass
 * takes the next rows of every conversation that still has some (a fair share each, at least one),
 * so a call with many conversations batches them and a long prompt is processed in chunks. A
 * conversation's rows stay in order across passes. How a call is cut never changes a result (the
 * models are chunk- and batch-invariant), only memory use and speed. Shared by Finch and GoldFinch.
 */
public final class RowBatcher {

  private RowBatcher() {}

  /**
   * One pass: {@code segments} conversations, in rows {@code [rowStart[g], rowStart[g] +
   * rowCount[g])}.
   */
  @FunctionalInterface
  public interface Pass {
    /**
     * Runs the model over the rows of this pass.
     *
     * @param item index of segment g's conversation in the call
     * @param from index of its first row here among that conversation's rows
     * @param rowStart first row of segment g in this pass
     * @param rowCount rows of segment g in this pass
     * @param segments number of segments (the arrays may be longer)
     * @param rows total rows of this pass
     */
    void run(int[] item, int[] from, int[] rowStart, int[] rowCount, int segments, int rows);
  }

  /** Runs passes until every conversation {@code i} has had its {@code rows[i]} rows. */
  public static void run(final int[] rows, final int capacity, final Pass pass) {
    final int[] done = new int[rows.length];
    final int[] item = new int[capacity];
    final int[] from = new int[capacity];
    final int[] start = new int[capacity];
    final int[] count = new int[capacity];
    while (true) {
      int active = 0;
      for (int i = 0; i < rows.length; i++) {
        active += done[i] < rows[i] ? 1 : 0;
      }
      if (active == 0) {
        return;
      }
      final int share = Math.max(1, capacity / active);
      int segments = 0;
      int used = 0;
      for (int i = 0; i < rows.length && used < capacity; i++) {
        final int n = Math.min(Math.min(rows[i] - done[i], share), capacity - used);
        if (n <= 0) {
          continue;
        }
        item[segments] = i;
        from[segments] = done[i];
        start[segments] = used;
        count[segments] = n;
        done[i] += n;
        used += n;
        segments++;
      }
      pass.run(item, from, start, count, segments, used);
    }
  }
}
