package io.finchstream.engine.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorAttentionKernels} at 512 bits. The scores run over positions in lanes: the keys are
 * channel-major, so the kernel streams a chunk's keys four channels at a time, each load one
 * channel of consecutive positions, and each lane of the scores one position's FMA chain over the
 * channels. A thread takes a run of heads and goes through the cache chunk by chunk, every head of
 * the run in each (a chunk stores the heads one after the other): one long stream per chunk instead
 * of a short one per head, which is what keeps the read near the memory's bandwidth with chunks of
 * 256. The softmax exponentials run over positions in lanes ({@link #exp(float[], int, int,
 * boolean, float)}, the bit-identical twin of {@link FastExp}); the weighted sum of values streams
 * the positions in order, channels in lanes (each lane one channel's FMA chain over the positions).
 * The chains' running sums live in the score and output arrays (L1-resident), which keeps every
 * loop small enough for C2 to compile all of its vector operations. bf16 caches are widened in
 * registers.
 *
 * <p>The build generates the 256- and 128-bit kernels from this file by replacing the number of its
 * width, which it names only through that number (see {@link VectorKernels512}).
 */
final class VectorAttentionKernels512 extends VectorAttentionKernels {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final int LANES = F.length();

  /** LANES bf16 values per load, widened to the ints of the float shape. */
  private static final VectorSpecies<Short> H =
      VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * Short.SIZE));

  private static final VectorSpecies<Integer> I =
      VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));

  VectorAttentionKernels512(final Parallel parallel) {
    super(parallel, VectorWidth.W512);
  }

  private static FloatVector load(final float[] a, final int at) {
    return FloatVector.fromArray(F, a, at);
  }

  // LANES bf16 values as floats, exactly: the 16 bits in the high half of each lane.
  private static FloatVector load(final short[] a, final int at) {
    return ((IntVector) ShortVector.fromArray(H, a, at).convertShape(VectorOperators.S2I, I, 0))
        .lanewise(VectorOperators.LSHL, 16)
        .reinterpretAsFloats();
  }

  private static float scalar(final float[] a, final int at) {
    return a[at];
  }

  private static float scalar(final short[] a, final int at) {
    return Float.intBitsToFloat(a[at] << 16);
  }

  @Override
  protected void headsF32(
      final float[] out,
      final float[] q,
      final int qo,
      final int h0,
      final int h1,
      final int dim,
      final int n,
      final float scale,
      final float[][] keys,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    // Chunk by chunk, every head of the run: a chunk holds the heads' keys (and values) one after
    // the other, so the run reads one longer stream per chunk. Head h's scores at (h − h0)·count.
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final float[] k = keys[j];
      final int cap = k.length / dim;
      final int filled = Math.min(chunk, count - first);
      for (int h = h0; h < h1; h++) {
        scoresF32(
            q, qo + h * n, n, scale, k, h * n * cap, cap, scores, (h - h0) * count + first, filled);
      }
    }
    final float[] sums = softmaxRun(scores, h1 - h0, count);
    Arrays.fill(out, qo + h0 * n, qo + h1 * n, 0f);
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final float[] v = values[j];
      final int cap = v.length / dim;
      final int filled = Math.min(chunk, count - first);
      for (int h = h0; h < h1; h++) {
        weighF32(out, qo + h * n, n, v, h * cap * n, scores, (h - h0) * count + first, filled);
      }
    }
    divide(out, qo, h0, h1, n, sums);
  }

  // The softmax numerators of each of the run's `heads` heads (scores at h·count ..), in place;
  // returns their sums.
  private float[] softmaxRun(final float[] scores, final int heads, final int count) {
    final float[] sums = new float[heads];
    for (int h = 0; h < heads; h++) {
      sums[h] = softmaxNumerators(scores, h * count, count);
    }
    return sums;
  }

  // out[qo + h·n ..][n] /= sums[h − h0] for the heads [h0, h1) of the run.
  private static void divide(
      final float[] out,
      final int qo,
      final int h0,
      final int h1,
      final int n,
      final float[] sums) {
    final int whole = F.loopBound(n);
    for (int h = h0; h < h1; h++) {
      final int o = qo + h * n;
      final float sum = sums[h - h0];
      for (int i = 0; i < whole; i += LANES) {
        FloatVector.fromArray(F, out, o + i).div(sum).intoArray(out, o + i);
      }
      for (int i = whole; i < n; i++) {
        out[o + i] /= sum;
      }
    }
  }

  // scores[at + p] = scale · Σ_i q[qo + i]·k[kb + i·cap + p] for the chunk's `filled` positions:
  // four channels at a time over every position (four sequential streams of the chunk's keys), each
  // position's sum one FMA chain over the channels, kept in scores.
  private static void scoresF32(
      final float[] q,
      final int qo,
      final int n,
      final float scale,
      final float[] k,
      final int kb,
      final int cap,
      final float[] scores,
      final int at,
      final int filled) {
    Arrays.fill(scores, at, at + filled, 0f);
    final int whole = F.loopBound(filled);
    int i = 0;
    int row = kb;
    // Four channels per pass over the scores (the same chains: channels in ascending order).
    for (; i + 4 <= n; i += 4, row += 4 * cap) {
      final float q0 = q[qo + i];
      final float q1 = q[qo + i + 1];
      final float q2 = q[qo + i + 2];
      final float q3 = q[qo + i + 3];
      final FloatVector v0 = FloatVector.broadcast(F, q0);
      final FloatVector v1 = FloatVector.broadcast(F, q1);
      final FloatVector v2 = FloatVector.broadcast(F, q2);
      final FloatVector v3 = FloatVector.broadcast(F, q3);
      for (int p = 0; p < whole; p += LANES) {
        FloatVector sum = FloatVector.fromArray(F, scores, at + p);
        sum = v0.fma(load(k, row + p), sum);
        sum = v1.fma(load(k, row + cap + p), sum);
        sum = v2.fma(load(k, row + 2 * cap + p), sum);
        sum = v3.fma(load(k, row + 3 * cap + p), sum);
        sum.intoArray(scores, at + p);
      }
      for (int p = whole; p < filled; p++) {
        float sum = scores[at + p];
        sum = Math.fma(q0, scalar(k, row + p), sum);
        sum = Math.fma(q1, scalar(k, row + cap + p), sum);
        sum = Math.fma(q2, scalar(k, row + 2 * cap + p), sum);
        sum = Math.fma(q3, scalar(k, row + 3 * cap + p), sum);
        scores[at + p] = sum;
      }
    }
    for (; i < n; i++, row += cap) {
      final float qi = q[qo + i];
      final FloatVector qv = FloatVector.broadcast(F, qi);
      for (int p = 0; p < whole; p += LANES) {
        qv.fma(load(k, row + p), FloatVector.fromArray(F, scores, at + p))
            .intoArray(scores, at + p);
      }
      for (int p = whole; p < filled; p++) {
        scores[at + p] = Math.fma(qi, scalar(k, row + p), scores[at + p]);
      }
    }
    for (int p = 0; p < whole; p += LANES) {
      FloatVector.fromArray(F, scores, at + p).mul(scale).intoArray(scores, at + p);
    }
    for (int p = whole; p < filled; p++) {
      scores[at + p] *= scale;
    }
  }

  // weighF32 for a head of exactly four vectors (N = 64 at 512 bits): the four running sums in
  // registers through the chunk (the same FMA chains).
  private static void weigh4F32(
      final float[] out,
      final int qo,
      final float[] v,
      final int vb,
      final float[] scores,
      final int at,
      final int filled) {
    FloatVector o0 = FloatVector.fromArray(F, out, qo);
    FloatVector o1 = FloatVector.fromArray(F, out, qo + LANES);
    FloatVector o2 = FloatVector.fromArray(F, out, qo + 2 * LANES);
    FloatVector o3 = FloatVector.fromArray(F, out, qo + 3 * LANES);
    for (int p = 0, row = vb; p < filled; p++, row += 4 * LANES) {
      final FloatVector pv = FloatVector.broadcast(F, scores[at + p]);
      o0 = load(v, row).fma(pv, o0);
      o1 = load(v, row + LANES).fma(pv, o1);
      o2 = load(v, row + 2 * LANES).fma(pv, o2);
      o3 = load(v, row + 3 * LANES).fma(pv, o3);
    }
    o0.intoArray(out, qo);
    o1.intoArray(out, qo + LANES);
    o2.intoArray(out, qo + 2 * LANES);
    o3.intoArray(out, qo + 3 * LANES);
  }

  // out[qo + i] += p_s · v[vb + s·n + i] for the chunk's positions s in order: per position one
  // stream of its n values, each output channel one FMA chain over the positions.
  private static void weighF32(
      final float[] out,
      final int qo,
      final int n,
      final float[] v,
      final int vb,
      final float[] scores,
      final int at,
      final int filled) {
    if (n == 4 * LANES) {
      weigh4F32(out, qo, v, vb, scores, at, filled);
      return;
    }
    final int whole = F.loopBound(n);
    for (int p = 0, row = vb; p < filled; p++, row += n) {
      final float ps = scores[at + p];
      final FloatVector pv = FloatVector.broadcast(F, ps);
      for (int i = 0; i < whole; i += LANES) {
        load(v, row + i).fma(pv, FloatVector.fromArray(F, out, qo + i)).intoArray(out, qo + i);
      }
      for (int i = whole; i < n; i++) {
        out[qo + i] = Math.fma(ps, scalar(v, row + i), out[qo + i]);
      }
    }
  }

  @Override
  protected void headsBf16(
      final float[] out,
      final float[] q,
      final int qo,
      final int h0,
      final int h1,
      final int dim,
      final int n,
      final float scale,
      final short[][] keys,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    // Chunk by chunk, every head of the run: a chunk holds the heads' keys (and values) one after
    // the other, so the run reads one longer stream per chunk. Head h's scores at (h − h0)·count.
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final short[] k = keys[j];
      final int cap = k.length / dim;
      final int filled = Math.min(chunk, count - first);
      for (int h = h0; h < h1; h++) {
        scoresBf16(
            q, qo + h * n, n, scale, k, h * n * cap, cap, scores, (h - h0) * count + first, filled);
      }
    }
    final float[] sums = softmaxRun(scores, h1 - h0, count);
    Arrays.fill(out, qo + h0 * n, qo + h1 * n, 0f);
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final short[] v = values[j];
      final int cap = v.length / dim;
      final int filled = Math.min(chunk, count - first);
      for (int h = h0; h < h1; h++) {
        weighBf16(out, qo + h * n, n, v, h * cap * n, scores, (h - h0) * count + first, filled);
      }
    }
    divide(out, qo, h0, h1, n, sums);
  }

  // scores[at + p] = scale · Σ_i q[qo + i]·k[kb + i·cap + p] for the chunk's `filled` positions:
  // four channels at a time over every position (four sequential streams of the chunk's keys), each
  // position's sum one FMA chain over the channels, kept in scores.
  private static void scoresBf16(
      final float[] q,
      final int qo,
      final int n,
      final float scale,
      final short[] k,
      final int kb,
      final int cap,
      final float[] scores,
      final int at,
      final int filled) {
    Arrays.fill(scores, at, at + filled, 0f);
    final int whole = F.loopBound(filled);
    int i = 0;
    int row = kb;
    // Four channels per pass over the scores (the same chains: channels in ascending order).
    for (; i + 4 <= n; i += 4, row += 4 * cap) {
      final float q0 = q[qo + i];
      final float q1 = q[qo + i + 1];
      final float q2 = q[qo + i + 2];
      final float q3 = q[qo + i + 3];
      final FloatVector v0 = FloatVector.broadcast(F, q0);
      final FloatVector v1 = FloatVector.broadcast(F, q1);
      final FloatVector v2 = FloatVector.broadcast(F, q2);
      final FloatVector v3 = FloatVector.broadcast(F, q3);
      for (int p = 0; p < whole; p += LANES) {
        FloatVector sum = FloatVector.fromArray(F, scores, at + p);
        sum = v0.fma(load(k, row + p), sum);
        sum = v1.fma(load(k, row + cap + p), sum);
        sum = v2.fma(load(k, row + 2 * cap + p), sum);
        sum = v3.fma(load(k, row + 3 * cap + p), sum);
        sum.intoArray(scores, at + p);
      }
      for (int p = whole; p < filled; p++) {
        float sum = scores[at + p];
        sum = Math.fma(q0, scalar(k, row + p), sum);
        sum = Math.fma(q1, scalar(k, row + cap + p), sum);
        sum = Math.fma(q2, scalar(k, row + 2 * cap + p), sum);
        sum = Math.fma(q3, scalar(k, row + 3 * cap + p), sum);
        scores[at + p] = sum;
      }
    }
    for (; i < n; i++, row += cap) {
      final float qi = q[qo + i];
      final FloatVector qv = FloatVector.broadcast(F, qi);
      for (int p = 0; p < whole; p += LANES) {
        qv.fma(load(k, row + p), FloatVector.fromArray(F, scores, at + p))
            .intoArray(scores, at + p);
      }
      for (int p = whole; p < filled; p++) {
        scores[at + p] = Math.fma(qi, scalar(k, row + p), scores[at + p]);
      }
    }
    for (int p = 0; p < whole; p += LANES) {
      FloatVector.fromArray(F, scores, at + p).mul(scale).intoArray(scores, at + p);
    }
    for (int p = whole; p < filled; p++) {
      scores[at + p] *= scale;
    }
  }

  // weighBf16 for a head of exactly four vectors (N = 64 at 512 bits): the four running sums in
  // registers through the chunk (the same FMA chains).
  private static void weigh4Bf16(
      final float[] out,
      final int qo,
      final short[] v,
      final int vb,
      final float[] scores,
      final int at,
      final int filled) {
    FloatVector o0 = FloatVector.fromArray(F, out, qo);
    FloatVector o1 = FloatVector.fromArray(F, out, qo + LANES);
    FloatVector o2 = FloatVector.fromArray(F, out, qo + 2 * LANES);
    FloatVector o3 = FloatVector.fromArray(F, out, qo + 3 * LANES);
    for (int p = 0, row = vb; p < filled; p++, row += 4 * LANES) {
      final FloatVector pv = FloatVector.broadcast(F, scores[at + p]);
      o0 = load(v, row).fma(pv, o0);
      o1 = load(v, row + LANES).fma(pv, o1);
      o2 = load(v, row + 2 * LANES).fma(pv, o2);
      o3 = load(v, row + 3 * LANES).fma(pv, o3);
    }
    o0.intoArray(out, qo);
    o1.intoArray(out, qo + LANES);
    o2.intoArray(out, qo + 2 * LANES);
    o3.intoArray(out, qo + 3 * LANES);
  }

  // out[qo + i] += p_s · v[vb + s·n + i] for the chunk's positions s in order: per position one
  // stream of its n values, each output channel one FMA chain over the positions.
  private static void weighBf16(
      final float[] out,
      final int qo,
      final int n,
      final short[] v,
      final int vb,
      final float[] scores,
      final int at,
      final int filled) {
    if (n == 4 * LANES) {
      weigh4Bf16(out, qo, v, vb, scores, at, filled);
      return;
    }
    final int whole = F.loopBound(n);
    for (int p = 0, row = vb; p < filled; p++, row += n) {
      final float ps = scores[at + p];
      final FloatVector pv = FloatVector.broadcast(F, ps);
      for (int i = 0; i < whole; i += LANES) {
        load(v, row + i).fma(pv, FloatVector.fromArray(F, out, qo + i)).intoArray(out, qo + i);
      }
      for (int i = whole; i < n; i++) {
        out[qo + i] = Math.fma(ps, scalar(v, row + i), out[qo + i]);
      }
    }
  }

  @Override
  protected float max(final float[] x, final int off, final int count) {
    final int whole = F.loopBound(count);
    FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int s = off; s < off + whole; s += LANES) {
      m = m.max(FloatVector.fromArray(F, x, s));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
    for (int s = off + whole; s < off + count; s++) {
      max = Math.max(max, x[s]);
    }
    return max;
  }

  @Override
  protected void exp(final float[] x, final int off, final int count, final float shift) {
    exp(x, off, count, false, shift);
  }

  /**
   * {@code x[off + i] = e^(±x[off + i] − shift)} for i &lt; n (the sign is − when {@code negate}),
   * bit-identical per element to {@link FastExp#exp(float)} of the same argument. The whole
   * polynomial sits in the loop: a vector helper called from loops gets compiled on its own first
   * and is then too big for C2 to inline, which boxes every vector.
   */
  static void exp(
      final float[] x, final int off, final int n, final boolean negate, final float shift) {
    final int upper = F.loopBound(n);
    for (int i = off; i < off + upper; i += LANES) {
      FloatVector v = FloatVector.fromArray(F, x, i);
      if (negate) {
        v = v.neg();
      }
      v = v.sub(shift);
      final VectorMask<Float> under = v.lt(FastExp.LO);
      final FloatVector xc = v.max(FastExp.LO).min(FastExp.HI);
      final FloatVector t = xc.fma(FastExp.LOG2E, FastExp.MAGIC);
      final FloatVector negN = t.sub(FastExp.MAGIC).neg();
      final IntVector ni = t.reinterpretAsInts().sub(FastExp.MAGIC_BITS);
      FloatVector r = negN.fma(FloatVector.broadcast(F, FastExp.LN2_HI), xc);
      r = negN.fma(FloatVector.broadcast(F, FastExp.LN2_LO), r);
      FloatVector p =
          FloatVector.broadcast(F, FastExp.P0).fma(r, FloatVector.broadcast(F, FastExp.P1));
      p = p.fma(r, FloatVector.broadcast(F, FastExp.P2));
      p = p.fma(r, FloatVector.broadcast(F, FastExp.P3));
      p = p.fma(r, FloatVector.broadcast(F, FastExp.P4));
      p = p.fma(r, FloatVector.broadcast(F, FastExp.P5));
      final FloatVector y = p.fma(r.mul(r), r).add(1f);
      final FloatVector scale =
          ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      y.mul(scale).blend(0f, under).intoArray(x, i);
    }
    for (int i = off + upper; i < off + n; i++) {
      x[i] = FastExp.exp((negate ? -x[i] : x[i]) - shift);
    }
  }
}
