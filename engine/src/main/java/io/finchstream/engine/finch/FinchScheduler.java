package io.finchstream.engine.finch;

import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Head;
import io.finchstream.engine.rwkv.RowBatcher;
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
    RowBatcher.run(
        lengths,
        scratch.rows,
        (item, from, start, count, segments, rows) -> {
          final FinchState[] seg = new FinchState[segments];
          for (int g = 0; g < segments; g++) {
            seg[g] = states[item[g]];
            System.arraycopy(tokens[item[g]], from[g], rowTokens, start[g], count[g]);
          }
          new FinchPass(
                  weights,
                  kernels,
                  scratch,
                  seg,
                  Arrays.copyOf(start, segments),
                  Arrays.copyOf(count, segments))
              .run(rowTokens);
        });
  }

  /** {@code out[i] = head · LN_out(last_x of states[i])} (§2.1), a batch of rows at a time. */
  void logits(final FinchState[] states, final float[][] out) {
    final float[][] lastX = new float[states.length][];
    for (int i = 0; i < states.length; i++) {
      lastX[i] = states[i].last_x;
    }
    Head.logits(
        kernels,
        weights.ln_out(),
        weights.head(),
        lastX,
        out,
        scratch.rows,
        scratch.xx,
        scratch::logits);
  }
}
