package io.finchstream.engine.finch;

import io.finchstream.engine.kernels.Kernels;
import java.util.Arrays;

/**
 * Cuts one call into passes of at most {@code scratch.rows} token rows ({@link RowBatcher}) and
 * computes logits from the states' last residual vectors.
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
    final int[] lengths = new int[states.length];
    for (int i = 0; i < states.length; i++) {
      lengths[i] = tokens[i].length;
    }
    final int[] rowTokens = new int[scratch.rows];
    RowBatcher.run(lengths, scratch.rows, (item, from, start, count, segments, rows) -> {
      final FinchState[] seg = new FinchState[segments];
      for (int g = 0; g < segments; g++) {
        seg[g] = states[item[g]];
        System.arraycopy(tokens[item[g]], from[g], rowTokens, start[g], count[g]);
      }
      new FinchPass(weights, kernels, scratch, seg, Arrays.copyOf(start, segments),
          Arrays.copyOf(count, segments)).run(rowTokens);
    });
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
