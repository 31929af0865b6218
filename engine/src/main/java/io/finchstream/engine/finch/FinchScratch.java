package io.finchstream.engine.finch;

/**
 * Activation buffers for one pass of up to {@code rows} token rows through the layers (row-major
 * {@code [rows, width]}). Borrowed by one call at a time; the model keeps a pool.
 */
final class FinchScratch {

  final int rows;
  final float[] x; // [T, C] residual stream
  final float[] xx; // [T, C] LN output of the current token
  final float[] sx; // [T, C] token shift: previous LN output − xx
  final float[] xxx; // [T, C] LoRA input of the token-shift mix
  final float[] h; // [T, 5·D_MIX] tanh(xxx · time_maa_w1)
  final float[] m; // [T, C] one LoRA branch output m_f
  final float[][] mixed; // 5 × [T, C]: xw, xk, xv, xr, xg
  final float[] r; // [T, C] receptance (also the ffn receptance)
  final float[] k; // [T, C] key
  final float[] v; // [T, C] value
  final float[] g; // [T, C] silu gate
  final float[] w; // [T, C] decay
  final float[] d; // [T, D_DECAY] tanh(xw · time_decay_w1)
  final float[] y; // [T, C] WKV output
  final float[] out; // [T, C] block output projection
  final float[] kk; // [T, F] relu(key)²
  private float[] logits; // [T, V], allocated on first use

  FinchScratch(final FinchConfig config, final int rows) {
    this.rows = rows;
    final int c = rows * config.dim();
    x = new float[c];
    xx = new float[c];
    sx = new float[c];
    xxx = new float[c];
    h = new float[rows * FinchConfig.MIX_BRANCHES * config.mixRank()];
    m = new float[c];
    mixed = new float[FinchConfig.MIX_BRANCHES][c];
    r = new float[c];
    k = new float[c];
    v = new float[c];
    g = new float[c];
    w = new float[c];
    d = new float[rows * config.decayRank()];
    y = new float[c];
    out = new float[c];
    kk = new float[rows * config.ffnDim()];
  }

  float[] logits(final int vocab) {
    if (logits == null) {
      logits = new float[rows * vocab];
    }
    return logits;
  }
}
