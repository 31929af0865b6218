package io.finchstream.engine.finch;

import io.finchstream.engine.io.Checkpoint;

/**
 * An independent, deliberately naive Finch in double precision, written straight from finch-math §2
 * against the .pth tensors (no folding, no transposes, no batching, one token at a time). Tests
 * compare the engine against it.
 */
final class ReferenceFinch {

  private final Checkpoint checkpoint;
  private final FinchConfig c;
  private final double[][] attX;
  private final double[][] ffnX;
  private final double[][][][] s;

  ReferenceFinch(final Checkpoint checkpoint) {
    this.checkpoint = checkpoint;
    this.c = FinchConfig.infer(checkpoint);
    this.attX = new double[c.layers()][c.dim()];
    this.ffnX = new double[c.layers()][c.dim()];
    this.s = new double[c.layers()][c.heads()][c.headSize()][c.headSize()];
  }

  private double[] t(final String name) {
    final float[] f = checkpoint.tensor(name).toFloats();
    final double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Feeds one token; returns the next-token logits. */
  double[] forward(final int token) {
    final int dim = c.dim();
    final double[] emb = t("emb.weight");
    double[] x = new double[dim];
    System.arraycopy(emb, token * dim, x, 0, dim);
    x = layerNorm(x, t("blocks.0.ln0.weight"), t("blocks.0.ln0.bias"), 1e-5);
    for (int i = 0; i < c.layers(); i++) {
      final String b = "blocks." + i + ".";
      add(x, timeMix(i, b + "att.", layerNorm(x, t(b + "ln1.weight"), t(b + "ln1.bias"), 1e-5)));
      add(x, channelMix(i, b + "ffn.", layerNorm(x, t(b + "ln2.weight"), t(b + "ln2.bias"), 1e-5)));
    }
    return linear(
        t("head.weight"), layerNorm(x, t("ln_out.weight"), t("ln_out.bias"), 1e-5), c.vocabSize());
  }

  private double[] timeMix(final int layer, final String a, final double[] xx) {
    final int dim = c.dim();
    final int d = c.mixRank();
    final double[] sx = new double[dim];
    for (int i = 0; i < dim; i++) {
      sx[i] = attX[layer][i] - xx[i];
    }
    attX[layer] = xx.clone();
    final double[] maaX = t(a + "time_maa_x");
    final double[] xxx = new double[dim];
    for (int i = 0; i < dim; i++) {
      xxx[i] = xx[i] + sx[i] * maaX[i];
    }
    // h = tanh(xxx · W1), W1 [C, 5D]; m_f = h_f · W2[f], W2 [5, D, C]
    final double[] w1 = t(a + "time_maa_w1");
    final double[] w2 = t(a + "time_maa_w2");
    final double[] h = new double[5 * d];
    for (int j = 0; j < 5 * d; j++) {
      double acc = 0;
      for (int i = 0; i < dim; i++) {
        acc += xxx[i] * w1[i * 5 * d + j];
      }
      h[j] = Math.tanh(acc);
    }
    final String[] names = {"w", "k", "v", "r", "g"};
    final double[][] mixed = new double[5][dim];
    for (int f = 0; f < 5; f++) {
      final double[] maa = t(a + "time_maa_" + names[f]);
      for (int o = 0; o < dim; o++) {
        double m = 0;
        for (int j = 0; j < d; j++) {
          m += h[f * d + j] * w2[(f * d + j) * dim + o];
        }
        mixed[f][o] = xx[o] + sx[o] * (maa[o] + m);
      }
    }
    final double[] r = linear(t(a + "receptance.weight"), mixed[3], dim);
    final double[] k = linear(t(a + "key.weight"), mixed[1], dim);
    final double[] v = linear(t(a + "value.weight"), mixed[2], dim);
    final double[] g = linear(t(a + "gate.weight"), mixed[4], dim);
    for (int i = 0; i < dim; i++) {
      g[i] = g[i] / (1 + Math.exp(-g[i]));
    }
    // w = exp(−exp(time_decay + tanh(xw · Wd1) · Wd2))
    final int dd = c.decayRank();
    final double[] wd1 = t(a + "time_decay_w1");
    final double[] wd2 = t(a + "time_decay_w2");
    final double[] td = t(a + "time_decay");
    final double[] lora = new double[dd];
    for (int j = 0; j < dd; j++) {
      double acc = 0;
      for (int i = 0; i < dim; i++) {
        acc += mixed[0][i] * wd1[i * dd + j];
      }
      lora[j] = Math.tanh(acc);
    }
    final double[] w = new double[dim];
    for (int o = 0; o < dim; o++) {
      double acc = td[o];
      for (int j = 0; j < dd; j++) {
        acc += lora[j] * wd2[j * dim + o];
      }
      w[o] = Math.exp(-Math.exp(acc));
    }
    final double[] u = t(a + "time_faaaa");
    final int n = c.headSize();
    final double[] y = new double[dim];
    for (int hd = 0; hd < c.heads(); hd++) {
      final double[][] st = s[layer][hd];
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
          final int ci = hd * n + i;
          acc += r[ci] * (u[ci] * k[ci] * v[hd * n + j] + st[i][j]);
        }
        y[hd * n + j] = acc;
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          st[i][j] = w[hd * n + i] * st[i][j] + k[hd * n + i] * v[hd * n + j];
        }
      }
    }
    final double[] lnW = t(a + "ln_x.weight");
    final double[] lnB = t(a + "ln_x.bias");
    for (int hd = 0; hd < c.heads(); hd++) {
      double mean = 0;
      for (int j = 0; j < n; j++) {
        mean += y[hd * n + j] / n;
      }
      double var = 0;
      for (int j = 0; j < n; j++) {
        var += (y[hd * n + j] - mean) * (y[hd * n + j] - mean) / n;
      }
      for (int j = 0; j < n; j++) {
        final int ci = hd * n + j;
        y[ci] = ((y[ci] - mean) / Math.sqrt(var + 64e-5) * lnW[ci] + lnB[ci]) * g[ci];
      }
    }
    return linear(t(a + "output.weight"), y, dim);
  }

  private double[] channelMix(final int layer, final String f, final double[] xx) {
    final int dim = c.dim();
    final double[] maaK = t(f + "time_maa_k");
    final double[] maaR = t(f + "time_maa_r");
    final double[] xk = new double[dim];
    final double[] xr = new double[dim];
    for (int i = 0; i < dim; i++) {
      final double sx = ffnX[layer][i] - xx[i];
      xk[i] = xx[i] + sx * maaK[i];
      xr[i] = xx[i] + sx * maaR[i];
    }
    ffnX[layer] = xx.clone();
    final double[] kk = linear(t(f + "key.weight"), xk, c.ffnDim());
    for (int i = 0; i < kk.length; i++) {
      kk[i] = Math.max(kk[i], 0) * Math.max(kk[i], 0);
    }
    final double[] vv = linear(t(f + "value.weight"), kk, dim);
    final double[] rr = linear(t(f + "receptance.weight"), xr, dim);
    for (int i = 0; i < dim; i++) {
      vv[i] *= 1 / (1 + Math.exp(-rr[i]));
    }
    return vv;
  }

  /** y = W·x for W [out, in] row-major. */
  private static double[] linear(final double[] w, final double[] x, final int out) {
    final double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double acc = 0;
      for (int i = 0; i < x.length; i++) {
        acc += w[o * x.length + i] * x[i];
      }
      y[o] = acc;
    }
    return y;
  }

  private static double[] layerNorm(
      final double[] x, final double[] w, final double[] b, final double eps) {
    double mean = 0;
    for (final double v : x) {
      mean += v / x.length;
    }
    double var = 0;
    for (final double v : x) {
      var += (v - mean) * (v - mean) / x.length;
    }
    final double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
    }
    return out;
  }

  private static void add(final double[] x, final double[] y) {
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
  }
}
