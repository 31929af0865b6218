package io.finchstream.engine.goldfinch;

import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.goldfinch.GoldFinchBlocks.GoldBlock;
import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TokenShift;

/**
 * The GOLD stack (goldfinch-math §4.2, §2.3) over rows of several conversations, each segment a run
 * of consecutive positions whose hF is in the state's boundary window. Each GOLD block: query with
 * the data-dependent token shift and ln_q, causal softmax attention over the cache up to and
 * including the row's own position (keys and values were materialized on append), ln_x and the
 * output projection; then the Finch channel mix. Every projection is one matmul over all rows; the
 * token shifts run per conversation with the state's GOLD shift vectors, which the pass advances.
 * The last row's residual becomes the state's {@code last_x}.
 */
final class GoldPass {

  private final GoldFinchWeights weights;
  private final Kernels kernels;
  private final AttentionKernels attention;
  private final GoldFinchScratch s;
  private final Segments seg;
  private final int c;

  GoldPass(
      final GoldFinchWeights weights,
      final Kernels kernels,
      final AttentionKernels attention,
      final GoldFinchScratch scratch,
      final Segments segments) {
    this.weights = weights;
    this.kernels = kernels;
    this.attention = attention;
    this.s = scratch;
    this.seg = segments;
    this.c = weights.config().dim();
  }

  /**
   * Runs the rows of every segment g: the positions of {@code states[g]} from its {@code
   * goldPosition} on (its GOLD shift vectors describe the position before), and advances it.
   */
  void run() {
    final long[] first = new long[seg.count()];
    for (int g = 0; g < seg.count(); g++) {
      final GoldFinchState state = seg.states()[g];
      first[g] = state.goldPosition;
      for (int i = 0; i < seg.rowCount()[g]; i++) {
        final int t = seg.rowStart()[g] + i;
        s.positions[t] = first[g] + i;
        System.arraycopy(state.boundary(first[g] + i), 0, s.x, t * c, c);
      }
    }
    for (int l = 0; l < weights.gold().size(); l++) {
      final GoldBlock block = weights.gold().get(l);
      attend(l, block);
      channelMix(l, block);
    }
    for (int g = 0; g < seg.count(); g++) {
      final GoldFinchState state = seg.states()[g];
      System.arraycopy(s.x, seg.lastRow(g) * c, state.last_x, 0, c);
      state.goldPosition = first[g] + seg.rowCount()[g];
    }
  }

  // h += W_O · LN(softmax attention(q, k^l, v^l); ln_x), §4.2
  private void attend(final int l, final GoldBlock block) {
    final GoldTimeMix att = block.att();
    final GoldFinchConfig config = weights.config();
    final int rows = seg.rows();
    final int dQ = config.queryRank();
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln1().weight(), block.ln1().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < seg.count(); g++) {
      TokenShift.apply(
          kernels,
          s.sx,
          s.xx,
          seg.states()[g].gold_att_x[l],
          seg.rowStart()[g],
          seg.rowCount()[g],
          c);
    }
    // mq = tanh((x + δ ⊙ μ_x) · Qa) · Qb; xq = x + δ ⊙ (μ_q + mq); q = LN(W_Q xq; ln_q)
    kernels.lerp(s.xxx, s.xx, s.sx, att.time_maa_x(), rows);
    kernels.matmul(s.h, 0, dQ, s.xxx, 0, c, rows, att.time_maa_q_w1());
    kernels.tanh(s.h, rows * dQ);
    kernels.matmul(s.m, 0, c, s.h, 0, dQ, rows, att.time_maa_q_w2());
    kernels.ddlerp(s.mixed[0], s.xx, s.sx, att.time_maa_q(), s.m, 0, c, rows);
    kernels.matmul(s.r, 0, c, s.mixed[0], 0, c, rows, att.query());
    kernels.layerNorm(s.r, s.r, rows, att.ln_q().weight(), att.ln_q().bias(), Norm.LAYER_NORM_EPS);
    if (config.ropeTheta() != 0) {
      attention.rope(s.r, rows, c, s.positions, config.headSize(), config.ropeTheta());
    }
    // o_h = Σ_{s ≤ p} softmax_s(q_h · k_{s,h} / √N) v_{s,h}
    final int[] count = new int[rows];
    for (int t = 0; t < rows; t++) {
      count[t] = Math.toIntExact(s.positions[t] + 1);
    }
    final int n = config.headSize();
    final float scale = (float) (1.0 / Math.sqrt(n));
    final int chunk = seg.states()[0].cache.blockSize();
    if (seg.states()[0].cache.precision() == StatePrecision.BF16) {
      final short[][][] keys = new short[rows][][];
      final short[][][] values = new short[rows][][];
      for (int g = 0; g < seg.count(); g++) {
        final GoldCache cache = seg.states()[g].cache;
        final short[][] k = cache.keyChunksBf16(l);
        final short[][] v = cache.valueChunksBf16(l);
        for (int i = 0; i < seg.rowCount()[g]; i++) {
          keys[seg.rowStart()[g] + i] = k;
          values[seg.rowStart()[g] + i] = v;
        }
      }
      attention.attention(s.y, s.r, rows, c, n, scale, keys, values, chunk, count);
    } else {
      final float[][][] keys = new float[rows][][];
      final float[][][] values = new float[rows][][];
      for (int g = 0; g < seg.count(); g++) {
        final GoldCache cache = seg.states()[g].cache;
        final float[][] k = cache.keyChunksF32(l);
        final float[][] v = cache.valueChunksF32(l);
        for (int i = 0; i < seg.rowCount()[g]; i++) {
          keys[seg.rowStart()[g] + i] = k;
          values[seg.rowStart()[g] + i] = v;
        }
      }
      attention.attention(s.y, s.r, rows, c, n, scale, keys, values, chunk, count);
    }
    kernels.layerNorm(s.y, s.y, rows, att.ln_x().weight(), att.ln_x().bias(), Norm.LAYER_NORM_EPS);
    kernels.matmul(s.out, 0, c, s.y, 0, c, rows, att.output());
    kernels.add(s.x, s.out, rows * c);
  }

  // h += σ(W_r' xr) ⊙ (W_v' · relu(W_k' xk)²), §2.3
  private void channelMix(final int l, final GoldBlock block) {
    final int rows = seg.rows();
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln2().weight(), block.ln2().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < seg.count(); g++) {
      TokenShift.apply(
          kernels,
          s.sx,
          s.xx,
          seg.states()[g].gold_ffn_x[l],
          seg.rowStart()[g],
          seg.rowCount()[g],
          c);
    }
    block.ffn().apply(kernels, s.x, s.xx, s.sx, rows, s.mixed[0], s.mixed[1], s.r, s.out, s.kk);
  }
}
