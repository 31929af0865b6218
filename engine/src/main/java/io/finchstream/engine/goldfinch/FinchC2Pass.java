package io.finchstream.engine.goldfinch;

import io.finchstream.engine.goldfinch.GoldFinchBlocks.FinchC2Block;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TokenShift;

/**
 * Streaming prefill, the per-token part (goldfinch-math §5.3 step 1): new tokens of several
 * conversations through the Finch-C2 blocks (§2.2–2.3), then the compression {@code c = W_KD·hF}
 * (§3.1) and the cache append ({@link CacheWriter}). No GOLD attention runs, so the work per token
 * does not depend on the conversation's length. Every projection is one matmul over all rows; the
 * token shift and the WKV recurrence run per conversation, token by token.
 */
final class FinchC2Pass {

  private final GoldFinchWeights weights;
  private final Kernels kernels;
  private final CacheWriter cacheWriter;
  private final GoldFinchScratch s;
  private final Segments seg;
  private final float[] zeroBonus; // [A] u = 0 (§2.1)
  private final float[][] wkvStates;
  private final int c;

  FinchC2Pass(
      final GoldFinchWeights weights,
      final Kernels kernels,
      final CacheWriter cacheWriter,
      final GoldFinchScratch scratch,
      final Segments segments) {
    this.weights = weights;
    this.kernels = kernels;
    this.cacheWriter = cacheWriter;
    this.s = scratch;
    this.seg = segments;
    this.c = weights.config().dim();
    this.zeroBonus = new float[c];
    this.wkvStates = new float[segments.count()][];
  }

  /** Ingests {@code tokens} (one per row, already validated) and advances every state. */
  void run(final int[] tokens) {
    final int rows = seg.rows();
    // e = LN0(Emb[token]); the residual stream starts at e (§1)
    weights.embed(kernels, tokens, 0, rows, s.e);
    System.arraycopy(s.e, 0, s.x, 0, rows * c);
    for (int l = 0; l < weights.finch().size(); l++) {
      final FinchC2Block block = weights.finch().get(l);
      timeMix(l, block);
      channelMix(l, block);
    }
    // hF = x; c = W_KD · hF (§3.1)
    final int r = weights.config().compressed();
    kernels.matmul(s.c, 0, r, s.x, 0, c, rows, weights.w_kv_cache_a());
    cacheWriter.append(seg, tokens, s);
    for (int g = 0; g < seg.count(); g++) {
      final GoldFinchState state = seg.states()[g];
      for (int i = 0; i < seg.rowCount()[g]; i++) {
        System.arraycopy(s.x, (seg.rowStart()[g] + i) * c, state.boundary(state.position), 0, c);
        state.position++;
      }
    }
  }

  // h += W_O · LN(WKV(r, k ⊙ (1 − w), v; u = 0) + u'; ln_x), §2.2
  private void timeMix(final int l, final FinchC2Block block) {
    final FinchC2TimeMix att = block.att();
    final int rows = seg.rows();
    final int cxr = rows * c;
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln1().weight(), block.ln1().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < seg.count(); g++) {
      TokenShift.apply(
          kernels, s.sx, s.xx, seg.states()[g].att_x[l], seg.rowStart()[g], seg.rowCount()[g], c);
    }
    // ddlerp: z = x + δ ⊙ μ_x; u = tanh(z · Wm1); x_□ = x + δ ⊙ (μ_□ + u_□ · Wm2[□]), □ = r, k, v,
    // w, v2
    att.ddlerp(kernels, s.mixed, s.xx, s.sx, rows, c, weights.config().mixRank(), s.xxx, s.h, s.m);
    kernels.matmul(s.r, 0, c, s.mixed[FinchC2TimeMix.R], 0, c, rows, att.receptance());
    kernels.matmul(s.k, 0, c, s.mixed[FinchC2TimeMix.K], 0, c, rows, att.key());
    kernels.matmul(s.v, 0, c, s.mixed[FinchC2TimeMix.V], 0, c, rows, att.value());
    // u' = W_V x_v2 + tanh(x_v2 · V2a) · V2b (the same W_V)
    final float[] xv2 = s.mixed[FinchC2TimeMix.V2];
    final int dV2 = weights.config().value2Rank();
    kernels.matmul(s.v2, 0, c, xv2, 0, c, rows, att.value());
    kernels.matmul(s.d, 0, dV2, xv2, 0, c, rows, att.time_value2_w1());
    kernels.tanh(s.d, rows * dV2);
    kernels.matmul(s.tmp, 0, c, s.d, 0, dV2, rows, att.time_value2_w2());
    kernels.add(s.v2, s.tmp, cxr);
    // w = exp(−exp(time_decay + tanh(x_w · Da) · Db))
    att.decay(kernels, s.w, s.mixed[FinchC2TimeMix.W], rows, c, weights.config().decayRank(), s.d);
    // k = k ⊙ (1 − w)
    kernels.sub(s.tmp, 0, s.ones, 0, s.w, 0, cxr);
    kernels.mul(s.k, s.tmp, cxr);
    // y = r · S_{t−1} per head (u = 0), S_t = diag(w) S_{t−1} + kᵀv
    for (int g = 0; g < seg.count(); g++) {
      wkvStates[g] = seg.states()[g].wkv[l];
    }
    kernels.wkv(
        s.y,
        s.r,
        s.k,
        s.v,
        s.w,
        zeroBonus,
        wkvStates,
        seg.rowStart(),
        seg.rowCount(),
        weights.config().headSize());
    kernels.add(s.y, s.v2, cxr);
    kernels.layerNorm(s.y, s.y, rows, att.ln_x().weight(), att.ln_x().bias(), Norm.LAYER_NORM_EPS);
    kernels.matmul(s.out, 0, c, s.y, 0, c, rows, att.output());
    kernels.add(s.x, s.out, cxr);
  }

  // h += σ(W_r' xr) ⊙ (W_v' · relu(W_k' xk)²), §2.3
  private void channelMix(final int l, final FinchC2Block block) {
    final int rows = seg.rows();
    kernels.layerNorm(
        s.xx, s.x, rows, block.ln2().weight(), block.ln2().bias(), Norm.LAYER_NORM_EPS);
    for (int g = 0; g < seg.count(); g++) {
      TokenShift.apply(
          kernels, s.sx, s.xx, seg.states()[g].ffn_x[l], seg.rowStart()[g], seg.rowCount()[g], c);
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
            s.mixed[FinchC2TimeMix.K],
            s.mixed[FinchC2TimeMix.R],
            s.r,
            s.out,
            s.kk);
  }
}
