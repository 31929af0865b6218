package io.finchstream.engine.goldfinch;

import java.util.Arrays;

/**
 * Activation buffers for one pass of up to {@code rows} token rows (row-major {@code [rows,
 * width]}). Borrowed by one call at a time; the model keeps a pool.
 */
final class GoldFinchScratch {

  final int rows;
  final float[] x; // [T, C] residual stream
  final float[] xx; // [T, C] LN output of the current token
  final float[] sx; // [T, C] token shift: previous LN output − xx
  final float[] xxx; // [T, C] LoRA input of the token-shift mix
  final float[] h; // [T, max(5·D_MIX, D_Q, 2·D_KV)] tanh of a LoRA down-projection
  final float[] d; // [T, max(D_DECAY, D_V2, DVL)] tanh of a LoRA down-projection
  final float[] m; // [T, C] one LoRA up-projection
  final float[][] mixed; // 5 × [T, C]: Finch-C2 x_r, x_k, x_v, x_w, x_v2 (also scratch elsewhere)
  final float[] r; // [T, C] receptance (also the ffn receptance)
  final float[] k; // [T, A] key
  final float[] v; // [T, A] value
  final float[] v2; // [T, A] second value u'
  final float[] w; // [T, A] decay
  final float[] y; // [T, A] WKV / attention output
  final float[] tmp; // [T, A]
  final float[] ones; // [T·A] all 1 (for 1 − w)
  final float[] out; // [T, C] block output projection
  final float[] kk; // [T, F] relu(key)²
  final float[] e; // [T, C] e_t = LN0(Emb[token])
  final float[] cat; // [T, C+R] [e_t; c_t]
  final float[] c; // [T, R] compressed keys
  final float[] kD; // [T, A] decompressed keys
  final float[] eh; // [T, C] RMS(e)
  final float[] dE; // [T, C] ê_{s−1} − ê_s
  final float[] dK; // [T, A] kD_{s−1} − kD_s
  final float[][] keys; // G × [T, A] new cache keys
  final float[][] values; // G × [T, A] new cache values
  final long[] positions; // [T] absolute position of each row
  private float[] logits; // [T, V], allocated on first use

  GoldFinchScratch(final GoldFinchConfig config, final int rows) {
    this.rows = rows;
    final int n = rows * config.dim();
    x = new float[n];
    xx = new float[n];
    sx = new float[n];
    xxx = new float[n];
    h =
        new float
            [rows
                * max(
                    FinchC2TimeMix.BRANCHES * config.mixRank(),
                    config.queryRank(),
                    2 * config.kvMixRank())];
    d = new float[rows * max(config.decayRank(), config.value2Rank(), config.kvRank())];
    m = new float[n];
    mixed = new float[FinchC2TimeMix.BRANCHES][n];
    r = new float[n];
    k = new float[n];
    v = new float[n];
    v2 = new float[n];
    w = new float[n];
    y = new float[n];
    tmp = new float[n];
    ones = new float[n];
    Arrays.fill(ones, 1f);
    out = new float[n];
    kk = new float[rows * config.ffn()];
    e = new float[n];
    cat = new float[rows * (config.dim() + config.compressed())];
    c = new float[rows * config.compressed()];
    kD = new float[n];
    eh = new float[n];
    dE = new float[n];
    dK = new float[n];
    keys = new float[config.goldLayers()][n];
    values = new float[config.goldLayers()][n];
    positions = new long[rows];
  }

  float[] logits(final int vocab) {
    if (logits == null) {
      logits = new float[rows * vocab];
    }
    return logits;
  }

  private static int max(final int a, final int b, final int c) {
    return Math.max(a, Math.max(b, c));
  }
}
