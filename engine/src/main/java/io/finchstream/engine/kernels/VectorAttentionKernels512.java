package io.finchstream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorAttentionKernels} at 512 bits: the per-position dot products and the weighted sum of
 * values run over the head's channels in vector lanes, and the softmax exponentials run over
 * positions in lanes with {@link #exp(FloatVector)}, the bit-identical twin of {@link FastExp}.
 *
 * <p>The build generates the 256- and 128-bit kernels from this file by replacing the number of its
 * width, which it names only through that number (see {@link VectorKernels512}).
 */
final class VectorAttentionKernels512 extends VectorAttentionKernels {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final int LANES = F.length();

  /** Vectors that hold the 16 partial sums of a dot product ({@link LaneSums}). */
  private static final int SUM_VECTORS = LaneSums.LANES / LANES;

  private static final ThreadLocal<float[]> PARTIALS =
      ThreadLocal.withInitial(() -> new float[LaneSums.LANES]);

  VectorAttentionKernels512(final Parallel parallel) {
    super(parallel, VectorWidth.W512);
  }

  @Override
  protected void head(
      final float[] out,
      final float[] q,
      final int qo,
      final int ho,
      final int dim,
      final int n,
      final float scale,
      final float[][] keys,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    final float[] partial = PARTIALS.get();
    final int upper = LaneSums.bound(n);
    for (int s = 0; s < count; s++) {
      final float[] k = keys[s / chunk];
      final int kb = (s % chunk) * dim + ho;
      // the 16 partial sums of LaneSums in SUM_VECTORS vectors
      FloatVector s0 = FloatVector.zero(F);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      for (int i = 0; i < upper; i += LaneSums.LANES) {
        s0 = FloatVector.fromArray(F, q, qo + i).fma(FloatVector.fromArray(F, k, kb + i), s0);
        if (SUM_VECTORS > 1) {
          s1 =
              FloatVector.fromArray(F, q, qo + i + LANES)
                  .fma(FloatVector.fromArray(F, k, kb + i + LANES), s1);
        }
        if (SUM_VECTORS > 2) {
          s2 =
              FloatVector.fromArray(F, q, qo + i + 2 * LANES)
                  .fma(FloatVector.fromArray(F, k, kb + i + 2 * LANES), s2);
          s3 =
              FloatVector.fromArray(F, q, qo + i + 3 * LANES)
                  .fma(FloatVector.fromArray(F, k, kb + i + 3 * LANES), s3);
        }
      }
      s0.intoArray(partial, 0);
      if (SUM_VECTORS > 1) {
        s1.intoArray(partial, LANES);
      }
      if (SUM_VECTORS > 2) {
        s2.intoArray(partial, 2 * LANES);
        s3.intoArray(partial, 3 * LANES);
      }
      float dot = LaneSums.tree(partial, 0);
      for (int i = upper; i < n; i++) {
        dot = Math.fma(q[qo + i], k[kb + i], dot);
      }
      scores[s] = dot * scale;
    }
    final float sum = softmaxNumerators(scores, count);
    // out_i = Σ_s fma(p_s, v_s,i, ·) in ascending s, per element exactly as the scalar twin
    final int whole = F.loopBound(n);
    for (int i = 0; i < whole; i += LANES) {
      FloatVector o = FloatVector.zero(F);
      for (int s = 0; s < count; s++) {
        final float[] v = values[s / chunk];
        o =
            FloatVector.fromArray(F, v, (s % chunk) * dim + ho + i)
                .fma(FloatVector.broadcast(F, scores[s]), o);
      }
      o.div(sum).intoArray(out, qo + i);
    }
    for (int i = whole; i < n; i++) {
      float o = 0f;
      for (int s = 0; s < count; s++) {
        o = Math.fma(scores[s], values[s / chunk][(s % chunk) * dim + ho + i], o);
      }
      out[qo + i] = o / sum;
    }
  }

  @Override
  protected void exp(final float[] x, final int count, final float shift) {
    final int upper = F.loopBound(count);
    for (int s = 0; s < upper; s += LANES) {
      exp(FloatVector.fromArray(F, x, s).sub(shift)).intoArray(x, s);
    }
    for (int s = upper; s < count; s++) {
      x[s] = FastExp.exp(x[s] - shift);
    }
  }

  private static final FloatVector LN2_HI = FloatVector.broadcast(F, FastExp.LN2_HI);
  private static final FloatVector LN2_LO = FloatVector.broadcast(F, FastExp.LN2_LO);
  private static final FloatVector P0 = FloatVector.broadcast(F, FastExp.P0);
  private static final FloatVector P1 = FloatVector.broadcast(F, FastExp.P1);
  private static final FloatVector P2 = FloatVector.broadcast(F, FastExp.P2);
  private static final FloatVector P3 = FloatVector.broadcast(F, FastExp.P3);
  private static final FloatVector P4 = FloatVector.broadcast(F, FastExp.P4);
  private static final FloatVector P5 = FloatVector.broadcast(F, FastExp.P5);

  /** e^x per lane, bit-identical to {@link FastExp#exp(float)}. */
  static FloatVector exp(final FloatVector x) {
    final VectorMask<Float> under = x.lt(FastExp.LO);
    final FloatVector xc = x.max(FastExp.LO).min(FastExp.HI);
    final FloatVector t = xc.fma(FastExp.LOG2E, FastExp.MAGIC);
    final FloatVector n = t.sub(FastExp.MAGIC);
    final IntVector ni = t.reinterpretAsInts().sub(FastExp.MAGIC_BITS);
    final FloatVector negN = n.neg();
    FloatVector r = negN.fma(LN2_HI, xc);
    r = negN.fma(LN2_LO, r);
    FloatVector p = P0.fma(r, P1);
    p = p.fma(r, P2);
    p = p.fma(r, P3);
    p = p.fma(r, P4);
    p = p.fma(r, P5);
    final FloatVector y = p.fma(r.mul(r), r).add(1f);
    final FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return y.mul(scale).blend(0f, under);
  }
}
