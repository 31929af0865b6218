package io.finchstream.engine.kernels;

import io.finchstream.engine.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorKernels} on 512-bit vectors (16 float lanes).
 *
 * <p>This file is also the source of the 256- and 128-bit kernels: the build copies it with every
 * "512" replaced by the other width ({@code engine/pom.xml}), so it names its width only through
 * that number, and everything that depends on the lane count is derived from {@link #F}.
 */
final class VectorKernels512 extends VectorKernels {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final int LANES = F.length();

  /** Vectors that hold the 16 partial sums of a reduction ({@link LaneSums}). */
  private static final int SUM_VECTORS = LaneSums.LANES / LANES;

  VectorKernels512(final Parallel parallel) {
    super(parallel, VectorWidth.W512);
  }

  @Override
  public void matmul(
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Matrix w) {
    checkMatmul(y, yOff, yStride, x, xOff, xStride, rows, w);
    VectorMatmul512.matmul(parallel, y, yOff, yStride, x, xOff, xStride, rows, w);
  }

  @Override
  protected void normalize(
      final float[] out,
      final float[] x,
      final int base,
      final int n,
      final float[] weight,
      final float[] bias,
      final int p,
      final float eps) {
    final float[] partial = new float[LaneSums.LANES];
    final int upper = LaneSums.bound(n);
    // the 16 partial sums of LaneSums in SUM_VECTORS vectors: vector k holds partials k·LANES ..
    FloatVector s0 = FloatVector.zero(F);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    for (int i = base; i < base + upper; i += LaneSums.LANES) {
      s0 = s0.add(FloatVector.fromArray(F, x, i));
      if (SUM_VECTORS > 1) {
        s1 = s1.add(FloatVector.fromArray(F, x, i + LANES));
      }
      if (SUM_VECTORS > 2) {
        s2 = s2.add(FloatVector.fromArray(F, x, i + 2 * LANES));
        s3 = s3.add(FloatVector.fromArray(F, x, i + 3 * LANES));
      }
    }
    float sum = tree(s0, s1, s2, s3, partial);
    for (int i = upper; i < n; i++) {
      sum += x[base + i];
    }
    final float mean = sum / n;
    s0 = FloatVector.zero(F);
    s1 = s0;
    s2 = s0;
    s3 = s0;
    for (int i = base; i < base + upper; i += LaneSums.LANES) {
      FloatVector d = FloatVector.fromArray(F, x, i).sub(mean);
      s0 = d.fma(d, s0);
      if (SUM_VECTORS > 1) {
        d = FloatVector.fromArray(F, x, i + LANES).sub(mean);
        s1 = d.fma(d, s1);
      }
      if (SUM_VECTORS > 2) {
        d = FloatVector.fromArray(F, x, i + 2 * LANES).sub(mean);
        s2 = d.fma(d, s2);
        d = FloatVector.fromArray(F, x, i + 3 * LANES).sub(mean);
        s3 = d.fma(d, s3);
      }
    }
    float squares = tree(s0, s1, s2, s3, partial);
    for (int i = upper; i < n; i++) {
      final float d = x[base + i] - mean;
      squares = Math.fma(d, d, squares);
    }
    final float rstd = (float) (1.0 / Math.sqrt(squares / n + eps));
    final int whole = F.loopBound(n);
    for (int i = 0; i < whole; i += LANES) {
      FloatVector.fromArray(F, x, base + i)
          .sub(mean)
          .mul(rstd)
          .mul(FloatVector.fromArray(F, weight, p + i))
          .add(FloatVector.fromArray(F, bias, p + i))
          .intoArray(out, base + i);
    }
    for (int i = whole; i < n; i++) {
      out[base + i] = (x[base + i] - mean) * rstd * weight[p + i] + bias[p + i];
    }
  }

  /** The 16 partial sums held in {@code s0 ..} (SUM_VECTORS of them), through the fixed tree. */
  private static float tree(
      final FloatVector s0,
      final FloatVector s1,
      final FloatVector s2,
      final FloatVector s3,
      final float[] partial) {
    s0.intoArray(partial, 0);
    if (SUM_VECTORS > 1) {
      s1.intoArray(partial, LANES);
    }
    if (SUM_VECTORS > 2) {
      s2.intoArray(partial, 2 * LANES);
      s3.intoArray(partial, 3 * LANES);
    }
    return LaneSums.tree(partial, 0);
  }

  @Override
  public void sub(
      final float[] out,
      final int outOff,
      final float[] a,
      final int aOff,
      final float[] b,
      final int bOff,
      final int n) {
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      FloatVector.fromArray(F, a, aOff + i)
          .sub(FloatVector.fromArray(F, b, bOff + i))
          .intoArray(out, outOff + i);
    }
    for (int i = upper; i < n; i++) {
      out[outOff + i] = a[aOff + i] - b[bOff + i];
    }
  }

  @Override
  public void add(final float[] x, final float[] y, final int n) {
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, y, i)).intoArray(x, i);
    }
    for (int i = upper; i < n; i++) {
      x[i] += y[i];
    }
  }

  @Override
  public void mul(final float[] x, final float[] y, final int n) {
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      FloatVector.fromArray(F, x, i).mul(FloatVector.fromArray(F, y, i)).intoArray(x, i);
    }
    for (int i = upper; i < n; i++) {
      x[i] *= y[i];
    }
  }

  @Override
  public void lerp(
      final float[] out, final float[] a, final float[] d, final float[] mix, final int rows) {
    final int c = mix.length;
    final int upper = F.loopBound(c);
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      for (int i = 0; i < upper; i += LANES) {
        FloatVector.fromArray(F, a, b + i)
            .add(FloatVector.fromArray(F, d, b + i).mul(FloatVector.fromArray(F, mix, i)))
            .intoArray(out, b + i);
      }
      for (int i = upper; i < c; i++) {
        out[b + i] = a[b + i] + d[b + i] * mix[i];
      }
    }
  }

  @Override
  public void ddlerp(
      final float[] out,
      final float[] a,
      final float[] d,
      final float[] mix,
      final float[] m,
      final int mOff,
      final int mStride,
      final int rows) {
    final int c = mix.length;
    final int upper = F.loopBound(c);
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      final int mb = mOff + t * mStride;
      for (int i = 0; i < upper; i += LANES) {
        final FloatVector mixed =
            FloatVector.fromArray(F, mix, i).add(FloatVector.fromArray(F, m, mb + i));
        FloatVector.fromArray(F, a, b + i)
            .add(FloatVector.fromArray(F, d, b + i).mul(mixed))
            .intoArray(out, b + i);
      }
      for (int i = upper; i < c; i++) {
        out[b + i] = a[b + i] + d[b + i] * (mix[i] + m[mb + i]);
      }
    }
  }

  @Override
  public void reluSquare(final float[] x, final int n) {
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      final FloatVector r = FloatVector.fromArray(F, x, i).lanewise(VectorOperators.MAX, 0f);
      r.mul(r).intoArray(x, i);
    }
    for (int i = upper; i < n; i++) {
      final float r = Math.max(x[i], 0f);
      x[i] = r * r;
    }
  }

  /** Per thread: {@code exp(−x)} of an element-wise kernel's input, grown as needed. */
  private static final ThreadLocal<float[][]> EXP = ThreadLocal.withInitial(() -> new float[1][0]);

  // exp(−x[from .. from + n)) into a scratch (as the scalar twin's sigmoid computes it first)
  private static float[] expNegated(final float[] x, final int from, final int n) {
    final float[][] holder = EXP.get();
    if (holder[0].length < n) {
      holder[0] = new float[n];
    }
    final float[] t = holder[0];
    System.arraycopy(x, from, t, 0, n);
    VectorAttentionKernels512.exp(t, 0, n, true, 0f);
    return t;
  }

  // x · sigmoid(x) = x · (1 / (1 + e^−x)), the scalar twin's operations per element
  @Override
  public void silu(final float[] x, final int n) {
    final float[] t = expNegated(x, 0, n);
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      final FloatVector sigmoid =
          FloatVector.broadcast(F, 1f).div(FloatVector.fromArray(F, t, i).add(1f));
      FloatVector.fromArray(F, x, i).mul(sigmoid).intoArray(x, i);
    }
    for (int i = upper; i < n; i++) {
      x[i] = x[i] * (1f / (1f + t[i]));
    }
  }

  // exp(−exp(timeDecay + w)): the sum, then the two exponentials in place
  @Override
  public void decay(final float[] w, final float[] timeDecay, final int rows) {
    final int c = timeDecay.length;
    final int upper = F.loopBound(c);
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      for (int i = 0; i < upper; i += LANES) {
        FloatVector.fromArray(F, timeDecay, i)
            .add(FloatVector.fromArray(F, w, b + i))
            .intoArray(w, b + i);
      }
      for (int i = upper; i < c; i++) {
        w[b + i] = timeDecay[i] + w[b + i];
      }
    }
    VectorAttentionKernels512.exp(w, 0, rows * c, false, 0f);
    VectorAttentionKernels512.exp(w, 0, rows * c, true, 0f);
  }

  // x += sigmoid(gate) · value = (1 / (1 + e^−gate)) · value
  @Override
  public void addSigmoidGated(
      final float[] x, final float[] gate, final float[] value, final int n) {
    final float[] t = expNegated(gate, 0, n);
    final int upper = F.loopBound(n);
    for (int i = 0; i < upper; i += LANES) {
      final FloatVector sigmoid =
          FloatVector.broadcast(F, 1f).div(FloatVector.fromArray(F, t, i).add(1f));
      FloatVector.fromArray(F, x, i)
          .add(sigmoid.mul(FloatVector.fromArray(F, value, i)))
          .intoArray(x, i);
    }
    for (int i = upper; i < n; i++) {
      x[i] += (1f / (1f + t[i])) * value[i];
    }
  }

  // Same per-element operations as the scalar twin: for each lane j, i ascending, FMAs as there.
  @Override
  protected void wkvHead(
      final float[] y,
      final float[] r,
      final float[] k,
      final float[] v,
      final float[] w,
      final float[] u,
      final float[] state,
      final int base,
      final int h,
      final int n) {
    final int sb = h * n * n;
    final int upper = F.loopBound(n);
    for (int j = 0; j < upper; j += LANES) {
      final FloatVector vj = FloatVector.fromArray(F, v, base + j);
      FloatVector acc = FloatVector.zero(F);
      for (int i = 0; i < n; i++) {
        final int si = sb + i * n + j;
        final FloatVector s = FloatVector.fromArray(F, state, si);
        final FloatVector kv = vj.mul(k[base + i]);
        final FloatVector bonus = kv.fma(FloatVector.broadcast(F, u[h * n + i]), s);
        acc = bonus.fma(FloatVector.broadcast(F, r[base + i]), acc);
        s.fma(FloatVector.broadcast(F, w[base + i]), kv).intoArray(state, si);
      }
      acc.intoArray(y, base + j);
    }
    for (int j = upper; j < n; j++) {
      float acc = 0f;
      final float vj = v[base + j];
      for (int i = 0; i < n; i++) {
        final int si = sb + i * n + j;
        final float kv = k[base + i] * vj;
        acc = Math.fma(r[base + i], Math.fma(u[h * n + i], kv, state[si]), acc);
        state[si] = Math.fma(state[si], w[base + i], kv);
      }
      y[base + j] = acc;
    }
  }
}
