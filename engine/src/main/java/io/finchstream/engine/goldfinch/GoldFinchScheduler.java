package io.finchstream.engine.goldfinch;

import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Head;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.RowBatcher;
import java.util.Arrays;

/**
 * Cuts one call into passes of at most {@code scratch.rows} token rows ({@link RowBatcher}), as
 * Finch's scheduler does: ingest runs {@link FinchC2Pass}es; logits first bring the GOLD part of
 * each state up to date ({@link GoldPass}es over the window, §5.2–5.3, after rebuilding a dropped
 * or restored cache's keys and values with {@link CacheWriter#rebuild}) and then apply the head.
 */
final class GoldFinchScheduler {

  private final GoldFinchWeights weights;
  private final Kernels kernels;
  private final AttentionKernels attention;
  private final CacheWriter cacheWriter;
  private final GoldFinchScratch scratch;

  GoldFinchScheduler(
      final GoldFinchWeights weights,
      final Kernels kernels,
      final AttentionKernels attention,
      final CacheWriter cacheWriter,
      final GoldFinchScratch scratch) {
    this.weights = weights;
    this.kernels = kernels;
    this.attention = attention;
    this.cacheWriter = cacheWriter;
    this.scratch = scratch;
  }

  /** Advances {@code states[i]} by {@code tokens[i]} (already validated): streaming prefill. */
  void ingest(final GoldFinchState[] states, final int[][] tokens) {
    final int[] lengths = new int[states.length];
    for (int i = 0; i < states.length; i++) {
      lengths[i] = tokens[i].length;
    }
    final int[] rowTokens = new int[scratch.rows];
    RowBatcher.run(
        lengths,
        scratch.rows,
        (item, from, start, count, segments, rows) -> {
          for (int g = 0; g < segments; g++) {
            System.arraycopy(tokens[item[g]], from[g], rowTokens, start[g], count[g]);
          }
          new FinchC2Pass(
                  weights,
                  kernels,
                  cacheWriter,
                  scratch,
                  segments(states, item, start, count, segments, rows))
              .run(rowTokens);
        });
  }

  /**
   * {@code out[i]}: the next-token logits of {@code states[i]}, its GOLD part brought up to date.
   */
  void logits(final GoldFinchState[] states, final float[][] out) {
    catchUp(states);
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

  /**
   * Brings the GOLD part of every state up to its position (§5.2–5.3). A state whose GOLD part lags
   * by more than the window W = 2G restarts it W tokens before the end: GOLD shift vectors zeroed,
   * the first block's query shift seeded with LN1(hF) of the token before the window.
   */
  private void catchUp(final GoldFinchState[] states) {
    for (final GoldFinchState state : states) {
      if (!state.cache.hasDerived() && state.position > state.goldPosition) {
        cacheWriter.rebuild(state.cache, scratch); // attention reads every key and value
      }
    }
    final GoldFinchConfig config = weights.config();
    final int window = config.window();
    final int c = config.dim();
    final int[] rows = new int[states.length];
    for (int i = 0; i < states.length; i++) {
      final GoldFinchState state = states[i];
      final long start = Math.max(state.goldPosition, state.position - window);
      if (start > state.goldPosition) {
        for (int l = 0; l < config.goldLayers(); l++) {
          Arrays.fill(state.gold_att_x[l], 0f);
          Arrays.fill(state.gold_ffn_x[l], 0f);
        }
        final Norm ln1 = weights.gold().get(0).ln1();
        System.arraycopy(state.boundary(start - 1), 0, scratch.xx, 0, c);
        kernels.layerNorm(
            state.gold_att_x[0], scratch.xx, 1, ln1.weight(), ln1.bias(), Norm.LAYER_NORM_EPS);
        state.goldPosition = start;
      }
      rows[i] = (int) (state.position - state.goldPosition);
    }
    RowBatcher.run(
        rows,
        scratch.rows,
        (item, from, start, count, segments, total) ->
            new GoldPass(
                    weights,
                    kernels,
                    attention,
                    scratch,
                    segments(states, item, start, count, segments, total))
                .run());
  }

  private static Segments segments(
      final GoldFinchState[] states,
      final int[] item,
      final int[] start,
      final int[] count,
      final int segments,
      final int rows) {
    final GoldFinchState[] seg = new GoldFinchState[segments];
    for (int g = 0; g < segments; g++) {
      seg[g] = states[item[g]];
    }
    return new Segments(seg, Arrays.copyOf(start, segments), Arrays.copyOf(count, segments), rows);
  }
}
