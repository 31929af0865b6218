package io.finchstream.engine.finch;

import io.finchstream.engine.kernels.Kernels;
import java.util.Arrays;

/**
 * Cuts one call into passes of at most {@code scratch.rows} token rows: each pass takes the next
 * tokens of every state that still has some (a fair share each, at least one), so a call with many
 * conversations batches them and a long prompt is prefilled in chunks. How a call is cut never
 * changes a result (chunk and batch invariance), only memory use and speed.
 */
final class FinchScheduler {

  private final FinchWeights weights;
  private final Kernels kernels;
  private final FinchScratch scratch;

  FinchScheduler(final FinchWeights weights, final Kernels kernels, final FinchScratch scratch) {
    this.weights = weights;
    this.kernels = kernels;
    this.scratch = scratch;
  }

  /** Advances {@code states[i]} by {@code tokens[i]} (already validated). */
  void ingest(final FinchState[] states, final int[][] tokens) {
    final int[] done = new int[states.length];
    final int capacity = scratch.rows;
    final FinchState[] seg = new FinchState[capacity];
    final int[] start = new int[capacity];
    final int[] count = new int[capacity];
    final int[] rowTokens = new int[capacity];
    while (true) {
      int active = 0;
      for (int i = 0; i < states.length; i++) {
        active += done[i] < tokens[i].length ? 1 : 0;
      }
      if (active == 0) {
        return;
      }
      final int share = Math.max(1, capacity / active);
      int segments = 0;
      int rows = 0;
      for (int i = 0; i < states.length && rows < capacity; i++) {
        final int n = Math.min(Math.min(tokens[i].length - done[i], share), capacity - rows);
        if (n <= 0) {
          continue;
        }
        seg[segments] = states[i];
        start[segments] = rows;
        count[segments] = n;
        System.arraycopy(tokens[i], done[i], rowTokens, rows, n);
        done[i] += n;
        rows += n;
        segments++;
      }
      new FinchPass(weights, kernels, scratch, Arrays.copyOf(seg, segments),
          Arrays.copyOf(start, segments), Arrays.copyOf(count, segments)).run(rowTokens);
    }
  }

  /** {@code out[i] = head · LN_out(last_x of states[i])} (§2.1), a batch of rows at a time. */
  void logits(final FinchState[] states, final float[][] out) {
    final FinchConfig config = weights.config();
    final int c = config.dim();
    final int vocab = config.vocabSize();
    for (int p = 0; p < states.length; p += scratch.rows) {
      final int rows = Math.min(scratch.rows, states.length - p);
      for (int i = 0; i < rows; i++) {
        System.arraycopy(states[p + i].last_x, 0, scratch.xx, i * c, c);
      }
      kernels.layerNorm(scratch.xx, scratch.xx, rows, weights.ln_out().weight(), weights.ln_out().bias(),
          FinchConfig.LAYER_NORM_EPS);
      if (rows == 1) {
        kernels.matmul(out[p], 0, vocab, scratch.xx, 0, c, 1, weights.head());
      } else {
        final float[] buffer = scratch.logits(vocab);
        kernels.matmul(buffer, 0, vocab, scratch.xx, 0, c, rows, weights.head());
        for (int i = 0; i < rows; i++) {
          System.arraycopy(buffer, i * vocab, out[p + i], 0, vocab);
        }
      }
    }
  }
}
