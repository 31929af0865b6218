package io.finchstream.engine.goldfinch;

import io.finchstream.engine.goldfinch.GoldFinchBlocks.GoldBlock;
import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TokenShift;
import io.finchstream.engine.tensor.Matrix;
import java.util.Arrays;

/**
 * Appends new tokens to their conversations' caches, materializing the derived entries
 * (goldfinch-math §3.1, §4.1): {@code kD = RMS(W_KU·[e; c])}, {@code ê = RMS(e)}, and for every
 * GOLD layer the key and value of the position, which depend on that position and the one before
 * (its kD and ê; zeros before position 0). The same steps rebuild a cache's derived part from its
 * canonical entries (a restored or evicted cache).
 */
final class CacheWriter {

  /** eps of the weightless RMS norm of kD and ê, added to the RMS (§3.1). */
  static final float RMS_EPS = 1e-8f;

  private final GoldFinchWeights weights;
  private final Kernels kernels;
  private final AttentionKernels attention;

  CacheWriter(
      final GoldFinchWeights weights, final Kernels kernels, final AttentionKernels attention) {
    this.weights = weights;
    this.kernels = kernels;
    this.attention = attention;
  }

  /**
   * Appends rows of {@code tokens} with their e ({@code s.e}) and c ({@code s.c}) to the caches of
   * the segments' states; each segment's first row is the position after its cache's last entry.
   * The GOLD keys and values are computed only for caches that keep their derived part.
   */
  void append(final Segments seg, final int[] tokens, final GoldFinchScratch s) {
    final GoldFinchConfig config = weights.config();
    final int c = config.dim();
    final int rows = seg.rows();
    decompress(s, rows);
    // dE = ê_{s−1} − ê_s, dK = kD_{s−1} − kD_s; the row before a segment comes from its cache
    final float[] prevE = new float[c];
    final float[] prevK = new float[c];
    boolean anyDerived = false;
    for (int g = 0; g < seg.count(); g++) {
      final GoldFinchState state = seg.states()[g];
      previous(state, prevE, prevK);
      TokenShift.apply(kernels, s.dE, s.eh, prevE, seg.rowStart()[g], seg.rowCount()[g], c);
      TokenShift.apply(kernels, s.dK, s.kD, prevK, seg.rowStart()[g], seg.rowCount()[g], c);
      for (int i = 0; i < seg.rowCount()[g]; i++) {
        s.positions[seg.rowStart()[g] + i] = state.cache.size() + i;
      }
      anyDerived |= state.cache.hasDerived();
    }
    if (anyDerived) {
      for (int l = 0; l < config.goldLayers(); l++) {
        keysAndValues(weights.gold().get(l), s, rows, s.keys[l], s.values[l]);
      }
    }
    for (int g = 0; g < seg.count(); g++) {
      seg.states()[g].cache.append(
          tokens, seg.rowStart()[g], seg.rowCount()[g], s.c, s.kD, s.keys, s.values);
    }
  }

  /**
   * Rebuilds the derived part of a cache (every GOLD layer's keys and values) from its canonical
   * entries, {@code s.rows} positions at a time, computing exactly what appending them did.
   */
  void rebuild(final GoldCache cache, final GoldFinchScratch s) {
    final GoldFinchConfig config = weights.config();
    final int c = config.dim();
    final int r = config.compressed();
    final float[] prevE = new float[c]; // zeros: the shift before position 0
    final float[] prevK = new float[c];
    final int[] rowTokens = new int[s.rows];
    cache.startRebuild();
    for (long first = 0; first < cache.size(); first += s.rows) {
      final int rows = (int) Math.min(s.rows, cache.size() - first);
      for (int t = 0; t < rows; t++) {
        rowTokens[t] = cache.token(first + t);
        cache.compressedKey(first + t, s.c, t * r);
        s.positions[t] = first + t;
      }
      weights.embed(kernels, rowTokens, 0, rows, s.e);
      decompress(s, rows);
      TokenShift.apply(kernels, s.dE, s.eh, prevE, 0, rows, c);
      TokenShift.apply(kernels, s.dK, s.kD, prevK, 0, rows, c);
      for (int l = 0; l < config.goldLayers(); l++) {
        keysAndValues(weights.gold().get(l), s, rows, s.keys[l], s.values[l]);
      }
      cache.putDerived(first, rows, s.keys, s.values);
    }
    cache.finishRebuild(prevK);
  }

  // kD = RMS(W_KU · [e; c]); ê = RMS(e), for rows of s.e and s.c
  private void decompress(final GoldFinchScratch s, final int rows) {
    final int c = weights.config().dim();
    final int r = weights.config().compressed();
    for (int t = 0; t < rows; t++) {
      System.arraycopy(s.e, t * c, s.cat, t * (c + r), c);
      System.arraycopy(s.c, t * r, s.cat, t * (c + r) + c, r);
    }
    kernels.matmul(s.kD, 0, c, s.cat, 0, c + r, rows, weights.w_kv_cache_b());
    attention.rmsNorm(s.kD, s.kD, rows, c, RMS_EPS);
    attention.rmsNorm(s.eh, s.e, rows, c, RMS_EPS);
  }

  /**
   * ê and kD of the cache's last entry (zeros for an empty cache: the shift before position 0); kD
   * is computed again from the canonical entry when the cache does not know it (after a restore).
   */
  private void previous(final GoldFinchState state, final float[] prevE, final float[] prevK) {
    final long last = state.cache.size() - 1;
    if (last < 0) {
      Arrays.fill(prevE, 0f);
      Arrays.fill(prevK, 0f);
      return;
    }
    final int c = weights.config().dim();
    final int r = weights.config().compressed();
    weights.embed(kernels, new int[] {state.cache.token(last)}, 0, 1, prevE);
    final float[] known = state.cache.lastDecompressedKey();
    if (known != null) {
      System.arraycopy(known, 0, prevK, 0, c);
    } else {
      // [e; c] of the last entry → W_KU → RMS, as decompress does for a row
      final float[] cat = new float[c + r];
      System.arraycopy(prevE, 0, cat, 0, c);
      state.cache.compressedKey(last, cat, c);
      kernels.matmul(prevK, 0, c, cat, 0, c + r, 1, weights.w_kv_cache_b());
      attention.rmsNorm(prevK, prevK, 1, c, RMS_EPS);
    }
    attention.rmsNorm(prevE, prevE, 1, prevE.length, RMS_EPS);
  }

  // One GOLD layer's k, v for all rows (§4.1)
  private void keysAndValues(
      final GoldBlock block,
      final GoldFinchScratch s,
      final int rows,
      final float[] keys,
      final float[] values) {
    final GoldTimeMix att = block.att();
    final GoldFinchConfig config = weights.config();
    final int c = config.dim();
    final int dKv = config.kvMixRank();
    // a = ê + (ê_{s−1} − ê) ⊙ μ_vc; g = tanh(a · KVa); mk = g[0:D]·KVb[0], mv = g[D:2D]·KVb[1]
    kernels.lerp(s.xxx, s.eh, s.dE, att.time_maa_v_cache(), rows);
    kernels.matmul(s.h, 0, 2 * dKv, s.xxx, 0, c, rows, att.time_maa_kv_w1());
    kernels.tanh(s.h, rows * 2 * dKv);
    // k' = kD + (kD_{s−1} − kD) ⊙ (μ_k + mk); v' = ê + (ê_{s−1} − ê) ⊙ (μ_v + mv)
    kernels.matmul(s.m, 0, c, s.h, 0, 2 * dKv, rows, att.time_maa_kv_w2()[0]);
    kernels.ddlerp(s.k, s.kD, s.dK, att.time_maa_k(), s.m, 0, c, rows);
    kernels.matmul(s.m, 0, c, s.h, dKv, 2 * dKv, rows, att.time_maa_kv_w2()[1]);
    kernels.ddlerp(s.v, s.eh, s.dE, att.time_maa_v(), s.m, 0, c, rows);
    // k'' = k' + tanh(k' · Ka) · Kb; v'' likewise ("loradapt"); then ln_k, ln_v
    loradapt(s.k, att.time_key_w1(), att.time_key_w2(), s, rows);
    loradapt(s.v, att.time_value_w1(), att.time_value_w2(), s, rows);
    kernels.layerNorm(keys, s.k, rows, att.ln_k().weight(), att.ln_k().bias(), Norm.LAYER_NORM_EPS);
    kernels.layerNorm(
        values, s.v, rows, att.ln_v().weight(), att.ln_v().bias(), Norm.LAYER_NORM_EPS);
    if (config.ropeTheta() != 0) {
      attention.rope(keys, rows, c, s.positions, config.headSize(), config.ropeTheta());
    }
  }

  // x += tanh(x · W1) · W2
  private void loradapt(
      final float[] x,
      final Matrix down,
      final Matrix up,
      final GoldFinchScratch s,
      final int rows) {
    final int c = weights.config().dim();
    final int rank = down.rows();
    kernels.matmul(s.d, 0, rank, x, 0, c, rows, down);
    kernels.tanh(s.d, rows * rank);
    kernels.matmul(s.tmp, 0, c, s.d, 0, rank, rows, up);
    kernels.add(x, s.tmp, rows * c);
  }
}
