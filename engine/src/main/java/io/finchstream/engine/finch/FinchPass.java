package io.finchstream.engine.finch;

import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TokenShift;

/**
 * One pass of token rows through all blocks (finch-math §2.1–2.7), for several conversations at
 * once. Segment {@code g} is the rows {@code [rowStart[g], rowStart[g] + rowCount[g])}, the next
 * tokens of {@code states[g]}. Every projection and LoRA is one matmul over all rows of all
 * segments; the token shift and the WKV recurrence run per segment, token by token. The head is not
 * applied: each state keeps its last residual vector for {@link FinchModel#logits}.
 */
final class FinchPass {

  private final FinchWeights weights;
  private final Kernels kernels;
  private final FinchScratch s;
  private final FinchState[] states;
  private final int[] rowStart;
  private final int[] rowCount;
  private final float[][] wkvStates;
  private final int rows;
  private final int c;

  FinchPass(
      final FinchWeights weights,
      final Kernels kernels,
      final FinchScratch scratch,
      final FinchState[] states,
      final int[] rowStart,
      final int[] rowCount) {
    this.weights = weights;
    this.kernels = kernels;
    this.s = scratch;
    this.states = states;
    this.rowStart = rowStart;
    this.rowCount = rowCount;
    this.wkvStates = new float[states.length][];
    this.c = weights.config().dim();
    int total = 0;
    for (final int n : rowCount) {
      total += n;
    }
    this.rows = total;
  }

  /** Runs {@code tokens} (one per row) through the model and advances every state. */
  void run(final int[] tokens) {
    // x = emb[token] (ln0 already folded into emb, §2.1)
    for (int t = 0; t < rows; t++) {
      System.arraycopy(weights.emb(), tokens[t] * c, s.x, t * c, c);
    }
    for (int l = 0; l < weights.blocks().size(); l++) {
      final FinchBlock block = weights.blocks().get(l);
      timeMix(l, block);
      channelMix(l, block);
    }
    for (int g = 0; g < states.length; g++) {
      final int last = rowStart[g] + rowCount[g] - 1;
      System.arraycopy(s.x, last * c, states[g].last_x, 0, c);
      states[g].position += rowCount[g];
    }
  }

  // x = x + TimeMix(LN1(x)), §2.2–2.4
  private void timeMix(final int l, final FinchBlock block) {
    final TimeMix att = block.att();
    final int cxr = rows * c;
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln1().weight(), block.ln1().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < states.length; g++) {
      shift(states[g].att_x[l], g);
    }
    // ddlerp: xxx = xx + sx ⊙ time_maa_x; h = tanh(xxx · W1); x_f = xx + sx ⊙ (time_maa_f + h_f ·
    // W2[f])
    att.ddlerp(kernels, s.mixed, s.xx, s.sx, rows, c, weights.config().mixRank(), s.xxx, s.h, s.m);
    // r, k, v, g = W·x_f; g = silu(g)
    kernels.matmul(s.r, 0, c, s.mixed[TimeMix.R], 0, c, rows, att.receptance());
    kernels.matmul(s.k, 0, c, s.mixed[TimeMix.K], 0, c, rows, att.key());
    kernels.matmul(s.v, 0, c, s.mixed[TimeMix.V], 0, c, rows, att.value());
    kernels.matmul(s.g, 0, c, s.mixed[TimeMix.G], 0, c, rows, att.gate());
    kernels.silu(s.g, cxr);
    // w = exp(−exp(time_decay + tanh(xw · decay_w1) · decay_w2))
    att.decay(kernels, s.w, s.mixed[TimeMix.W], rows, c, weights.config().decayRank(), s.d);
    // WKV (§2.3), then GroupNorm per head, ⊙ g, output projection (§2.4)
    for (int g = 0; g < states.length; g++) {
      wkvStates[g] = states[g].wkv[l];
    }
    kernels.wkv(
        s.y,
        s.r,
        s.k,
        s.v,
        s.w,
        att.time_faaaa(),
        wkvStates,
        rowStart,
        rowCount,
        weights.config().headSize());
    kernels.groupNorm(
        s.y,
        s.y,
        rows,
        weights.config().headSize(),
        att.ln_x().weight(),
        att.ln_x().bias(),
        FinchConfig.GROUP_NORM_EPS);
    kernels.mul(s.y, s.g, cxr);
    kernels.matmul(s.out, 0, c, s.y, 0, c, rows, att.output());
    kernels.add(s.x, s.out, cxr);
  }

  // x = x + sigmoid(xr · Wr) ⊙ (relu(xk · Wk)² · Wv), §2.5
  private void channelMix(final int l, final FinchBlock block) {
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln2().weight(), block.ln2().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < states.length; g++) {
      shift(states[g].ffn_x[l], g);
    }
    // the time mix's branch inputs are free again: they hold the ffn's xk and xr
    block
        .ffn()
        .apply(
            kernels,
            s.x,
            s.xx,
            s.sx,
            rows,
            s.mixed[TimeMix.K],
            s.mixed[TimeMix.R],
            s.r,
            s.out,
            s.kk);
  }

  /** Token shift of segment g (§2.2, §2.7), see {@link TokenShift}. */
  private void shift(final float[] prev, final int g) {
    TokenShift.apply(kernels, s.sx, s.xx, prev, rowStart[g], rowCount[g], c);
  }
}
