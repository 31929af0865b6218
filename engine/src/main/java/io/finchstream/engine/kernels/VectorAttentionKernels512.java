package io.finchstream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorAttentionKernels} at 512 bits. The scores run over positions in lanes (the keys are
 * channel-major, so a load holds one channel of consecutive positions, and each lane is one
 * position's FMA chain over the channels), the softmax exponentials over positions in lanes with
 * {@link #exp(FloatVector)}, the bit-identical twin of {@link FastExp}, and the weighted sum of
 * values over channels in lanes (each lane one channel's FMA chain over the positions). bf16 caches
 * are widened in registers.
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
  protected void headF32(
      final float[] out,
      final float[] q,
      final int qo,
      final int h,
      final int dim,
      final int n,
      final float scale,
      final float[][] keys,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    // scores: positions in lanes, one FMA chain over the channels per position
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final float[] k = keys[j];
      final int cap = k.length / dim;
      final int filled = Math.min(chunk, count - first);
      final int kb = h * n * cap;
      int p = 0;
      for (; p + 4 * LANES <= filled; p += 4 * LANES) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          final FloatVector qi = FloatVector.broadcast(F, q[qo + i]);
          a0 = qi.fma(load(k, ki), a0);
          a1 = qi.fma(load(k, ki + LANES), a1);
          a2 = qi.fma(load(k, ki + 2 * LANES), a2);
          a3 = qi.fma(load(k, ki + 3 * LANES), a3);
        }
        a0.mul(scale).intoArray(scores, first + p);
        a1.mul(scale).intoArray(scores, first + p + LANES);
        a2.mul(scale).intoArray(scores, first + p + 2 * LANES);
        a3.mul(scale).intoArray(scores, first + p + 3 * LANES);
      }
      for (; p + LANES <= filled; p += LANES) {
        FloatVector a0 = FloatVector.zero(F);
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          a0 = FloatVector.broadcast(F, q[qo + i]).fma(load(k, ki), a0);
        }
        a0.mul(scale).intoArray(scores, first + p);
      }
      for (; p < filled; p++) {
        float dot = 0f;
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          dot = Math.fma(q[qo + i], scalar(k, ki), dot);
        }
        scores[first + p] = dot * scale;
      }
    }
    final float sum = softmaxNumerators(scores, count);
    // out: channels in lanes, one FMA chain over the positions per channel
    int i0 = 0;
    for (; i0 + 8 * LANES <= n; i0 += 8 * LANES) {
      values8(out, qo + i0, h, dim, n, i0, values, chunk, count, scores, sum);
    }
    for (; i0 + 4 * LANES <= n; i0 += 4 * LANES) {
      values4(out, qo + i0, h, dim, n, i0, values, chunk, count, scores, sum);
    }
    for (; i0 + LANES <= n; i0 += LANES) {
      FloatVector o = FloatVector.zero(F);
      for (int j = 0, first = 0; first < count; j++, first += chunk) {
        final float[] v = values[j];
        final int cap = v.length / dim;
        for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
          o = load(v, vi).fma(FloatVector.broadcast(F, scores[first + p]), o);
        }
      }
      o.div(sum).intoArray(out, qo + i0);
    }
    for (; i0 < n; i0++) {
      float o = 0f;
      for (int j = 0, first = 0; first < count; j++, first += chunk) {
        final float[] v = values[j];
        final int cap = v.length / dim;
        for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
          o = Math.fma(scores[first + p], scalar(v, vi), o);
        }
      }
      out[qo + i0] = o / sum;
    }
  }

  // Channels [i0, i0 + 4·LANES) of one head's output: four chains over the positions.
  private static void values4(
      final float[] out,
      final int at,
      final int h,
      final int dim,
      final int n,
      final int i0,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores,
      final float sum) {
    FloatVector o0 = FloatVector.zero(F);
    FloatVector o1 = o0, o2 = o0, o3 = o0;
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final float[] v = values[j];
      final int cap = v.length / dim;
      for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
        final FloatVector ps = FloatVector.broadcast(F, scores[first + p]);
        o0 = load(v, vi).fma(ps, o0);
        o1 = load(v, vi + LANES).fma(ps, o1);
        o2 = load(v, vi + 2 * LANES).fma(ps, o2);
        o3 = load(v, vi + 3 * LANES).fma(ps, o3);
      }
    }
    o0.div(sum).intoArray(out, at);
    o1.div(sum).intoArray(out, at + LANES);
    o2.div(sum).intoArray(out, at + 2 * LANES);
    o3.div(sum).intoArray(out, at + 3 * LANES);
  }

  // Channels [i0, i0 + 8·LANES) of one head's output: eight chains over the positions.
  private static void values8(
      final float[] out,
      final int at,
      final int h,
      final int dim,
      final int n,
      final int i0,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores,
      final float sum) {
    FloatVector o0 = FloatVector.zero(F);
    FloatVector o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final float[] v = values[j];
      final int cap = v.length / dim;
      for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
        final FloatVector ps = FloatVector.broadcast(F, scores[first + p]);
        o0 = load(v, vi).fma(ps, o0);
        o1 = load(v, vi + LANES).fma(ps, o1);
        o2 = load(v, vi + 2 * LANES).fma(ps, o2);
        o3 = load(v, vi + 3 * LANES).fma(ps, o3);
        o4 = load(v, vi + 4 * LANES).fma(ps, o4);
        o5 = load(v, vi + 5 * LANES).fma(ps, o5);
        o6 = load(v, vi + 6 * LANES).fma(ps, o6);
        o7 = load(v, vi + 7 * LANES).fma(ps, o7);
      }
    }
    o0.div(sum).intoArray(out, at);
    o1.div(sum).intoArray(out, at + LANES);
    o2.div(sum).intoArray(out, at + 2 * LANES);
    o3.div(sum).intoArray(out, at + 3 * LANES);
    o4.div(sum).intoArray(out, at + 4 * LANES);
    o5.div(sum).intoArray(out, at + 5 * LANES);
    o6.div(sum).intoArray(out, at + 6 * LANES);
    o7.div(sum).intoArray(out, at + 7 * LANES);
  }

  @Override
  protected void headBf16(
      final float[] out,
      final float[] q,
      final int qo,
      final int h,
      final int dim,
      final int n,
      final float scale,
      final short[][] keys,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    // scores: positions in lanes, one FMA chain over the channels per position
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final short[] k = keys[j];
      final int cap = k.length / dim;
      final int filled = Math.min(chunk, count - first);
      final int kb = h * n * cap;
      int p = 0;
      for (; p + 4 * LANES <= filled; p += 4 * LANES) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          final FloatVector qi = FloatVector.broadcast(F, q[qo + i]);
          a0 = qi.fma(load(k, ki), a0);
          a1 = qi.fma(load(k, ki + LANES), a1);
          a2 = qi.fma(load(k, ki + 2 * LANES), a2);
          a3 = qi.fma(load(k, ki + 3 * LANES), a3);
        }
        a0.mul(scale).intoArray(scores, first + p);
        a1.mul(scale).intoArray(scores, first + p + LANES);
        a2.mul(scale).intoArray(scores, first + p + 2 * LANES);
        a3.mul(scale).intoArray(scores, first + p + 3 * LANES);
      }
      for (; p + LANES <= filled; p += LANES) {
        FloatVector a0 = FloatVector.zero(F);
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          a0 = FloatVector.broadcast(F, q[qo + i]).fma(load(k, ki), a0);
        }
        a0.mul(scale).intoArray(scores, first + p);
      }
      for (; p < filled; p++) {
        float dot = 0f;
        for (int i = 0, ki = kb + p; i < n; i++, ki += cap) {
          dot = Math.fma(q[qo + i], scalar(k, ki), dot);
        }
        scores[first + p] = dot * scale;
      }
    }
    final float sum = softmaxNumerators(scores, count);
    // out: channels in lanes, one FMA chain over the positions per channel
    int i0 = 0;
    for (; i0 + 8 * LANES <= n; i0 += 8 * LANES) {
      values8(out, qo + i0, h, dim, n, i0, values, chunk, count, scores, sum);
    }
    for (; i0 + 4 * LANES <= n; i0 += 4 * LANES) {
      values4(out, qo + i0, h, dim, n, i0, values, chunk, count, scores, sum);
    }
    for (; i0 + LANES <= n; i0 += LANES) {
      FloatVector o = FloatVector.zero(F);
      for (int j = 0, first = 0; first < count; j++, first += chunk) {
        final short[] v = values[j];
        final int cap = v.length / dim;
        for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
          o = load(v, vi).fma(FloatVector.broadcast(F, scores[first + p]), o);
        }
      }
      o.div(sum).intoArray(out, qo + i0);
    }
    for (; i0 < n; i0++) {
      float o = 0f;
      for (int j = 0, first = 0; first < count; j++, first += chunk) {
        final short[] v = values[j];
        final int cap = v.length / dim;
        for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
          o = Math.fma(scores[first + p], scalar(v, vi), o);
        }
      }
      out[qo + i0] = o / sum;
    }
  }

  // Channels [i0, i0 + 4·LANES) of one head's output: four chains over the positions.
  private static void values4(
      final float[] out,
      final int at,
      final int h,
      final int dim,
      final int n,
      final int i0,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores,
      final float sum) {
    FloatVector o0 = FloatVector.zero(F);
    FloatVector o1 = o0, o2 = o0, o3 = o0;
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final short[] v = values[j];
      final int cap = v.length / dim;
      for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
        final FloatVector ps = FloatVector.broadcast(F, scores[first + p]);
        o0 = load(v, vi).fma(ps, o0);
        o1 = load(v, vi + LANES).fma(ps, o1);
        o2 = load(v, vi + 2 * LANES).fma(ps, o2);
        o3 = load(v, vi + 3 * LANES).fma(ps, o3);
      }
    }
    o0.div(sum).intoArray(out, at);
    o1.div(sum).intoArray(out, at + LANES);
    o2.div(sum).intoArray(out, at + 2 * LANES);
    o3.div(sum).intoArray(out, at + 3 * LANES);
  }

  // Channels [i0, i0 + 8·LANES) of one head's output: eight chains over the positions.
  private static void values8(
      final float[] out,
      final int at,
      final int h,
      final int dim,
      final int n,
      final int i0,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores,
      final float sum) {
    FloatVector o0 = FloatVector.zero(F);
    FloatVector o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
    for (int j = 0, first = 0; first < count; j++, first += chunk) {
      final short[] v = values[j];
      final int cap = v.length / dim;
      for (int p = 0, vi = h * cap * n + i0; p < Math.min(chunk, count - first); p++, vi += n) {
        final FloatVector ps = FloatVector.broadcast(F, scores[first + p]);
        o0 = load(v, vi).fma(ps, o0);
        o1 = load(v, vi + LANES).fma(ps, o1);
        o2 = load(v, vi + 2 * LANES).fma(ps, o2);
        o3 = load(v, vi + 3 * LANES).fma(ps, o3);
        o4 = load(v, vi + 4 * LANES).fma(ps, o4);
        o5 = load(v, vi + 5 * LANES).fma(ps, o5);
        o6 = load(v, vi + 6 * LANES).fma(ps, o6);
        o7 = load(v, vi + 7 * LANES).fma(ps, o7);
      }
    }
    o0.div(sum).intoArray(out, at);
    o1.div(sum).intoArray(out, at + LANES);
    o2.div(sum).intoArray(out, at + 2 * LANES);
    o3.div(sum).intoArray(out, at + 3 * LANES);
    o4.div(sum).intoArray(out, at + 4 * LANES);
    o5.div(sum).intoArray(out, at + 5 * LANES);
    o6.div(sum).intoArray(out, at + 6 * LANES);
    o7.div(sum).intoArray(out, at + 7 * LANES);
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
